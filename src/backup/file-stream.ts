import { pipeline, type Duplex, type Readable } from 'node:stream';
import { PosixStorage } from '../storage/posix.js';
import type { StorageDriver, WriteOptions } from '../storage/storage.js';

/**
 * Streaming helpers shared by the backup and restore file engines: a source pushed through filters
 * straight into a storage driver's write, and the local file system addressed by absolute paths.
 */

/**
 * source → filters… → storage.write(path). Settles only when both the stream chain and the write
 * have finished, so a failed write has cleaned up before this rejects. The first failure wins: a
 * source error is reported as itself, not as the write's premature close.
 */
export async function pipeToStorage(
  source: Readable,
  filters: readonly Duplex[],
  storage: StorageDriver,
  path: string,
  opts?: WriteOptions,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  const fail = (e: unknown): void => {
    failure ??= { error: e };
  };
  let tail!: Readable;
  const piped = new Promise<void>((resolve) => {
    tail = pipeline([source, ...filters], (e) => {
      if (e) fail(e);
      resolve();
    }) as unknown as Readable;
  });
  // Errors of the tail reach us through the pipeline callback or the write; the chain may also
  // have finished already when the write fails, and destroying it then must not throw.
  tail.on('error', () => undefined);
  const written = storage.write(path, tail, opts).catch((e: unknown) => {
    fail(e);
    tail.destroy(e as Error);
  });
  await Promise.all([piped, written]);
  if (failure !== undefined) throw failure.error;
}

/** Drains a readable through filters, keeping nothing (hash-only passes). */
export async function drain(source: Readable, filters: readonly Duplex[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const tail = pipeline([source, ...filters], (e) => (e ? reject(e) : resolve())) as unknown as Readable;
    tail.resume();
  });
}

/** Reads a whole (small) stream into memory. */
export async function readAll(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let local: PosixStorage | undefined;

/** The local file system (PGDATA, tablespaces) as a driver rooted at `/`. */
export function localFiles(): StorageDriver {
  local ??= new PosixStorage('/');
  return local;
}

/** Driver path of an absolute local path for `localFiles()`: `/a/b` → `a/b`. */
export function localPath(absolute: string): string {
  return absolute.replace(/^\/+/, '');
}
