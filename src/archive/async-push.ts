import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { err } from '../error/error.js';
import { readStatus, spoolQueuePath, statusError } from './spool.js';
import { startAsyncIfIdle } from './async-spawn.js';

export interface AsyncPushForeground {
  walPath: string;
  stanza: string;
  spoolPath: string;
  lockPath: string;
  execId: string;
  /** archive-timeout in seconds. */
  timeout: number;
  params: readonly string[];
}

/**
 * The foreground half of async archive-push, called by PostgreSQL: succeed as soon as the async
 * process has written `<segment>.ok`; fail with the async process's error. On the first look an
 * error is not final: a new async process gets a chance to fix it first.
 * Returns a warning to log, if the .ok file carried one.
 */
export async function pushAsyncForeground(o: AsyncPushForeground): Promise<string | undefined> {
  const name = basename(o.walPath);
  const queue = spoolQueuePath(o.spoolPath, o.stanza, 'out');
  const deadline = Date.now() + o.timeout * 1000;
  let first = true;
  for (;;) {
    const status = await readStatus(queue, name);
    if (status?.kind === 'ok') {
      if (status.skippedError) {
        return `WAL segment '${name}' was not pushed due to error [${status.skippedError.code}] and was manually skipped: ${status.skippedError.message}`;
      }
      return status.warning;
    }
    if (status?.kind === 'error' && !first) throw statusError(status.code, status.message);
    if (first) {
      await startAsyncIfIdle({ ...o, queue, command: 'archive-push', newParams: [dirname(o.walPath)] });
      first = false;
    }
    if (Date.now() >= deadline) {
      throw err('ArchiveTimeoutError', `unable to push WAL file '${name}' to the archive asynchronously after ${o.timeout} second(s)`, {
        hints: ['check the archive-push-async log for errors'],
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Segments PostgreSQL has marked ready, oldest first. */
export async function readyWal(walDir: string): Promise<string[]> {
  const names = await readdir(join(walDir, 'archive_status')).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.ready'))
    .map((n) => n.slice(0, -'.ready'.length))
    .sort();
}
