import { loadAddon } from '../io/native-addon.js';

/**
 * The optional native writeback hint (native/writeback.c, dist/writeback.node): asks Linux to start
 * writing a file's dirty pages now, without waiting. A restore hints each file as its worker
 * finishes it, so the fsync the main thread issues later (files.ts) finds the data mostly on disk
 * instead of starting all of the writing then. Without the addon this does nothing.
 */
interface WritebackAddon {
  startWriteback(fd: number): boolean;
}

let loaded: { addon: WritebackAddon | undefined } | undefined;

/** True when the kernel was asked to write `fd`'s dirty pages; false without the addon or support. */
export function startWriteback(fd: number): boolean {
  loaded ??= { addon: process.env.PGBR_WRITEBACK === '0' ? undefined : loadAddon<WritebackAddon>('writeback.node') };
  return loaded.addon?.startWriteback(fd) ?? false;
}
