import type { Duplex, Readable } from 'node:stream';
import { encryptStream } from '../io/cipher.js';
import { compressStream, type CompressType } from '../io/compress.js';
import { HashFilter } from '../io/hash.js';
import { PageChecksumFilter, segmentNoOf, type PageChecksumResult } from '../io/page-checksum.js';
import { SizeFilter } from '../io/size.js';
import type { StorageDriver } from '../storage/storage.js';
import { FailedPageCapture, stillFailingPages } from './file-page.js';
import { drain, localPath, localFiles, pipeToStorage } from './file-stream.js';

/**
 * Copies one PostgreSQL file into the repository in a single read pass (STYLE.md "one pass per
 * file"): size and SHA-1 of the original bytes, page checksums, compression, encryption, size and
 * SHA-1 of the stored bytes are all filters on one stream. Jobs and results are plain data so they
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
  /** Destination, relative to the repo storage root, with the compression extension. */
  repoFile: string;
  compressType: CompressType;
  compressLevel?: number;
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

/** The file vanished since the manifest was built: log `skip file removed by database`, drop it. */
export interface BackupFileSkipped {
  copied: false;
  skipped: 'missing';
}

export type BackupFileResult = BackupFileCopied | BackupFileMatched | BackupFileSkipped;

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
  const compare = job.checksumCompare;
  if (compare !== undefined) {
    const source = await openSource(job, pg);
    if (source === null) return { ...SKIPPED };
    const size = new SizeFilter();
    const hash = new HashFilter();
    await drain(source, [size, hash]);
    if (size.size === compare.size && hash.digest() === compare.checksum) {
      return { copied: false, matched: true, size: size.size, checksum: hash.digest() };
    }
  }
  return copyFile(job, repo, pg);
}

function openSource(job: BackupFileJob, pg: StorageDriver): Promise<Readable | null> {
  return pg.read(localPath(job.pgFile), { ignoreMissing: true, limit: job.pgFileSize });
}

async function copyFile(job: BackupFileJob, repo: StorageDriver, pg: StorageDriver): Promise<BackupFileResult> {
  const source = await openSource(job, pg);
  if (source === null) return { ...SKIPPED };
  const segmentNo = segmentNoOf(job.pgFile);
  const size = new SizeFilter();
  const hash = new HashFilter();
  const page = job.pgFileChecksumPage ? new PageChecksumFilter(segmentNo) : undefined;
  const capture = page === undefined ? undefined : new FailedPageCapture(page, segmentNo);
  const transformed = job.compressType !== 'none' || job.cipherPass !== undefined;
  const repoSize = new SizeFilter();
  const repoHash = transformed ? new HashFilter() : undefined;
  const filters: Duplex[] = [size, hash];
  if (page !== undefined && capture !== undefined) filters.push(page, capture);
  if (job.compressType !== 'none') filters.push(compressStream(job.compressType, job.compressLevel));
  if (job.cipherPass !== undefined) filters.push(encryptStream(job.cipherPass));
  filters.push(repoSize);
  if (repoHash !== undefined) filters.push(repoHash);

  // Not atomic, like pgBackRest: a partial file of an aborted backup is never listed (only the
  // manifest makes it part of a backup). The directories are created before and synced after the
  // copy (set-paths.ts); a missing one is still created on demand.
  await pipeToStorage(source, filters, repo, job.repoFile, { atomic: false, syncPath: false });

  const result: BackupFileCopied = { copied: true, size: size.size, checksum: hash.digest(), repoSize: repoSize.size };
  if (repoHash !== undefined) result.rck = repoHash.digest();
  if (page !== undefined && capture !== undefined) {
    const failing = page.failedBlocks.length === 0 ? [] : await stillFailingPages(pg, job.pgFile, capture, segmentNo);
    result.pageChecksum = page.result(failing);
  }
  return result;
}
