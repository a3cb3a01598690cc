import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { backupBundle, type BackupBundleJob, type BackupBundleResult } from '../backup/bundle.js';
import { backupFile, type BackupFileJob, type BackupFileResult } from '../backup/file.js';
import { err } from '../error/error.js';
import { compressSync, type CompressType } from '../io/compress.js';
import { sha1Hex } from '../io/hash.js';
import { openReadError } from '../postgres/file-error.js';
import { PG_WAL_HEADER_SIZE } from '../postgres/wal.js';
import { sysErr } from '../storage/errno.js';
import type { StorageDriver } from '../storage/storage.js';
import { restoreFile, type RestoreFileJob, type RestoreFileResult } from '../restore/file.js';
import { storageFromDescription, type StorageDescription } from './storage-desc.js';
import type { JobRunner } from './worker-runtime.js';

/**
 * One WAL segment of the asynchronous archive-push, read, hashed and compressed in a worker, so
 * `process-max` segments compress at once and the archiver's main thread never holds a whole
 * segment: only the compressed copy comes back, moved rather than copied.
 */
export interface SegmentJob {
  path: string;
  compressType: CompressType;
  level?: number;
}

export interface SegmentResult {
  /** Bytes read. */
  size: number;
  /** The first PG_WAL_HEADER_SIZE bytes (fewer in a shorter file). */
  head: Uint8Array;
  sha1: string;
  /** The compressed segment. */
  data: Uint8Array;
}

/**
 * The jobs the file pool runs: one backup or restore of one file against the repo storage, or the
 * backup of several small files into one bundle.
 */
export type FileJob = { kind: 'backup'; job: BackupFileJob } | { kind: 'bundle'; job: BackupBundleJob } | { kind: 'restore'; job: RestoreFileJob };
export type FileJobResult = BackupFileResult | BackupBundleResult | RestoreFileResult;

/** Everything a worker thread (dist/worker.cjs) runs. */
export type WorkerJob = FileJob | { kind: 'segment'; job: SegmentJob };
export type WorkerJobResult = FileJobResult | SegmentResult;

/** `workerData` of a file worker. Segment jobs need no storage. */
export interface FileWorkerData {
  storage?: StorageDescription;
}

/** Bytes a job moves: the queue hands out the largest first. */
export function fileJobSize(j: FileJob): number {
  switch (j.kind) {
    case 'backup':
      return j.job.pgFileSize;
    case 'bundle':
      return j.job.files.reduce((n, f) => n + f.pgFileSize, 0);
    case 'restore':
      return j.job.size;
  }
}

/** What names a job in the queue's order among jobs of the same size: its file (a bundle: its repo file). */
export function fileJobPath(j: FileJob): string {
  return j.kind === 'bundle' ? j.job.repoFile : j.job.pgFile;
}

/** Runner of file jobs in this thread (process-max 1). */
export async function fileJobRunner(desc: StorageDescription): Promise<JobRunner<FileJob, FileJobResult>> {
  const runner = await workerJobRunner(desc);
  return { run: (j) => runner.run(j) as Promise<FileJobResult>, close: () => runner.close() };
}

/**
 * Runner of a worker thread. The repo storage described by `desc` is opened on the first backup or
 * restore job and closed with the runner.
 */
export async function workerJobRunner(desc: StorageDescription | undefined): Promise<JobRunner<WorkerJob, WorkerJobResult>> {
  let repo: Promise<StorageDriver> | undefined;
  const storage = (): Promise<StorageDriver> => {
    if (desc === undefined) return Promise.reject(err('AssertError', 'file worker has no repo storage'));
    return (repo ??= storageFromDescription(desc));
  };
  const segments = new SegmentReader();
  return {
    run: async (j) => {
      switch (j.kind) {
        case 'segment':
          return segments.run(j.job);
        case 'backup':
          return backupFile(j.job, await storage());
        case 'bundle':
          return backupBundle(j.job, await storage());
        case 'restore':
          return restoreFile(j.job, await storage());
      }
    },
    // A compressed segment goes back by moving its memory when it owns all of it (never a slice of
    // Node's shared pool of small buffers, which must not be detached).
    transfer: (r) => {
      if (!('head' in r)) return [];
      const { buffer, byteOffset, byteLength } = r.data;
      return buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength ? [buffer] : [];
    },
    close: async () => {
      await (await repo?.catch(() => undefined))?.close?.();
    },
  };
}

/** Reads each segment into one buffer kept for the next (segments are all the same size). */
class SegmentReader {
  private buf: Buffer | undefined;

  run(job: SegmentJob): SegmentResult {
    const data = this.read(job.path);
    const compressed = compressSync(job.compressType, data, job.level);
    return {
      size: data.length,
      head: Buffer.from(data.subarray(0, PG_WAL_HEADER_SIZE)),
      sha1: sha1Hex(data),
      // `none` hands back its input, which is this reader's buffer
      data: compressed === data ? Buffer.from(data) : compressed,
    };
  }

  private read(path: string): Buffer {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw openReadError(path, e);
    }
    try {
      let length = 0;
      for (;;) {
        if (this.buf === undefined || length === this.buf.length) {
          const grown = Buffer.allocUnsafeSlow(Math.max(fstatSync(fd).size + 1, (this.buf?.length ?? 0) * 2, 64 * 1024));
          if (this.buf !== undefined) this.buf.copy(grown, 0, 0, length);
          this.buf = grown;
        }
        const n = readSync(fd, this.buf, length, this.buf.length - length, null);
        if (n === 0) return this.buf.subarray(0, length);
        length += n;
      }
    } catch (e) {
      throw sysErr('FileReadError', `unable to read '${path}'`, e);
    } finally {
      closeSync(fd);
    }
  }
}
