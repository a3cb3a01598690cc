import type { CompressType } from '../io/compress.js';
import { extensionOf } from '../io/compress.js';
import type { Logger } from '../log/logger.js';
import type { LockHandle } from '../lock/lock.js';
import type { BackupBundleResult } from './bundle.js';
import type { BackupFileJob, BackupFileResult } from './file.js';
import type { CopyJob } from './manifest-build.js';
import { targetQueues, type ResumedCopy } from './manifest-jobs.js';
import { pageErrorListText, STORED_KEYS, type Manifest, type ManifestFile } from '../repo/manifest.js';
import { backupSetPath, BUNDLE_PATH } from '../repo/layout.js';
import { compareBytes } from '../repo/json.js';
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
  /** repo-bundle=y: small files are stored together (see planBundles). */
  bundle?: BundleSettings;
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
  const fileJob = (j: CopyJob): BackupFileJob => ({
    pgFile: j.pgFile,
    pgFileSize: j.size,
    pgFileChecksumPage: j.checksumPage,
    ...(j.checksum !== undefined ? { checksumCompare: { checksum: j.checksum, size: j.size } } : {}),
    ...(j.resumed !== undefined ? { resumeCheck: resumeCheckOf(j.resumed, j.size) } : {}),
    repoFile: `${setPath}/${j.name}${ext}`,
    compressType: o.compressType,
    ...(o.compressLevel !== undefined ? { compressLevel: o.compressLevel } : {}),
    ...(threads > 1 && j.size >= PARALLEL_COMPRESS_MIN ? { compressThreads: threads } : {}),
    ...(o.cipherPass !== undefined ? { cipherPass: o.cipherPass } : {}),
  });
  // a resumed copy is a file of its own (bundles are never resumed)
  const groups =
    o.bundle === undefined
      ? o.jobs.map((j) => [j])
      : [...o.jobs.filter((j) => j.resumed !== undefined).map((j) => [j]), ...planBundles(o.jobs.filter((j) => j.resumed === undefined), o.bundle, (j) => byName.get(j.name)!.timestamp)];
  // each pool job's copy jobs, by the first one's source path (unique: a file is in one group)
  const groupOf = new Map<string, CopyJob[]>();
  let bundleId = 0;
  const fileJobs: FileJob[] = groups.map((group) => {
    groupOf.set(group[0]!.pgFile, group);
    if (o.bundle === undefined || group[0]!.size > o.bundle.limit || group[0]!.resumed !== undefined) return { kind: 'backup', job: fileJob(group[0]!) };
    bundleId++;
    return { kind: 'bundle', job: { repoFile: `${setPath}/${BUNDLE_PATH}/${bundleId}`, bundleId, files: group.map(fileJob) } };
  });
  const firstPgFile = (fj: FileJob): string => (fj.kind === 'bundle' ? fj.job.files[0]!.pgFile : (fj.job.pgFile as string));
  const progress = startProgress({ label: 'backup', filesTotal: o.jobs.length, bytesTotal: total, log: o.log });
  const fileDone = (job: CopyJob, r: BackupFileResult, processId: number, bundle: { id: number; offset?: number } | undefined): void => {
    const file = byName.get(job.name) as ManifestFile;
    done += job.size;
    const pctCplt = percentHundredths(done, total);
    record(progress.log, file, job, r, percentText(pctCplt), processId, removed, bundle);
    if (r.copied) o.copied?.(job.name);
    progress.fileDone(job.size);
    if (o.lock && pctCplt - lastPct > 10) {
      o.lock.progress(pctCplt);
      lastPct = pctCplt;
    }
    sinceSave += job.size;
  };
  try {
    const copyStart = o.copyStart;
    await runFileJobs(fileJobs, {
      processMax: o.processMax,
      storage: o.storage,
      // as 2.45 queues them: each queue's files over the bundle limit (largest first), then its bundles
      inOrder: o.bundle !== undefined,
      queues: { count: targetQueues(o.manifest).count, of: (fj: FileJob) => groupOf.get(firstPgFile(fj))![0]!.queue },
      // a bundle is read from its first file on, so it waits for the latest of its files
      ...(copyStart !== undefined
        ? {
            readyAt: (fj: FileJob) =>
              groupOf.get(firstPgFile(fj))!.reduce((at, j) => Math.max(at, readyToCopy(byName.get(j.name)!.timestamp, copyStart)), 0),
          }
        : {}),
      onResult: (result, fj, processId) => {
        const group = groupOf.get(firstPgFile(fj))!;
        if (fj.kind === 'bundle') {
          const r = result as BackupBundleResult;
          group.forEach((job, i) => fileDone(job, r.files[i]!, processId, { id: r.bundleId, offset: r.files[i]!.bundleOffset }));
        } else {
          fileDone(group[0]!, result as BackupFileResult, processId, undefined);
        }
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

/** repo-bundle-size and repo-bundle-limit, in bytes. */
export interface BundleSettings {
  size: number;
  limit: number;
}

/**
 * The copy jobs grouped as pgBackRest 2.45 groups them for repo-bundle (backupProcessQueue,
 * backupJobCallback), one group per pool job. Each queue (pg_data, then each tablespace) is sorted
 * with the files over `limit` first, largest first, then the others oldest first (ties: name in
 * descending byte order), so files that change together are stored together. A file over the
 * limit is a job of its own. A bundle starts with the first file left and takes every later file
 * that keeps its total (of original sizes) under `size`, skipping those that would not; nothing
 * else closes it. Groups are returned in queue order.
 */
export function planBundles(jobs: readonly CopyJob[], s: BundleSettings, timestamp: (j: CopyJob) => number): CopyJob[][] {
  const queues = new Map<number, CopyJob[]>();
  for (const j of jobs) {
    const q = queues.get(j.queue);
    if (q === undefined) queues.set(j.queue, [j]);
    else q.push(j);
  }
  const groups: CopyJob[][] = [];
  for (const queueNo of [...queues.keys()].sort((a, b) => a - b)) {
    let left = queues.get(queueNo)!.sort((a, b) => bundleOrder(a, b, s.limit, timestamp));
    while (left.length > 0) {
      const first = left[0]!;
      if (first.size > s.limit) {
        groups.push([first]);
        left = left.slice(1);
        continue;
      }
      // no file is smaller than the smallest left now: once that one cannot fit, none can
      const smallest = left.reduce((m, j) => Math.min(m, j.size), Infinity);
      const group = [first];
      const rest: CopyJob[] = [];
      let total = first.size;
      for (let i = 1; i < left.length; i++) {
        if (total + smallest >= s.size) {
          for (let k = i; k < left.length; k++) rest.push(left[k]!);
          break;
        }
        const j = left[i]!;
        if (total + j.size >= s.size) rest.push(j);
        else {
          group.push(j);
          total += j.size;
        }
      }
      groups.push(group);
      left = rest;
    }
  }
  return groups;
}

function bundleOrder(a: CopyJob, b: CopyJob, limit: number, timestamp: (j: CopyJob) => number): number {
  if (a.size > limit || b.size > limit) return b.size - a.size || compareBytes(b.name, a.name);
  return timestamp(a) - timestamp(b) || compareBytes(b.name, a.name);
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

function record(
  log: Logger, file: ManifestFile, job: CopyJob, r: BackupFileResult, pct: string, pid: number, removed: Set<string>,
  bundle: { id: number; offset?: number } | undefined,
): void {
  if (!r.copied && 'skipped' in r) {
    log.write('detail', `skip file removed by database ${job.pgFile}`, undefined, pid);
    removed.add(file.name);
    return;
  }
  if (!r.copied && 'resumed' in r) {
    // the interrupted backup's copy stands: the entry takes what the partial manifest recorded
    const prev = job.resumed!;
    Object.assign(file, { checksum: prev.checksum, repoSize: prev.repoSize });
    if (prev.rck !== undefined) file.rck = prev.rck;
    else delete file.rck;
    if (prev.checksumPage !== undefined) file.checksumPage = prev.checksumPage;
    if (prev.checksumPageError !== undefined) file.checksumPageError = prev.checksumPageError;
    log.write('detail', `checksum resumed file ${job.pgFile} (${formatSize(file.size)}, ${pct}%)${checksumText({ size: file.size, checksum: prev.checksum })}`, undefined, pid);
    return;
  }
  if (!r.copied) {
    log.write('detail', `match file from prior backup ${job.pgFile} (${formatSize(r.size)}, ${pct}%)${checksumText(r)}`, undefined, pid);
    return;
  }
  file.size = r.size;
  file.checksum = r.checksum;
  file.repoSize = r.repoSize;
  // stored anew, here: nothing of a prior copy's location may stay (a delta re-copy of a file the
  // prior stored in a bundle kept its bundle id, which then named a bundle of this backup)
  for (const key of STORED_KEYS) delete file[key];
  if (r.rck !== undefined) file.rck = r.rck;
  if (bundle !== undefined) {
    file.bundleId = bundle.id;
    file.bundleOffset = bundle.offset ?? 0;
  }
  if (r.pageChecksum !== undefined) {
    file.checksumPage = r.pageChecksum.valid;
    if (!r.pageChecksum.valid && r.pageChecksum.errors.length > 0) file.checksumPageError = r.pageChecksum.errors;
    else delete file.checksumPageError;
  }
  const where = bundle === undefined ? '' : `bundle ${bundle.id}/${bundle.offset ?? 0}, `;
  log.write('detail', `backup file ${job.pgFile} (${where}${formatSize(r.size)}, ${pct}%)${checksumText(r)}`, undefined, pid);
  // after the file's line, as 2.45 logs it
  if (r.pageChecksum !== undefined) pageWarning(log, job.pgFile, r.size, r.pageChecksum, pid);
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

/** What the worker checks before it keeps a resumed copy (BackupFileJob.resumeCheck). */
function resumeCheckOf(r: ResumedCopy, size: number): NonNullable<BackupFileJob['resumeCheck']> {
  return { sha1: r.rck ?? r.checksum, repoSize: r.repoSize, ...(r.checkSource === true ? { source: { checksum: r.checksum, size } } : {}) };
}
