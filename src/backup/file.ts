import { createHash } from 'node:crypto';
import { isMainThread } from 'node:worker_threads';
import { encryptStream } from '../io/cipher.js';
import { compressCodec, compressStream, resolveLevel, type CompressType } from '../io/compress.js';
import { gzCompressPieces, gzCompressStream, gzPiecesAvailable } from '../io/gz.js';
import { PageChecksumFilter, segmentNoOf, type PageChecksumResult } from '../io/page-checksum.js';
import type { StorageDriver } from '../storage/storage.js';
import { FailedPageCapture, stillFailingPages } from './file-page.js';
import {
  codecStage, localFiles, localPath, openSource, plainPosix, readWhole, streamStage, tap, writeChunks, type Source, type Stage,
} from './file-stream.js';
import type { Codec } from '../io/codec.js';
import { sha1Hex } from '../io/hash.js';
import type { PosixStorage } from '../storage/posix.js';

/**
 * Copies one PostgreSQL file into the repository in a single read pass (STYLE.md "one pass per
 * file"): size and SHA-1 of the original bytes, page checksums, compression, encryption, size and
 * SHA-1 of the stored bytes are all stages over one sequence of chunks (file-stream.ts). Jobs and results are plain data so they
 * can cross a worker thread boundary.
 */
export interface BackupFileJob {
  /** Absolute path of the source (in PGDATA or a tablespace); also names the file in messages. */
  pgFile: string;
  /** Size recorded in the manifest. At most this many bytes are copied (spec backup-procedure §8.1.12). */
  pgFileSize: number;
  /** Validate page checksums (spec checksums.md §4.1); the segment number comes from the name. */
  pgFileChecksumPage: boolean;
  /**
   * Delta/resume: the checksum and size of a copy that already exists (prior backup or resumed
   * repo file). A source that still matches is not copied; that is the one case with two reads.
   */
  checksumCompare?: { checksum: string; size: number };
  /**
   * Resume: `repoFile` already holds this file as an interrupted backup stored it. Kept (not read
   * from PostgreSQL again) when its bytes hash to `sha1` (the recorded rck, or the checksum when
   * stored as is) and are `repoSize` long; copied again otherwise. With `source` (--delta) the
   * source is read first and must still have that checksum and size; a source that is gone is
   * skipped and its stored copy removed, as 2.45 does.
   */
  resumeCheck?: { sha1: string; repoSize: number; source?: { checksum: string; size: number } };
  /** Destination, relative to the repo storage root, with the compression extension. */
  repoFile: string;
  compressType: CompressType;
  compressLevel?: number;
  /** Threads the compressor may use for this file (zst and gz; default 1). See copy.ts. */
  compressThreads?: number;
  /** Backup-set cipher pass (the manifest's `[cipher] cipher-pass`); absent when not encrypted. */
  cipherPass?: string;
}

export interface BackupFileCopied {
  copied: true;
  /** Bytes read from the source (may be less than pgFileSize when the file shrank). */
  size: number;
  checksum: string;
  /** Bytes stored in the repo. */
  repoSize: number;
  /** SHA-1 of the stored bytes, only when compressed or encrypted (manifest `rck`). */
  rck?: string;
  /** Only when page checksums were validated. */
  pageChecksum?: PageChecksumResult;
}

export interface BackupFileMatched {
  copied: false;
  matched: true;
  size: number;
  checksum: string;
}

/** A resumed copy in the repo still matches its record: log `checksum resumed file`, keep it. */
export interface BackupFileResumed {
  copied: false;
  resumed: true;
}

/** The file vanished since the manifest was built: log `skip file removed by database`, drop it. */
export interface BackupFileSkipped {
  copied: false;
  skipped: 'missing';
}

export type BackupFileResult = BackupFileCopied | BackupFileMatched | BackupFileResumed | BackupFileSkipped;

const SKIPPED: BackupFileSkipped = { copied: false, skipped: 'missing' };

/**
 * Backs up one file. `repo` receives `job.repoFile`; `pg` reads the source by absolute path (the
 * local file system unless a test or a remote passes another driver).
 */
export async function backupFile(
  job: BackupFileJob,
  repo: StorageDriver,
  pg: StorageDriver = localFiles(),
): Promise<BackupFileResult> {
  if (job.resumeCheck !== undefined) return resumedCopy(job, job.resumeCheck, repo, pg);
  return (await priorMatch(job, pg)) ?? copyFile(job, repo, pg);
}

async function resumedCopy(
  job: BackupFileJob,
  check: NonNullable<BackupFileJob['resumeCheck']>,
  repo: StorageDriver,
  pg: StorageDriver,
): Promise<BackupFileResult> {
  if (check.source !== undefined) {
    const unchanged = await priorMatch({ ...job, checksumCompare: check.source }, pg);
    if (unchanged === undefined) return copyFile(job, repo, pg);
    if ('skipped' in unchanged) {
      await repo.remove(job.repoFile);
      return unchanged;
    }
  }
  return (await storedMatches(repo, job.repoFile, check)) ? { copied: false, resumed: true } : copyFile(job, repo, pg);
}

/** The stored bytes at `path` are the ones recorded: their SHA-1 and size. False when missing or unreadable. */
async function storedMatches(repo: StorageDriver, path: string, expect: { sha1: string; repoSize: number }): Promise<boolean> {
  const source = await openSource(repo, path, { ignoreMissing: true }).catch(() => null);
  if (source === null) return false;
  const hash = createHash('sha1');
  let size = 0;
  try {
    for await (const chunk of source.chunks) {
      hash.update(chunk);
      size += chunk.length;
    }
  } catch {
    return false;
  } finally {
    await source.close();
  }
  return size === expect.repoSize && hash.digest('hex') === expect.sha1;
}

/**
 * Delta/resume (`checksumCompare`): the file still matches the copy that exists, so it is not
 * copied, or it is gone. Undefined when it must be copied.
 */
export async function priorMatch(job: BackupFileJob, pg: StorageDriver): Promise<BackupFileMatched | BackupFileSkipped | undefined> {
  const compare = job.checksumCompare;
  if (compare === undefined) return undefined;
  const source = await sourceOf(job, pg);
  if (source === null) return { ...SKIPPED };
  let size = 0;
  const hash = createHash('sha1');
  try {
    for await (const chunk of source.chunks) {
      size += chunk.length;
      hash.update(chunk);
    }
  } finally {
    await source.close();
  }
  const checksum = hash.digest('hex');
  return size === compare.size && checksum === compare.checksum ? { copied: false, matched: true, size, checksum } : undefined;
}

function sourceOf(job: BackupFileJob, pg: StorageDriver): Promise<Source | null> {
  return openSource(pg, localPath(job.pgFile), { ignoreMissing: true, limit: job.pgFileSize });
}

/**
 * `toNetwork`: this is the main thread (process-max 1) and the repo is not local, so the thread
 * also sends what was compressed before. There node:zlib's gzip stream, which compresses on libuv's
 * pool, keeps more cores busy (one per file in flight), where the native codec would run in this
 * thread: in the bench, a full gz backup to S3 at process-max 1 took 18.7 s with the native codec,
 * 16.7 s and 17.6 s with the stream (medians of 3, in separate runs). Everywhere else the
 * native codec is cheaper: a worker thread is already one process of process-max, and to a local
 * repo this thread waits for each piece anyway.
 */
function compressStage(type: CompressType, level: number | undefined, threads: number | undefined, toNetwork: boolean): Stage {
  if (type === 'gz' && threads !== undefined && threads > 1 && gzPiecesAvailable()) {
    return (input) => gzCompressPieces(input, resolveLevel('gz', level), threads);
  }
  if (type === 'gz' && toNetwork) return streamStage(() => gzCompressStream(resolveLevel('gz', level)));
  const codec = compressCodec(type, level, threads);
  return codec !== undefined ? codecStage(codec) : streamStage(() => compressStream(type, level));
}

/**
 * Files up to this size are read, checked, compressed and written in one synchronous pass when both
 * sides are local (as restore does, restore/file.ts): for them the streamed path's stages cost more
 * than their bytes.
 */
const WHOLE_FILE_MAX = 1024 * 1024;

/**
 * The one-pass path's codec: undefined for `none`, null when the type only streams (bz2, gz without
 * the native codec) or the file does not qualify. `wholeOut`: the stored bytes may be handed over in
 * one buffer (a local repo, or a bundle, which gathers them anyway).
 */
function wholeFileCodec(job: BackupFileJob, pg: StorageDriver, wholeOut: boolean): Codec | undefined | null {
  if (job.pgFileSize > WHOLE_FILE_MAX || job.cipherPass !== undefined || !plainPosix(pg, 'read') || !wholeOut) return null;
  if (job.compressType === 'none') return undefined;
  return compressCodec(job.compressType, job.compressLevel) ?? null;
}

/**
 * Not atomic, like pgBackRest: a partial file of an aborted backup is never listed (only the
 * manifest makes it part of a backup). The directories are created before the copy; the main
 * thread syncs each file once this job is reported and the directories after the copy, before
 * the manifest is saved (set-paths.ts). A missing directory is still created on demand.
 */
export const REPO_WRITE = { atomic: false, sync: false, syncPath: false } as const;

/**
 * One file's stored bytes (compressed, encrypted) as they are produced, and what the copy found,
 * known once `chunks` has been consumed to its end.
 */
export interface StoredFile {
  chunks: AsyncIterable<Buffer> | Buffer;
  result(): Promise<BackupFileCopied>;
  /** Releases the source, whether or not `chunks` was consumed. */
  close(): Promise<void>;
}

/**
 * The stored form of `job`'s file, read in one pass (null when the file is gone). `toNetwork` and
 * `wholeOut` as for compressStage and wholeFileCodec.
 */
export async function storedFile(job: BackupFileJob, pg: StorageDriver, opts: { toNetwork: boolean; wholeOut: boolean }): Promise<StoredFile | null> {
  const codec = wholeFileCodec(job, pg, opts.wholeOut);
  if (codec !== null) return storedWhole(job, pg as PosixStorage, codec);
  const source = await sourceOf(job, pg);
  if (source === null) return null;
  const segmentNo = segmentNoOf(job.pgFile);
  let size = 0;
  const hash = createHash('sha1');
  const page = job.pgFileChecksumPage ? new PageChecksumFilter(segmentNo) : undefined;
  const capture = page === undefined ? undefined : new FailedPageCapture(page, segmentNo);
  const transformed = job.compressType !== 'none' || job.cipherPass !== undefined;
  let repoSize = 0;
  const repoHash = transformed ? createHash('sha1') : undefined;

  let data: AsyncIterable<Buffer> = tap(
    source.chunks,
    (chunk) => {
      size += chunk.length;
      hash.update(chunk);
      page?.check(chunk);
      capture?.capture(chunk);
    },
    () => page?.finish(),
  );
  if (job.compressType !== 'none') data = compressStage(job.compressType, job.compressLevel, job.compressThreads, opts.toNetwork)(data);
  const pass = job.cipherPass;
  if (pass !== undefined) data = streamStage(() => encryptStream(pass))(data);
  data = tap(data, (chunk) => {
    repoSize += chunk.length;
    repoHash?.update(chunk);
  });
  return {
    chunks: data,
    result: () => copied(job, pg, { size, checksum: hash.digest('hex'), repoSize, rck: repoHash?.digest('hex') }, page, capture, segmentNo),
    close: () => source.close(),
  };
}

async function copyFile(job: BackupFileJob, repo: StorageDriver, pg: StorageDriver): Promise<BackupFileResult> {
  const stored = await storedFile(job, pg, { toNetwork: isMainThread && !plainPosix(repo, 'write'), wholeOut: plainPosix(repo, 'write') });
  if (stored === null) return { ...SKIPPED };
  try {
    await writeChunks(repo, job.repoFile, stored.chunks, job.pgFileSize, REPO_WRITE);
  } finally {
    await stored.close();
  }
  return stored.result();
}

/** storedFile of a small local file in one buffer: the same checks, bytes and result. */
function storedWhole(job: BackupFileJob, pg: PosixStorage, codec: Codec | undefined): StoredFile | null {
  const data = readWhole(pg.abs(localPath(job.pgFile)), 0, job.pgFileSize, true);
  if (data === null) return null;
  const segmentNo = segmentNoOf(job.pgFile);
  const page = job.pgFileChecksumPage ? new PageChecksumFilter(segmentNo) : undefined;
  const capture = page === undefined ? undefined : new FailedPageCapture(page, segmentNo);
  if (page !== undefined) {
    page.check(data);
    capture!.capture(data);
    page.finish();
  }
  const stored = codec === undefined ? data : joinedOutput(codec, data);
  const found = { size: data.length, checksum: sha1Hex(data), repoSize: stored.length, rck: codec === undefined ? undefined : sha1Hex(stored) };
  return { chunks: stored, result: () => copied(job, pg, found, page, capture, segmentNo), close: async () => undefined };
}

function joinedOutput(codec: Codec, data: Buffer): Buffer {
  // an empty file is only finish(), as in the streamed path, so the stored bytes are the same
  const parts = [...(data.length > 0 ? codec.update(data) : []), ...codec.finish()];
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

async function copied(
  job: BackupFileJob,
  pg: StorageDriver,
  found: { size: number; checksum: string; repoSize: number; rck: string | undefined },
  page: PageChecksumFilter | undefined,
  capture: FailedPageCapture | undefined,
  segmentNo: number,
): Promise<BackupFileCopied> {
  const result: BackupFileCopied = { copied: true, size: found.size, checksum: found.checksum, repoSize: found.repoSize };
  if (found.rck !== undefined) result.rck = found.rck;
  if (page !== undefined && capture !== undefined) {
    const failing = page.failedBlocks.length === 0 ? [] : await stillFailingPages(pg, job.pgFile, capture, segmentNo);
    result.pageChecksum = page.result(failing);
  }
  return result;
}
