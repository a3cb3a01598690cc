import { backupFile, type BackupFileJob, type BackupFileResult } from '../backup/file.js';
import { err } from '../error/error.js';
import { compressSync, type CompressType } from '../io/compress.js';
import type { StorageDriver } from '../storage/storage.js';
import { restoreFile, type RestoreFileJob, type RestoreFileResult } from '../restore/file.js';
import { storageFromDescription, type StorageDescription } from './storage-desc.js';
import type { JobRunner } from './worker-runtime.js';

/**
 * Compression of bytes already in memory: the asynchronous archive-push reads and hashes each WAL
 * segment itself and has the workers compress them, `process-max` segments at once.
 */
export interface CompressJob {
  /** Arrives as a plain Uint8Array (structured clone). */
  data: Uint8Array;
  compressType: CompressType;
  level?: number;
}

export interface CompressResult {
  data: Uint8Array;
}

/** The jobs the file pool runs: one backup or restore of one file against the repo storage. */
export type FileJob = { kind: 'backup'; job: BackupFileJob } | { kind: 'restore'; job: RestoreFileJob };
export type FileJobResult = BackupFileResult | RestoreFileResult;

/** Everything a worker thread (pgbackrest-worker.mjs) runs. */
export type WorkerJob = FileJob | { kind: 'compress'; job: CompressJob };
export type WorkerJobResult = FileJobResult | CompressResult;

/** `workerData` of a file worker. Compress jobs need no storage. */
export interface FileWorkerData {
  storage?: StorageDescription;
}

/** Bytes a job moves: the queue hands out the largest first. */
export function fileJobSize(j: FileJob): number {
  return j.kind === 'backup' ? j.job.pgFileSize : j.job.size;
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
  return {
    run: async (j) => {
      if (j.kind === 'compress') return compressJob(j.job);
      return j.kind === 'backup' ? backupFile(j.job, await storage()) : restoreFile(j.job, await storage());
    },
    close: async () => {
      await (await repo?.catch(() => undefined))?.close?.();
    },
  };
}

function compressJob(job: CompressJob): CompressResult {
  const data = Buffer.from(job.data.buffer, job.data.byteOffset, job.data.length);
  return { data: compressSync(job.compressType, data, job.level) };
}
