/**
 * The copy work a new manifest implies, queued as pgBackRest 2.45 queues it (backupProcessQueue):
 * one queue per target (pg_data first, then each tablespace), each sorted by size then name,
 * largest first.
 */
import { err } from '../error/error.js';
import { compareBytes } from '../repo/json.js';
import { PG_DATA, type Manifest, type ManifestFile } from '../repo/manifest-types.js';
import { pgRelativeName } from './manifest-link.js';

export interface CopyJob {
  /** Manifest name. */
  name: string;
  /** Absolute path to read (through the pg_tblspc link for tablespace files). */
  pgFile: string;
  size: number;
  /** Verify page checksums while copying. */
  checksumPage: boolean;
  /** Relation segment from a `.N` suffix (0 without one): block numbers start at N × 131072. */
  segmentNo: number;
  /** 0 = pg_data, then one per tablespace target in name order. */
  queue: number;
  /**
   * Set for a delta re-check of a file the prior stored: copy only if the file's SHA-1 is not
   * `checksum`; otherwise the manifest entry keeps pointing at `reference`.
   */
  reference?: string;
  checksum?: string;
  /**
   * Set by a resume (resume.ts): the interrupted backup stored this file and its partial manifest
   * recorded it so. The copy checks the stored bytes against that record and keeps them when they
   * match, or copies the file again.
   */
  resumed?: ResumedCopy;
}

/** What a partial manifest recorded of a stored file. */
export interface ResumedCopy {
  checksum: string;
  repoSize: number;
  /** Absent when stored as is (compress-type none, no encryption). */
  rck?: string;
  checksumPage?: boolean;
  checksumPageError?: ManifestFile['checksumPageError'];
  /**
   * --delta: keep the copy only while the source still hashes to `checksum` (2.45 checks every
   * resumed file's source with delta, not its mtime).
   */
  checkSource?: boolean;
}

const PG_CONTROL = `${PG_DATA}/global/pg_control`;

export function segmentNumber(name: string): number {
  const m = /\.([0-9]+)$/.exec(name);
  return m === null ? 0 : Number(m[1]);
}

export interface PlanJobsInput {
  manifest: Manifest;
  /** PGDATA as given to the walk. */
  pgPath: string;
  delta: boolean;
  /** Names of files whose page checksums are verified when they are copied. */
  checksumPageFiles: ReadonlySet<string>;
}

/**
 * pgBackRest's processing queues of a backup or restore (backupProcessQueue, restoreProcessQueue):
 * one for pg_data, then one per tablespace target in the manifest's order. `of` gives the queue of
 * a manifest file name.
 */
export function targetQueues(manifest: Manifest): { count: number; of: (name: string) => number } {
  const prefixes = [`${PG_DATA}/`, ...manifest.targets.filter((t) => t.tablespaceId !== undefined).map((t) => `${t.name}/`)];
  return {
    count: prefixes.length,
    of: (name) => {
      const queue = prefixes.findIndex((p) => name.startsWith(p));
      if (queue === -1) throw err('AssertError', 'backup target not found');
      return queue;
    },
  };
}

/**
 * Every file without a reference, plus referenced non-empty files when delta is on. Throws like
 * pgBackRest when an online backup would not copy pg_control (a clock or timestamp problem) and
 * when there is nothing to copy at all.
 */
export function planCopyJobs(input: PlanJobsInput): CopyJob[] {
  const { manifest } = input;
  const queues = targetQueues(manifest);
  const jobs: CopyJob[] = [];
  for (const file of manifest.files) {
    if (file.reference !== undefined && (!input.delta || file.size === 0)) continue;
    const queue = queues.of(file.name);
    jobs.push({
      name: file.name,
      pgFile: `${input.pgPath}/${pgRelativeName(file.name)}`,
      size: file.size,
      checksumPage: input.checksumPageFiles.has(file.name),
      segmentNo: segmentNumber(file.name),
      queue,
      ...(file.reference === undefined ? {} : { reference: file.reference, checksum: file.checksum }),
    });
  }
  if (manifest.options.online && !jobs.some((j) => j.name === PG_CONTROL)) {
    throw err('FileMissingError', 'pg_control must be present in all online backups', {
      hints: ['is something wrong with the clock or filesystem timestamps?'],
    });
  }
  if (jobs.length === 0) throw err('FileMissingError', 'no files have changed since the last backup - this seems unlikely');
  return jobs.sort((a, b) => b.size - a.size || compareBytes(b.name, a.name));
}
