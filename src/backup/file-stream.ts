import { closeSync, fchmodSync, fstatSync, fsyncSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { pipeline, Readable, type Duplex } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import { PgbrError } from '../error/error.js';
import { chunkPassed } from '../io/chunk-gc.js';
import type { AsyncIntoCodec, Codec, IntoCodec } from '../io/codec.js';
import { sysErr } from '../storage/errno.js';
import { checkPath, parentPath } from '../storage/path.js';
import { FILE_MODE, openReadFd, openWriteFd, PosixStorage } from '../storage/posix.js';
import type { StorageDriver, WriteOptions } from '../storage/storage.js';
import { dropBehind, startWriteback, WRITEBACK_STEP } from '../storage/writeback.js';

/**
 * Byte plumbing shared by the backup and restore file engines. A file's bytes move as an async
 * iterable of chunks through stages (taps that hash or count, codecs, and the few filters that only
 * exist as streams) instead of one stream object per filter: a backup copies thousands of small
 * files, and per-file stream construction and per-chunk stream hops were most of its cost.
 *
 * Local files are read and written with synchronous descriptor calls. The engines run in worker
 * threads of their own (or in the main thread at process-max 1, as pgBackRest's single process
 * does), so blocking them costs nothing, while each asynchronous call is a round trip through
 * libuv's thread pool that all threads share: with thousands of small files those round trips
 * (open, read, write, fstat, close for each) cost more than the work itself.
 */

/** Read size: large enough that per-chunk overhead vanishes, small enough to bound memory per file. */
export const READ_CHUNK = 1024 * 1024;

/** A file's bytes and the way to release what holds them. `close` may be called more than once. */
export interface Source {
  chunks: AsyncIterable<Buffer>;
  close(): Promise<void>;
}

export interface SourceOptions {
  ignoreMissing?: boolean;
  offset?: number;
  limit?: number;
}

/**
 * Opens `path` of `storage` for reading. A local (posix) file is read with its own descriptor in
 * READ_CHUNK pieces, with the driver's error texts; other drivers are read through `read()`.
 */
export async function openSource(storage: StorageDriver, path: string, opts: SourceOptions): Promise<Source | null> {
  if (plainPosix(storage, 'read')) return openLocal(storage.abs(path), opts);
  const stream = await storage.read(path, opts);
  if (stream === null) return null;
  // consumers start iterating after other awaits; a stream someone already made flow must wait
  stream.pause();
  return { chunks: coalesced(stream, COALESCE_BYTES), close: async () => void stream.destroy() };
}

/**
 * Network reads that arrive in TLS-record-sized pieces (16 KiB) are gathered into pieces of at
 * least this size, so each later stage (decrypt, decompress, hash, write) runs an eighth as often.
 * It is the size the HTTP client hands a streamed body over in (STREAM_PIECE), so those pieces pass
 * as they are: gathering them in twos copied 216 MB in 130 ms of a restore from S3.
 */
const COALESCE_BYTES = 128 * 1024;

async function* coalesced(input: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of input) {
    parts.push(chunk);
    length += chunk.length;
    if (length >= size) {
      chunkPassed(length);
      yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
}

async function openLocal(file: string, opts: SourceOptions): Promise<Source | null> {
  const fd = openReadFd(file, opts.ignoreMissing === true);
  if (fd === null) return null;
  let open = true;
  const close = (): void => {
    if (open) closeSync(fd);
    open = false;
  };
  return { chunks: readChunks(fd, file, opts.offset ?? 0, opts.limit ?? Infinity, close), close: async () => close() };
}

/**
 * Bytes the main thread reads of one file before it lets its event loop turn. It runs file jobs of
 * its own between the worker threads' results (parallel/pool.ts `mainThread`), and a local copy is
 * synchronous from end to end otherwise: a worker done with its file would wait for the next one
 * until this thread's file was done, as would the backup's timed manifest saves.
 */
const MAIN_THREAD_TURN = 8 * 1024 * 1024;

async function* readChunks(fd: number, file: string, offset: number, limit: number, close: () => void): AsyncGenerator<Buffer> {
  let position = offset;
  let left = limit;
  let sinceTurn = 0;
  try {
    while (left > 0) {
      if (isMainThread && sinceTurn >= MAIN_THREAD_TURN) {
        sinceTurn = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      // a fresh buffer per read: stages may keep a chunk (no compression) until it is written
      const buf = Buffer.allocUnsafe(Math.min(left, READ_CHUNK));
      let read: number;
      try {
        read = readSync(fd, buf, 0, buf.length, position);
      } catch (e) {
        throw sysErr('FileReadError', `unable to read '${file}'`, e);
      }
      if (read === 0) break;
      position += read;
      left -= read;
      sinceTurn += read;
      chunkPassed(read);
      yield read === buf.length ? buf : buf.subarray(0, read);
    }
  } finally {
    close();
  }
}

/**
 * A whole local file, or `length` bytes of it from `offset` (fewer at its end), in one buffer read
 * synchronously: the one-pass paths for small files (backup/file.ts, restore/file.ts). Null when
 * the file is missing and `ignoreMissing`. Same error texts as readChunks.
 */
export function readWhole(file: string, offset: number, length: number | undefined, ignoreMissing: boolean): Buffer | null {
  const fd = openReadFd(file, ignoreMissing);
  if (fd === null) return null;
  try {
    const size = length ?? fstatSync(fd).size - offset;
    const buf = Buffer.allocUnsafe(Math.max(0, size));
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    // Reported like readChunks' pieces. Unreported, the buffers of hundreds of small files (and
    // what they were compressed or decoded to) lay dead until V8's external-memory threshold: a
    // one-process posix backup of the profiling cluster (lz4) peaked at 90-92 MiB instead of 77.
    chunkPassed(done);
    return done === buf.length ? buf : buf.subarray(0, done);
  } catch (e) {
    throw sysErr('FileReadError', `unable to read '${file}'`, e);
  } finally {
    closeSync(fd);
  }
}

/**
 * True when `storage` is a posix driver whose `method` is the driver's own, so its work may be done
 * here on a descriptor directly (a subclass that instruments the method is still called).
 */
export function plainPosix(storage: StorageDriver, method: 'read' | 'write'): storage is PosixStorage {
  return storage instanceof PosixStorage && storage[method] === PosixStorage.prototype[method];
}

/** A transformation of a chunk sequence. */
export type Stage = (input: AsyncIterable<Buffer>) => AsyncIterable<Buffer>;

/** Calls `each` on every chunk as it passes and `end` once the input is exhausted. */
export async function* tap(input: AsyncIterable<Buffer>, each: (chunk: Buffer) => void, end?: () => void): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    each(chunk);
    yield chunk;
  }
  end?.();
}

/** A synchronous codec as a stage; one output chunk per input chunk (fewer, larger writes). */
export function codecStage(codec: Codec): Stage {
  return async function* (input) {
    for await (const chunk of input) {
      const out = joined(codec.update(chunk));
      if (out.length > 0) yield out;
    }
    const last = joined(codec.finish());
    if (last.length > 0) yield last;
  };
}

/**
 * Like codecStage for a consumer that is done with each chunk before it asks for the next (a hash
 * tap into writeAll): the codec writes every piece into one reused buffer of `size` bytes, so no
 * chunk is allocated, nothing is copied twice and the bytes are still in cache when hashed and written.
 */
export function transientCodecStage(codec: IntoCodec, size: number): Stage {
  return async function* (input) {
    const out = Buffer.allocUnsafeSlow(size);
    for await (const chunk of input) {
      for (const piece of codec.updateInto(chunk, out)) yield piece;
    }
    const last = joined(codec.finish());
    if (last.length > 0) yield last;
  };
}

/**
 * transientCodecStage with the decoding on libuv's pool: while the consumer hashes and writes one
 * piece, the codec fills the other of two `size`-byte buffers, so a large file's decoding runs beside
 * its hashing and writing instead of before them. The consumer must be done with a piece when it
 * asks for the next, as for transientCodecStage. On this 2-core VM the gain is smaller than the
 * hashing and writing it hides: a 216 MB relation's gunzip, hash and write took 1.03-1.10 s against
 * 1.05-1.18 s in one thread, because inflate itself ran about a third slower beside them (0.77 s
 * alone); beside a pure spin it overlaps fully.
 */
export function pipelinedIntoStage(codec: AsyncIntoCodec, size: number): Stage {
  return async function* (input) {
    const free: Buffer[] = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)];
    const it = input[Symbol.asyncIterator]();
    let inputDone = false;
    let pending: Promise<{ out: Buffer; written: number; chunk: Buffer; offset: number }> | undefined;
    const start = (chunk: Buffer, offset: number): void => {
      const out = free.pop()!;
      const step = codec.stepInto(chunk, offset, out).then(({ written, consumed }) => ({ out, written, chunk, offset: offset + consumed }));
      // a step that fails while the consumer holds the previous piece is thrown at the next await
      step.catch(() => undefined);
      pending = step;
    };
    const nextInput = async (): Promise<void> => {
      const next = await it.next();
      if (next.done === true) inputDone = true;
      else start(next.value, 0);
    };
    try {
      await nextInput();
      while (pending !== undefined) {
        const { out, written, chunk, offset } = await pending;
        pending = undefined;
        // out filled: zlib may hold more of this chunk; otherwise the chunk is used up
        if (written === out.length) start(chunk, offset);
        else await nextInput();
        if (written > 0) yield out.subarray(0, written);
        free.push(out);
      }
      const last = joined(codec.finish());
      if (last.length > 0) yield last;
    } finally {
      if (pending !== undefined) await pending.catch(() => undefined);
      if (!inputDone) await it.return?.();
    }
  };
}

function joined(parts: Iterable<Buffer>): Buffer {
  const all = Array.isArray(parts) ? (parts as Buffer[]) : [...parts];
  return all.length === 1 ? all[0]! : Buffer.concat(all);
}

/** A stream filter as a stage (gz, bz2, cipher). A failure on either side tears both down. */
export function streamStage(make: () => Duplex): Stage {
  return (input) => pipeline(Readable.from(input, { objectMode: false }), make(), () => undefined);
}

/**
 * Writes the chunks to `path` of `storage`. A non-atomic write to a posix driver is done here on a
 * descriptor (writeLocal). Otherwise, when at most READ_CHUNK source bytes are expected, the whole
 * output is gathered and written as one buffer (the common small file); larger files stream, about
 * one chunk ahead of the writer. `chunks` may also be the whole output in one buffer.
 */
export async function writeChunks(
  storage: StorageDriver,
  path: string,
  chunks: AsyncIterable<Buffer> | Buffer,
  expected: number,
  opts?: WriteOptions,
): Promise<void> {
  if (plainPosix(storage, 'write') && opts?.atomic === false) return writeLocal(storage, path, chunks, opts);
  if (Buffer.isBuffer(chunks)) return storage.write(path, chunks, opts);
  if (expected <= READ_CHUNK) {
    const parts: Buffer[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    await storage.write(path, parts.length === 1 ? parts[0]! : Buffer.concat(parts), opts);
    return;
  }
  const source = Readable.from(chunks, { objectMode: false, highWaterMark: 1 });
  // the write reports the source's failure; nothing else may see it unhandled
  source.on('error', () => undefined);
  try {
    await storage.write(path, source, opts);
  } finally {
    source.destroy();
  }
}

/**
 * PosixStorage.write for the non-atomic case (backup's repo files) on one descriptor, with a chmod
 * only when the umask changed the mode (usually none: one call and one inode change less per file).
 * Same error texts and clean-up as the driver.
 */
async function writeLocal(storage: PosixStorage, path: string, chunks: AsyncIterable<Buffer> | Buffer, opts: WriteOptions): Promise<void> {
  const file = storage.abs(path);
  const mode = opts.mode ?? FILE_MODE;
  const sync = opts.sync ?? true;
  let fd: number;
  try {
    fd = openWriteFd(file, mode);
  } catch (e) {
    if (!(opts.createPath ?? true) || !(e instanceof PgbrError) || e.type !== 'PathMissingError') throw e;
    await storage.pathCreate(parentPath(checkPath(path)));
    fd = openWriteFd(file, mode);
  }
  try {
    if (Buffer.isBuffer(chunks)) writeBufferSync(fd, file, chunks);
    else await writeAll(fd, file, chunks, sync);
    if (sync) {
      try {
        fsyncSync(fd);
      } catch (e) {
        throw sysErr('FileSyncError', `unable to sync file '${file}'`, e);
      }
    }
    try {
      // the umask must not change the repository's modes
      if ((fstatSync(fd).mode & 0o7777) !== mode) fchmodSync(fd, mode);
    } catch (e) {
      throw sysErr('FileOpenError', `unable to open file '${file}' for write`, e);
    }
    closeSync(fd);
  } catch (e) {
    closeQuietly(fd);
    unlinkQuietly(file);
    throw e;
  }
  if (sync && (opts.syncPath ?? true)) await storage.pathSync(parentPath(checkPath(path)));
}

/**
 * Writes every chunk to `fd`; write errors name the file, errors of the chunks pass through. With
 * `writeback`, every WRITEBACK_STEP bytes written are handed to the disk as they are done, so a
 * large file's later fsync or final hint does not wait for all of it at once; and the step hinted
 * before is waited for and dropped from the page cache (`dropBehind`), so a large file streams
 * through two steps of memory. Used for files nothing reads back soon: restored files and a posix
 * repo's, written whole by us. A restore or backup of hundreds of gigabytes then does not push the
 * running database's pages out of the cache (pgBackRest issue #1038, open since 2020), and on a
 * VM whose free memory goes back to the host (free page reporting), writing into pages we freed
 * costs a fraction of faulting in new ones: a 384 MB restore from S3 at process-max 4 on this
 * 2-core VM took 2.26-2.37 s against 2.49-3.01 s without (three A/B runs, system CPU of the machine
 * 1.2 s against 1.9-2.4 s); with recycled memory the two do not differ. Files below two steps stay
 * cached, and so do a file's last hinted step and what follows it. The data of a dropped step is on
 * disk, but the file is not durable before its fsync.
 */
export async function writeAll(
  fd: number,
  file: string,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  writeback = false,
): Promise<void> {
  let written = 0;
  let hinted = 0;
  let dropped = 0;
  for await (const chunk of chunks) {
    writeBufferSync(fd, file, chunk);
    written += chunk.length;
    if (writeback && written - hinted >= WRITEBACK_STEP) {
      // what was hinted a step ago has had a step's time to reach the disk
      if (hinted > dropped && dropBehind(fd, dropped, hinted - dropped)) dropped = hinted;
      startWriteback(fd, hinted, written - hinted);
      hinted = written;
    }
  }
}

/** Writes all of `chunk` to `fd`; errors name the file. */
export function writeBufferSync(fd: number, file: string, chunk: Buffer): void {
  for (let done = 0; done < chunk.length; ) {
    try {
      done += writeSync(fd, chunk, done, chunk.length - done);
    } catch (e) {
      throw sysErr('FileWriteError', `unable to write '${file}'`, e);
    }
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already failing: the first error is the one to report
  }
}

export function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // nothing was left, or it cannot be removed either
  }
}

let local: PosixStorage | undefined;

/** The local file system (PGDATA, tablespaces) as a driver rooted at `/`. */
export function localFiles(): PosixStorage {
  local ??= new PosixStorage('/');
  return local;
}

/** Driver path of an absolute local path for `localFiles()`: `/a/b` → `a/b`. */
export function localPath(absolute: string): string {
  return absolute.replace(/^\/+/, '');
}
