import { createHash } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fstatSync, ftruncateSync, futimesSync } from 'node:fs';
import { chmod, chown, truncate, utimes } from 'node:fs/promises';
import {
  closeQuietly, codecStage, localFiles, localPath, openSource, pipelinedIntoStage, plainPosix, readWhole, streamStage, tap, transientCodecStage,
  unlinkQuietly,
  writeAll, writeBufferSync, writeChunks, type Source, type Stage,
} from '../backup/file-stream.js';
import { err } from '../error/error.js';
import { decryptStream } from '../io/cipher.js';
import type { AsyncIntoCodec, Codec, IntoCodec } from '../io/codec.js';
import { decompressCodec, decompressStream, type CompressType } from '../io/compress.js';
import { SHA1_EMPTY } from '../io/hash.js';
import { openWriteFd } from '../storage/posix.js';
import { startWriteback } from '../storage/writeback.js';
import type { StorageDriver } from '../storage/storage.js';

/**
 * Restores one file from the repository (spec backup-procedure.md §8.5 step 4): repo bytes →
 * decrypt → decompress → target, with size and SHA-1 checked against the manifest in the same pass.
 * Jobs and results are plain data so they can cross a worker thread boundary.
 */
export interface RestoreFileJob {
  /** Manifest name (`pg_data/base/1/1249`), used in messages. */
  name: string;
  /** Absolute target path. Its directory must already exist. */
  pgFile: string;
  /** Expected size and SHA-1 (manifest `size`, `checksum`). */
  size: number;
  checksum: string;
  mode: number;
  /** Manifest `timestamp`: set as mtime, and compared by `delta` + `force`. */
  timestamp: number;
  /** Owner to set; left alone when absent (the restore command resolves names to ids). */
  uid?: number;
  gid?: number;
  /** Source relative to the repo storage root: `backup/<stanza>/<reference or label>/...`. */
  repoFile: string;
  /** Byte range inside a bundle. */
  repoOffset?: number;
  repoLength?: number;
  compressType: CompressType;
  /** The restored backup's manifest `[cipher] cipher-pass`. */
  cipherPass?: string;
  /**
   * Keep an existing file with the same size and SHA-1 (with `force`: same size and mtime, and that
   * mtime before `copyStart`, so a file changed while the backup copied, or written after it, as
   * backup_label is, is always copied).
   */
  delta?: boolean;
  force?: boolean;
  /** Manifest `backup-timestamp-copy-start`. */
  copyStart?: number;
  /** A relation of a database left out by --db-include/--db-exclude: sparse zeros of `size` bytes. */
  zeroed?: boolean;
  /**
   * Absolute path of a file this restore has already written (or kept after checking its SHA-1)
   * with this file's size and checksum: the bytes are copied from there, checked as a repo file's
   * are, instead of fetched from the repo. When that copy fails the file comes from the repo.
   */
  localSource?: string;
}

export interface RestoreFileResult {
  /** False when delta kept the existing file. */
  written: boolean;
  size: number;
}

export async function restoreFile(
  job: RestoreFileJob,
  repo: StorageDriver,
  pg: StorageDriver = localFiles(),
): Promise<RestoreFileResult> {
  if (job.localSource !== undefined) {
    try {
      return await restoreFrom(fromLocalSource(job, job.localSource), localFiles(), pg);
    } catch {
      // the copy was changed or removed meanwhile, or cannot be read: the repo still has the file
    }
  }
  return restoreFrom(job, repo, pg);
}

async function restoreFrom(job: RestoreFileJob, repo: StorageDriver, pg: StorageDriver): Promise<RestoreFileResult> {
  if (job.delta && job.zeroed !== true && (await existingMatches(job, pg))) {
    await setAttributes(job);
    return { written: false, size: job.size };
  }
  const empty = job.size === 0 || job.zeroed === true;
  if (plainPosix(pg, 'write')) {
    // one descriptor per file: write, attributes, close; the main thread syncs it (files.ts)
    const file = pg.abs(localPath(job.pgFile));
    if (empty) writeLocalSync(job, file, Buffer.alloc(0));
    else if (!(await restoreWhole(job, repo, file))) await copyFromRepo(job, repo, (chunks) => writeLocal(job, file, chunks), pg, true);
    return { written: true, size: job.size };
  }
  const target = localPath(job.pgFile);
  const writeOpts = { atomic: false, createPath: false, mode: job.mode };
  if (empty) {
    await pg.write(target, Buffer.alloc(0), writeOpts);
    if (job.size > 0) await truncate(job.pgFile, job.size);
  } else {
    await copyFromRepo(job, repo, (chunks) => writeChunks(pg, target, chunks, job.size, writeOpts), pg);
  }
  await setAttributes(job);
  return { written: true, size: job.size };
}

/** `job` with its bytes read as they are from `source` on local storage. */
function fromLocalSource(job: RestoreFileJob, source: string): RestoreFileJob {
  const { repoOffset: _offset, repoLength: _length, cipherPass: _pass, localSource: _source, ...rest } = job;
  return { ...rest, repoFile: localPath(source), compressType: 'none' };
}

async function copyFromRepo(
  job: RestoreFileJob,
  repo: StorageDriver,
  write: (chunks: AsyncIterable<Buffer>) => Promise<void>,
  pg: StorageDriver,
  /** `write` is done with each chunk before it asks for the next, so decoders may reuse one buffer. */
  transient = false,
): Promise<void> {
  const source = (await openSource(repo, job.repoFile, { offset: job.repoOffset, limit: job.repoLength })) as Source;
  let size = 0;
  const hash = createHash('sha1');
  let data = source.chunks;
  const pass = job.cipherPass;
  if (pass !== undefined) data = streamStage(() => decryptStream(pass))(data);
  if (job.compressType !== 'none') data = decompressStage(job.compressType, transient, job.size)(data);
  data = tap(data, (chunk) => {
    size += chunk.length;
    hash.update(chunk);
  });
  try {
    await write(data);
  } finally {
    await source.close();
  }
  const actual = hash.digest('hex');
  if (size !== job.size || actual !== job.checksum) {
    await pg.remove(localPath(job.pgFile));
    throw checksumError(job, actual);
  }
}

/**
 * Files up to this size are read, decoded, checked and written in one synchronous pass when both
 * sides are local. Most files of a cluster are this small, and for them the streaming path's stages
 * cost more than their bytes: the 980 such files of a 315 MB cluster (23 MB) took 300 ms of CPU in
 * one fresh thread streamed, 250 ms this way.
 */
const WHOLE_FILE_MAX = 1024 * 1024;

/**
 * `copyFromRepo` + `writeLocal` for a small file, when its compress type has a synchronous decoder
 * (the same codec, so the same errors), it is not encrypted, and the repo can hand it over in one
 * piece (see storedWhole). The data is checked before the target is created, so a bad copy leaves
 * no file behind. Returns false, having done nothing, when the file does not qualify.
 */
async function restoreWhole(job: RestoreFileJob, repo: StorageDriver, file: string): Promise<boolean> {
  const codec = wholeCodec(job);
  if (codec === false) return false;
  const stored = await storedWhole(job, repo);
  if (stored === undefined) return false;
  writeLocalSync(job, file, decodeWhole(job, codec, stored));
  return true;
}

/**
 * A small file's stored bytes in one buffer: read directly from a local repo, or fetched in one
 * piece where the driver can (`readSmall`: S3). Streamed from S3, each small file built a response
 * stream and three generator stages, code that runs cold in each worker thread: a 315 MB restore
 * (814 objects, 795 of them under 64 KiB) used 2.60 s of user CPU fetching them whole against
 * 2.91 s streamed (medians of ten A/B runs; wall 3.6 s against 3.8 s). Undefined, for the streamed
 * path, from other drivers and for a stored file over STORED_MAX (a good one never is).
 */
async function storedWhole(job: RestoreFileJob, repo: StorageDriver): Promise<Buffer | undefined> {
  if (plainPosix(repo, 'read')) return readWhole(repo.abs(job.repoFile), job.repoOffset ?? 0, job.repoLength, false)!;
  const stored = await repo.readSmall?.(job.repoFile, STORED_MAX, { offset: job.repoOffset, limit: job.repoLength });
  return stored ?? undefined;
}

/**
 * Largest stored form of a file of WHOLE_FILE_MAX bytes read whole: incompressible data grows by
 * under 1 % in every compress type (bz2, the worst, by about 1 % plus 600 bytes).
 */
const STORED_MAX = 2 * WHOLE_FILE_MAX;

/**
 * The decoder for a small file read whole (undefined: stored as is), or false when the file is not
 * one: too large, encrypted, or a compress type without a synchronous decoder (bz2, and gz without
 * the native one).
 */
function wholeCodec(job: RestoreFileJob): Codec | undefined | false {
  if (job.size > WHOLE_FILE_MAX || job.cipherPass !== undefined) return false;
  const codec = decompressCodec(job.compressType, true);
  return codec === undefined && job.compressType !== 'none' ? false : codec;
}

/**
 * The decoded file, checked against the manifest. All output is hashed, as the streamed path does
 * for its error text, but no more than the expected size is kept: a corrupt file that decodes to
 * far more cannot take more memory than a good one.
 */
function decodeWhole(job: RestoreFileJob, codec: Codec | undefined, stored: Buffer): Buffer {
  const hash = createHash('sha1');
  const kept: Buffer[] = [];
  let size = 0;
  const take = (pieces: Iterable<Buffer>): void => {
    for (const piece of pieces) {
      hash.update(piece);
      size += piece.length;
      if (size <= job.size) kept.push(piece);
    }
  };
  if (codec === undefined) take([stored]);
  else {
    take(codec.update(stored));
    take(codec.finish());
  }
  const actual = hash.digest('hex');
  if (size !== job.size || actual !== job.checksum) throw checksumError(job, actual);
  return kept.length === 1 ? kept[0]! : Buffer.concat(kept, size);
}

function checksumError(job: RestoreFileJob, actual: string): Error {
  return err('ChecksumError', `error restoring '${job.name}': actual checksum '${actual}' does not match expected checksum '${job.checksum}'`);
}

/** Output piece size when a decoder writes into a reused buffer: fits in a core's L2 with room to spare. */
const TRANSIENT_OUT = 128 * 1024;

/**
 * Files from this size on are decoded on libuv's pool where the decoder can (gz), beside their
 * hashing and writing (pipelinedIntoStage), in pieces of PIPELINED_OUT: a cluster's largest file
 * can set the end of its restore. A 328 MB restore from gz at process-max 4 (one 216 MB relation)
 * took 1.73 s against 1.92 s, and 1.77 s against 1.82 s (medians of four and five A/B runs); 256 KiB
 * pieces did no better than 1 MiB, 4 MiB no better either.
 */
const PIPELINED_MIN = 16 * 1024 * 1024;
const PIPELINED_OUT = 1024 * 1024;

/** The decoder of every restored file: its output's SHA-1 is checked, so lz4 leaves out its own checksums. */
function decompressStage(type: CompressType, transient: boolean, size: number): Stage {
  const codec = decompressCodec(type, true);
  if (codec === undefined) return streamStage(() => decompressStream(type));
  if (!transient || !isIntoCodec(codec)) return codecStage(codec);
  if (size >= PIPELINED_MIN && isAsyncIntoCodec(codec)) return pipelinedIntoStage(codec, PIPELINED_OUT);
  return transientCodecStage(codec, TRANSIENT_OUT);
}

function isAsyncIntoCodec(codec: IntoCodec): codec is AsyncIntoCodec {
  return typeof (codec as Partial<AsyncIntoCodec>).stepInto === 'function';
}

function isIntoCodec(codec: Codec): codec is IntoCodec {
  return typeof (codec as Partial<IntoCodec>).updateInto === 'function';
}

/**
 * Writes `chunks` to the local `file` (which is created; its directory must exist), extends a
 * zeroed file sparsely to its size, then sets the mode, owner and mtime that differ (the main
 * thread syncs the file once this job is reported, see files.ts).
 * Errors carry the posix driver's texts; a failed file is removed.
 */
async function writeLocal(job: RestoreFileJob, file: string, chunks: AsyncIterable<Buffer>): Promise<void> {
  const fd = openWriteFd(file, job.mode);
  try {
    await writeAll(fd, file, chunks, true);
  } catch (e) {
    abandon(fd, file);
    throw e;
  }
  finishLocal(job, file, fd);
}

/** writeLocal of one buffer, without a turn of the event loop. */
function writeLocalSync(job: RestoreFileJob, file: string, data: Buffer): void {
  const fd = openWriteFd(file, job.mode);
  try {
    writeBufferSync(fd, file, data);
  } catch (e) {
    abandon(fd, file);
    throw e;
  }
  finishLocal(job, file, fd);
}

function finishLocal(job: RestoreFileJob, file: string, fd: number): void {
  try {
    // Not synced here: the main thread syncs written files a few at a time (files.ts), while fsyncs
    // from several worker threads that also write cost far more CPU. The disk starts on written data
    // now, so those syncs do not all wait at the end (300 MB: 80 ms left to sync instead of 300).
    if (job.zeroed === true && job.size > 0) ftruncateSync(fd, job.size);
    else startWriteback(fd);
    // Attributes already right are kept.
    const st = fstatSync(fd);
    if ((st.mode & 0o7777) !== job.mode) fchmodSync(fd, job.mode);
    const uid = job.uid ?? -1;
    const gid = job.gid ?? -1;
    if ((uid !== -1 && uid !== st.uid) || (gid !== -1 && gid !== st.gid)) fchownSync(fd, uid, gid);
    futimesSync(fd, job.timestamp, job.timestamp);
    closeSync(fd);
  } catch (e) {
    abandon(fd, file);
    throw e;
  }
}

function abandon(fd: number, file: string): void {
  closeQuietly(fd);
  unlinkQuietly(file);
}

/**
 * Delta: with `force` size and mtime decide. Otherwise a file at least as large whose first `size`
 * bytes have the manifest SHA-1 is kept, truncated to the manifest size (a relation that grew).
 */
async function existingMatches(job: RestoreFileJob, pg: StorageDriver): Promise<boolean> {
  const info = await pg.info(localPath(job.pgFile));
  if (info === null || info.type !== 'file') return false;
  if (job.force) return info.size === job.size && info.timeModified === job.timestamp && info.timeModified < (job.copyStart ?? 0);
  if (info.size < job.size) return false;
  if (job.size === 0) {
    if (job.checksum !== SHA1_EMPTY) return false;
  } else {
    const source = await openSource(pg, localPath(job.pgFile), { ignoreMissing: true, limit: job.size });
    if (source === null) return false;
    const hash = createHash('sha1');
    try {
      for await (const chunk of source.chunks) hash.update(chunk);
    } finally {
      await source.close();
    }
    if (hash.digest('hex') !== job.checksum) return false;
  }
  if (info.size > job.size) await truncate(job.pgFile, job.size);
  return true;
}

async function setAttributes(job: RestoreFileJob): Promise<void> {
  await chmod(job.pgFile, job.mode);
  if (job.uid !== undefined || job.gid !== undefined) await chown(job.pgFile, job.uid ?? -1, job.gid ?? -1);
  await utimes(job.pgFile, job.timestamp, job.timestamp);
}
