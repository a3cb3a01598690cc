import { createRequire } from 'node:module';

let loaded: typeof import('node:child_process') | undefined;

/**
 * node:child_process, loaded on first use. Loading it (with node:net, which it needs) takes 3-4 ms
 * of a process start, and most runs never start a child: an archive-push or a restore imports the
 * modules that can (bz2 through every compress type, the lock through the async archive paths) but
 * only bz2, locks and async archiving call them.
 */
export function childProcess(): typeof import('node:child_process') {
  loaded ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return loaded;
}
