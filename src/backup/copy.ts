import type { CompressType } from '../io/compress.js';
import { extensionOf } from '../io/compress.js';
import type { Logger } from '../log/logger.js';
import type { LockHandle } from '../lock/lock.js';
import type { BackupFileResult } from './file.js';
import type { CopyJob } from './manifest-build.js';
import { pageErrorListText, type Manifest, type ManifestFile } from '../repo/manifest.js';
import { backupSetPath } from '../repo/layout.js';
import { runFileJobs, workerThreads } from '../parallel/file-pool.js';
import type { FileJob } from '../parallel/file-job.js';
import type { StorageDescription } from '../parallel/storage-desc.js';
import { formatSize } from '../util/format.js';
import { percentHundredths, percentText } from '../progress/format.js';
import { startProgress } from '../progress/meter.js';

export interface CopyOptions {
  jobs: CopyJob[];
  manifest: Manifest;
  stanza: string;
  storage: StorageDescription;
  processMax: number;
  compressType: CompressType;
  compressLevel?: number;
  cipherPass?: string;
  log: Logger;
  lock?: LockHandle;
  /** Called with the manifest name of each file written into the set (to sync it, set-paths.ts). */
  copied?: (name: string) => void;
  /** Save the partial manifest whenever this many more bytes were copied, so a resume keeps them. */
  checkpoint?: { bytes: number; save: () => Promise<void> };
  /**
   * Epoch ms of the manifest's copy start (online backups): no file is read before it unless its
   * mtime is old enough (see `readyToCopy`).
   */
  copyStart?: number;
}

/**
 * Copy every job's file into the backup set, `process-max` at a time, and record what each copy
 * found in the manifest: checksum, sizes, rck, page checksum results; files that vanished are
 * dropped from it. Logs pgBackRest's per-file detail lines with the worker's process number, keeps
 * the lock file's percent complete current for `info` (rewritten, as pgBackRest does, when it has
 * grown by more than 0.1 %), and drives the terminal progress line (src/progress/meter.ts).
 */
export async function copyFiles(o: CopyOptions): Promise<void> {
  const byName = new Map(o.manifest.files.map((f) => [f.name, f]));
  const ext = extensionOf(o.compressType);
  const setPath = backupSetPath(o.stanza, o.manifest.backup.label);
  const total = o.jobs.reduce((n, j) => n + j.size, 0);
  let done = 0;
  let lastPct = 0;
  const removed = new Set<string>();
  let sinceSave = 0;
  let saving: Promise<void> | undefined;
  const threads = compressThreads(o.compressType, o.processMax);
  const fileJobs: FileJob[] = o.jobs.map((j) => ({
    kind: 'backup',
    job: {
      pgFile: j.pgFile,
      pgFileSize: j.size,
      pgFileChecksumPage: j.checksumPage,
      ...(j.checksum !== undefined ? { checksumCompare: { checksum: j.checksum, size: j.size } } : {}),
      repoFile: `${setPath}/${j.name}${ext}`,
      compressType: o.compressType,
      ...(o.compressLevel !== undefined ? { compressLevel: o.compressLevel } : {}),
      ...(threads > 1 && j.size >= PARALLEL_COMPRESS_MIN ? { compressThreads: threads } : {}),
      ...(o.cipherPass !== undefined ? { cipherPass: o.cipherPass } : {}),
    },
  }));
  const jobByFile = new Map(o.jobs.map((j) => [j.pgFile, j]));
  const progress = startProgress({ label: 'backup', filesTotal: o.jobs.length, bytesTotal: total, log: o.log });
  try {
    const copyStart = o.copyStart;
    await runFileJobs(fileJobs, {
      processMax: o.processMax,
      storage: o.storage,
      ...(copyStart !== undefined
        ? { readyAt: (fj: FileJob) => readyToCopy(byName.get(jobByFile.get(fj.job.pgFile as string)!.name)!.timestamp, copyStart) }
        : {}),
      onResult: (result, fj, processId) => {
        const job = jobByFile.get(fj.job.pgFile as string) as CopyJob;
        const file = byName.get(job.name) as ManifestFile;
        done += job.size;
        const pctCplt = percentHundredths(done, total);
        const r = result as BackupFileResult;
        record(progress.log, file, job, r, percentText(pctCplt), processId, removed);
        if (r.copied) o.copied?.(job.name);
        progress.fileDone(job.size);
        if (o.lock && pctCplt - lastPct > 10) {
          o.lock.progress(pctCplt);
          lastPct = pctCplt;
        }
        sinceSave += job.size;
        if (o.checkpoint && sinceSave >= o.checkpoint.bytes && saving === undefined) {
          sinceSave = 0;
          saving = o.checkpoint.save().finally(() => (saving = undefined));
        }
      },
    });
  } finally {
    progress.stop();
    await saving;
  }
  if (removed.size > 0) o.manifest.files = o.manifest.files.filter((f) => !removed.has(f.name));
}

/**
 * When a file may be read (epoch ms), given its manifest mtime (epoch s) and the copy start.
 *
 * An incremental backup finds changed files by size and mtime in whole seconds, so a change made
 * after a file was read must leave it with a later mtime second than the one recorded. pgBackRest
 * reads nothing before copy start, the second after the manifest was built. For that guarantee a
 * file need only be read in a later second than its recorded mtime: a change after the read is
 * stamped no earlier than the read. So a file modified in the last second waits for the next
 * second, older files go at once, and none waits past copy start. The margin covers the kernel's
 * coarse file clock, which lags the real one by up to a tick: a change at 12:00:01.002 may be
 * stamped 12:00:00.998.
 */
export function readyToCopy(mtime: number, copyStart: number): number {
  return Math.min((mtime + 1) * 1000, copyStart) + MTIME_CLOCK_MARGIN_MS;
}

const MTIME_CLOCK_MARGIN_MS = 50;

/** Files at least this large may be compressed on several threads (eight or more 2 MiB zst jobs, 1 MiB gz pieces). */
const PARALLEL_COMPRESS_MIN = 16 * 1024 * 1024;

/**
 * Threads one large file may compress on. With process-max above the cores, the worker threads are
 * capped at the cores (file-pool.ts) and the user has let every core be busy: a large file may
 * then compress on all of them, so it ends with the other files instead of alone on one core long
 * after them (process-max 4 on two cores, a 134 MB file: zst backup 3.8 s instead of 4.0). At or
 * below the cores every file keeps one thread, so no more cores compress than process-max allows.
 * pgBackRest compresses each file in one process. zst uses libzstd's threads, gz pieces on libuv's
 * pool (io/gz.ts); the other types compress on one thread.
 */
export function compressThreads(type: CompressType, processMax: number): number {
  const threads = workerThreads(processMax);
  return (type === 'zst' || type === 'gz') && processMax > threads ? threads : 1;
}

function record(log: Logger, file: ManifestFile, job: CopyJob, r: BackupFileResult, pct: string, pid: number, removed: Set<string>): void {
  if (!r.copied && 'skipped' in r) {
    log.write('detail', `skip file removed by database ${job.pgFile}`, undefined, pid);
    removed.add(file.name);
    return;
  }
  if (!r.copied) {
    log.write('detail', `match file from prior backup ${job.pgFile} (${formatSize(r.size)}, ${pct}%)${checksumText(r)}`, undefined, pid);
    return;
  }
  file.size = r.size;
  file.checksum = r.checksum;
  file.repoSize = r.repoSize;
  if (r.rck !== undefined) file.rck = r.rck;
  else delete file.rck;
  delete file.reference;
  if (r.pageChecksum !== undefined) {
    file.checksumPage = r.pageChecksum.valid;
    if (!r.pageChecksum.valid && r.pageChecksum.errors.length > 0) file.checksumPageError = r.pageChecksum.errors;
    else delete file.checksumPageError;
    pageWarning(log, job.pgFile, r.size, r.pageChecksum, pid);
  }
  log.write('detail', `backup file ${job.pgFile} (${formatSize(r.size)}, ${pct}%)${checksumText(r)}`, undefined, pid);
}

function pageWarning(log: Logger, path: string, size: number, pc: NonNullable<Extract<BackupFileResult, { copied: true }>['pageChecksum']>, pid: number): void {
  if (pc.valid) return;
  if (!pc.align) {
    log.write('warn', `page misalignment in file ${path}: file size ${size} is not divisible by page size 8192`, undefined, pid);
  } else if (pc.errors.length > 0) {
    log.write('warn', `invalid page checksums found in file ${path} at pages ${pageErrorListText(pc.errors)}`, undefined, pid);
  }
}

/** pgBackRest names no checksum for an empty file. */
function checksumText(r: { size: number; checksum: string }): string {
  return r.size === 0 ? '' : ` checksum ${r.checksum}`;
}
