import { backupFile, type BackupFileJob, type BackupFileResult } from '../backup/file.js';
import { restoreFile, type RestoreFileJob, type RestoreFileResult } from '../restore/file.js';
import { storageFromDescription, type StorageDescription } from './storage-desc.js';
import type { JobRunner } from './worker-runtime.js';

/** The jobs the file pool runs: one backup or restore of one file against the repo storage. */
export type FileJob = { kind: 'backup'; job: BackupFileJob } | { kind: 'restore'; job: RestoreFileJob };
export type FileJobResult = BackupFileResult | RestoreFileResult;

/** `workerData` of a file worker. */
export interface FileWorkerData {
  storage: StorageDescription;
}

/** Bytes a job moves: the queue hands out the largest first. */
export function fileJobSize(j: FileJob): number {
  return j.kind === 'backup' ? j.job.pgFileSize : j.job.size;
}

/** Runner over the repo storage described by `desc`; the driver is closed with the runner. */
export async function fileJobRunner(desc: StorageDescription): Promise<JobRunner<FileJob, FileJobResult>> {
  const repo = await storageFromDescription(desc);
  return {
    run: (j) => (j.kind === 'backup' ? backupFile(j.job, repo) : restoreFile(j.job, repo)),
    close: async () => {
      await repo.close?.();
    },
  };
}
