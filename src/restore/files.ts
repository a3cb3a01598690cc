/**
 * Restores every manifest file through the file pool (spec backup-procedure.md §8.5 steps 4–5).
 * `global/pg_control` is written under a temporary name with the others and renamed by
 * `finishPgControl` after the recovery settings, so an aborted restore cannot be started.
 */
import { renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { localFiles, localPath } from '../backup/file-stream.js';
import type { Logger } from '../log/logger.js';
import { SyncQueue } from '../storage/sync-queue.js';
import { runFileJobs } from '../parallel/file-pool.js';
import type { FileJob } from '../parallel/file-job.js';
import type { StorageDescription } from '../parallel/storage-desc.js';
import { backupStanzaPath } from '../repo/layout.js';
import { EMPTY_SHA1, fileRepoLocation, PG_DATA, PG_TBLSPC, type Manifest, type ManifestFile } from '../repo/manifest.js';
import { targetAbsolutePath } from '../backup/manifest-link.js';
import { targetQueues } from '../backup/manifest-jobs.js';
import { formatSize } from '../util/format.js';
import { startProgress } from '../progress/meter.js';
import type { RestoreFileJob, RestoreFileResult } from './file.js';
import type { OwnerIds } from './owner.js';
import { pgDestination } from './target.js';

export const PG_CONTROL = 'pg_data/global/pg_control';
const TEMP_EXT = '.pgbackrest.tmp';
const PATH_SYNCS_AT_ONCE = 16;

/**
 * Files in flight per process when the repo is an object store, one more than a backup keeps
 * (OBJECT_STORE_DEPTH): a restore's GETs cost it only their buffered bytes, at most a small file
 * read whole (2 MiB) or a stream's buffer, where a backup's uploads each hold a part. From s3rver on
 * the same two cores, a 384 MB restore at process-max 4 (982 files) took 1.61, 1.65 and 1.59 s
 * against 1.71, 1.77 and 1.64 s with two (medians of three series of six to eight A/B runs), and
 * s3rver itself used less CPU (1.23 s against 1.39 s in the second): it answers the waiting
 * requests in fewer turns of its loop. Four did no better than three. In five benches after it
 * the restore-s3 ratio to pgBackRest was 0.73-0.86 (0.79-0.84 before, with two; it moves with
 * pgBackRest's time more than ours), and 0.39-0.40 with 20 ms per request (0.54 with two).
 */
const RESTORE_OBJECT_STORE_DEPTH = 3;

export interface RestoreFilesOptions {
  manifest: Manifest;
  stanza: string;
  pgPath: string;
  storage: StorageDescription;
  processMax: number;
  delta: boolean;
  force: boolean;
  /** Manifest names not restored (tablespace_map, preserved recovery files). */
  skip: ReadonlySet<string>;
  /** Relation files of excluded databases: written as sparse zero-filled files. */
  zeroed: ReadonlySet<string>;
  owners: OwnerIds;
  log: Logger;
}

export interface RestoreFilesSummary {
  size: number;
  total: number;
  /** Files actually written (not kept by delta). */
  written: number;
}

export async function restoreFiles(o: RestoreFilesOptions): Promise<RestoreFilesSummary> {
  const files = o.manifest.files.filter((f) => !o.skip.has(f.name));
  const jobs = files.map((f) => ({ kind: 'restore', job: fileJob(o, f) }) satisfies FileJob);
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  let written = 0;
  const local = localFiles();
  const synced = new SyncQueue((f) => local.fileSync(localPath(f)));
  const queues = targetQueues(o.manifest);
  const copies = new CopySources(jobs.map((fj) => fj.job));
  // The live line on a terminal (src/progress/meter.ts); a no-op otherwise.
  const progress = startProgress({ label: 'restore', filesTotal: files.length, bytesTotal: total, log: o.log });
  try {
    await runFileJobs(jobs, {
      processMax: o.processMax,
      storage: o.storage,
      objectStoreDepth: RESTORE_OBJECT_STORE_DEPTH,
      queues: { count: queues.count, of: (fj) => queues.of((fj.job as RestoreFileJob).name) },
      around: (fj, run) =>
        copies.run(fj.job as RestoreFileJob, async (job) => (await run(job === fj.job ? fj : { kind: 'restore', job })) as RestoreFileResult),
      onResult: (result, fj, processId) => {
        const job = fj.job as RestoreFileJob;
        const r = result as RestoreFileResult;
        done += job.size;
        if (r.written) {
          written++;
          synced.add(job.pgFile);
        }
        // pgBackRest's restore prints `%.2lf` (rounded), unlike backup's truncated percent.
        const pct = total === 0 ? '100.00' : ((done * 100) / total).toFixed(2);
        progress.log.write('detail', restoreLine(job, r, pct), undefined, processId);
        progress.fileDone(job.size);
      },
    });
  } finally {
    progress.stop();
  }
  // every written file is on disk before pg_control is put in place (their directories: syncRestoredPaths)
  await synced.drain();
  return { size: total, total: files.length, written };
}

/**
 * Files of the same size and checksum (template0, template1 and postgres share most of their
 * catalog files) are fetched from the repo once: the others are copied from the first one restored,
 * on local disk, and checked against the manifest as a fetched file is (RestoreFileJob.localSource).
 * On S3 that is one GET fewer each. A file whose content is being fetched when its turn comes waits
 * for that fetch. Jobs still run in pgBackRest's order, and log the same lines.
 */
class CopySources {
  /** Content keys of more than one file. */
  private readonly shared = new Set<string>();
  /** A written file, or one delta kept after checking its SHA-1, by content key. */
  private readonly sources = new Map<string, string>();
  /** Settles once the file fetched for that content is done, restored or not. Never rejects. */
  private readonly fetching = new Map<string, Promise<void>>();

  constructor(jobs: readonly RestoreFileJob[]) {
    const seen = new Set<string>();
    for (const job of jobs) {
      const key = contentKey(job);
      if (key === undefined) continue;
      if (seen.has(key)) this.shared.add(key);
      else seen.add(key);
    }
  }

  /** Restores `job` through `restore`, from a restored file with its content where there is one. */
  async run(job: RestoreFileJob, restore: (job: RestoreFileJob) => Promise<RestoreFileResult>): Promise<RestoreFileResult> {
    const key = contentKey(job);
    if (key === undefined || !this.shared.has(key)) return restore(job);
    // no await without a fetch to wait for: jobs started in the same turn would all fetch
    const fetching = this.fetching.get(key);
    if (fetching !== undefined) await fetching;
    const source = this.sources.get(key);
    if (source !== undefined) return restore({ ...job, localSource: source });
    let fetched!: () => void;
    this.fetching.set(key, new Promise<void>((resolve) => (fetched = resolve)));
    try {
      const r = await restore(job);
      // kept by --force for its size and mtime alone, its content is unknown
      if (r.written || job.force !== true) this.sources.set(key, job.pgFile);
      return r;
    } finally {
      this.fetching.delete(key);
      fetched();
    }
  }
}

/** What files with the same bytes share; undefined for files with nothing to fetch. */
function contentKey(job: RestoreFileJob): string | undefined {
  return job.size === 0 || job.zeroed === true ? undefined : `${job.size}/${job.checksum}`;
}

/**
 * The directories of the restore are synced once, as pgBackRest does after writing the recovery
 * settings, rather than once per file: first the directories of file links, then every manifest
 * path but pg_tblspc (a name only) and global (synced after pg_control is in place), with
 * pgBackRest's detail lines.
 */
export async function syncRestoredPaths(m: Manifest, pgPath: string, log: Logger): Promise<void> {
  const dirs: string[] = [];
  for (const t of m.targets) {
    if (t.type !== 'link' || t.file === undefined) continue;
    const dir = targetAbsolutePath(t, pgPath);
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  for (const p of m.paths) {
    if (p.name === PG_TBLSPC || p.name === `${PG_DATA}/global`) continue;
    dirs.push(pgDestination(pgPath, p.name));
  }
  const local = localFiles();
  const synced = new SyncQueue((d) => local.pathSync(localPath(d)), PATH_SYNCS_AT_ONCE);
  for (const d of dirs) {
    log.detail(`sync path '${d}'`);
    synced.add(d);
  }
  await synced.drain();
}

function restoreLine(job: RestoreFileJob, r: RestoreFileResult, pct: string): string {
  if (job.zeroed === true) return `restore zeroed file ${job.pgFile} (${formatSize(job.size)}, ${pct}%)`;
  const kept = r.written
    ? ''
    : job.force === true
      ? ` - exists and matches size ${job.size} and modification time ${job.timestamp}`
      : job.size === 0
        ? ' - exists and is zero size'
        : ' - exists and matches backup';
  const sum = job.size === 0 ? '' : ` checksum ${job.checksum}`;
  return `restore file ${job.pgFile}${kept} (${formatSize(job.size)}, ${pct}%)${sum}`;
}

function fileJob(o: RestoreFilesOptions, f: ManifestFile): RestoreFileJob {
  const m = o.manifest;
  const loc = fileRepoLocation(m, f);
  const zeroed = o.zeroed.has(f.name);
  const dest = pgDestination(o.pgPath, f.name) + (f.name === PG_CONTROL ? TEMP_EXT : '');
  const job: RestoreFileJob = {
    name: f.name,
    pgFile: dest,
    size: f.size,
    checksum: f.checksum ?? EMPTY_SHA1,
    mode: f.mode,
    timestamp: f.timestamp,
    repoFile: loc.kind === 'none' ? '' : `${backupStanzaPath(o.stanza)}/${loc.path}`,
    compressType: m.options.compressType,
    // pgBackRest 2.45: --force alone copies every file (the clean still treats the target as a
    // delta); with --delta it compares size and mtime instead of checksums
    delta: o.delta,
    force: o.delta && o.force,
    copyStart: m.backup.timestampCopyStart,
    ...(zeroed ? { zeroed: true } : {}),
  };
  if (loc.kind === 'bundle') Object.assign(job, { repoOffset: loc.offset, repoLength: loc.length });
  if (m.cipherPass !== undefined) job.cipherPass = m.cipherPass;
  if (o.owners.enabled) Object.assign(job, { uid: o.owners.uid(f.user), gid: o.owners.gid(f.group) });
  return job;
}

/** The last step of a restore: the temporary pg_control becomes the real one, and global is synced. */
export async function finishPgControl(m: Manifest, pgPath: string, log: Logger): Promise<void> {
  const dest = pgDestination(pgPath, PG_CONTROL);
  if (m.files.some((f) => f.name === PG_CONTROL)) {
    log.info('restore global/pg_control (performed last to ensure aborted restores cannot be started)');
    renameSync(dest + TEMP_EXT, dest);
  } else {
    log.warn("backup does not contain 'global/pg_control' -- cluster will not start");
  }
  const global = dirname(dest);
  log.detail(`sync path '${global}'`);
  await localFiles().pathSync(localPath(global));
}
