import { chmod, chown, truncate, utimes } from 'node:fs/promises';
import type { Duplex, Readable } from 'node:stream';
import { drain, localPath, localFiles, pipeToStorage } from '../backup/file-stream.js';
import { err } from '../error/error.js';
import { decryptStream } from '../io/cipher.js';
import { decompressStream, type CompressType } from '../io/compress.js';
import { HashFilter, SHA1_EMPTY } from '../io/hash.js';
import { SizeFilter } from '../io/size.js';
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
  /** Keep an existing file with the same size and SHA-1 (with `force`: same size and mtime). */
  delta?: boolean;
  force?: boolean;
  /** A relation of a database left out by --db-include/--db-exclude: sparse zeros of `size` bytes. */
  zeroed?: boolean;
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
  if (job.delta && job.zeroed !== true && (await existingMatches(job, pg))) {
    await setAttributes(job);
    return { written: false, size: job.size };
  }
  const target = localPath(job.pgFile);
  const writeOpts = { atomic: false, createPath: false, mode: job.mode };
  if (job.size === 0 || job.zeroed === true) {
    await pg.write(target, Buffer.alloc(0), writeOpts);
    if (job.size > 0) await truncate(job.pgFile, job.size);
  } else {
    await copyFromRepo(job, repo, pg, target, writeOpts);
  }
  await setAttributes(job);
  return { written: true, size: job.size };
}

async function copyFromRepo(
  job: RestoreFileJob,
  repo: StorageDriver,
  pg: StorageDriver,
  target: string,
  writeOpts: { atomic: boolean; createPath: boolean; mode: number },
): Promise<void> {
  const source = (await repo.read(job.repoFile, { offset: job.repoOffset, limit: job.repoLength })) as Readable;
  const size = new SizeFilter();
  const hash = new HashFilter();
  const filters: Duplex[] = [];
  if (job.cipherPass !== undefined) filters.push(decryptStream(job.cipherPass));
  if (job.compressType !== 'none') filters.push(decompressStream(job.compressType));
  filters.push(size, hash);
  await pipeToStorage(source, filters, pg, target, writeOpts);
  const actual = hash.digest();
  if (size.size !== job.size || actual !== job.checksum) {
    await pg.remove(target);
    throw err(
      'ChecksumError',
      `error restoring '${job.name}': actual checksum '${actual}' does not match expected checksum '${job.checksum}'`,
    );
  }
}

/**
 * Delta: with `force` size and mtime decide. Otherwise a file at least as large whose first `size`
 * bytes have the manifest SHA-1 is kept, truncated to the manifest size (a relation that grew).
 */
async function existingMatches(job: RestoreFileJob, pg: StorageDriver): Promise<boolean> {
  const info = await pg.info(localPath(job.pgFile));
  if (info === null || info.type !== 'file') return false;
  if (job.force) return info.size === job.size && info.timeModified === job.timestamp;
  if (info.size < job.size) return false;
  if (job.size === 0) {
    if (job.checksum !== SHA1_EMPTY) return false;
  } else {
    const source = await pg.read(localPath(job.pgFile), { ignoreMissing: true, limit: job.size });
    if (source === null) return false;
    const hash = new HashFilter();
    await drain(source, [hash]);
    if (hash.digest() !== job.checksum) return false;
  }
  if (info.size > job.size) await truncate(job.pgFile, job.size);
  return true;
}

async function setAttributes(job: RestoreFileJob): Promise<void> {
  await chmod(job.pgFile, job.mode);
  if (job.uid !== undefined || job.gid !== undefined) await chown(job.pgFile, job.uid ?? -1, job.gid ?? -1);
  await utimes(job.pgFile, job.timestamp, job.timestamp);
}
