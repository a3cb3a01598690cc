import { loadAddon } from '../io/native-addon.js';

/**
 * The optional native writeback hint (native/writeback.c, dist/writeback.node): asks Linux to start
 * writing a file's dirty pages now, without waiting. A restore hints each file as its worker
 * finishes it, so the fsync the main thread issues later (files.ts) finds the data mostly on disk
 * instead of starting all of the writing then. A large file's written steps are also dropped from
 * the page cache (dropBehind). Without the addon this does nothing; PGBR_WRITEBACK=0 turns it off.
 */
interface WritebackAddon {
  startWriteback(fd: number, offset?: number, length?: number): boolean;
  dropBehind(fd: number, offset: number, length: number): boolean;
  syncPath(path: string, callback: (error: NodeJS.ErrnoException | null) => void): void;
}

let loaded: { addon: WritebackAddon | undefined } | undefined;

/**
 * True when the kernel was asked to write `fd`'s dirty pages (`length` bytes from `offset`; length 0:
 * to the end); false without the addon or support.
 */
export function startWriteback(fd: number, offset = 0, length = 0): boolean {
  return addon()?.startWriteback(fd, offset, length) ?? false;
}

/**
 * Waits until `length` bytes of `fd` from `offset` are written to the disk and drops them from the
 * page cache; true when done, false without the addon or support, or for a bad descriptor or range.
 * Not a sync: the file's metadata is not written, it still needs its fsync. See `writeAll`.
 */
export function dropBehind(fd: number, offset: number, length: number): boolean {
  return addon()?.dropBehind(fd, offset, length) ?? false;
}

/**
 * fsync(2) of the file or directory at `path` (opened read-only and closed again) as one job on
 * libuv's thread pool; undefined without the addon, for the caller to do it with Node's calls. A
 * backup or restore syncs every file it wrote from the main thread: with Node's promises that was
 * three trips through the pool (open, fsync, close) and a FileHandle per file. Rejects with a
 * Node-style error (`code`, negative `errno`, `syscall` 'open' or 'fsync').
 */
export function syncPath(path: string): Promise<void> | undefined {
  const a = addon();
  if (a === undefined) return undefined;
  return new Promise((resolve, reject) => a.syncPath(path, (e) => (e ? reject(e) : resolve())));
}

function addon(): WritebackAddon | undefined {
  loaded ??= { addon: process.env.PGBR_WRITEBACK === '0' ? undefined : loadAddon<WritebackAddon>('writeback.node') };
  return loaded.addon;
}

/**
 * Bytes a large file's writer lets pile up before it hints them (see `writeAll`). A restore that
 * hinted its 216 MB relation only once written spent 171 ms in that one call, waiting on the device
 * queue at the end of its longest job; hinted every 8 MiB, the disk writes while the file is still
 * decoded (six A/B runs of that 315 MB restore, process-max 4: 1.84 s median before, 1.53 s after).
 */
export const WRITEBACK_STEP = 8 * 1024 * 1024;
