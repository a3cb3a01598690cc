/**
 * WAL retention of pgBackRest 2.45's expire, per archive id. Pure: the caller lists the repository
 * and hands the names in; the plan says what to delete and what to log.
 */
import { err } from '../error/error.js';
import type { RetentionEntry } from './plan-backups.js';

export type ArchiveRetentionType = 'full' | 'diff' | 'incr';

const TYPES: Readonly<Record<ArchiveRetentionType, ReadonlyArray<RetentionEntry['type']>>> = {
  full: ['full'],
  diff: ['full', 'diff'],
  incr: ['full', 'diff', 'incr'],
};

export interface HistoryId {
  id: number;
  version: string;
  systemId: bigint;
}

/** WAL a backup needs: `start` onward, up to `stop` (open for the archive-retention backup). */
export interface ArchiveRange {
  label: string;
  start: string;
  stop?: string;
}

export type ArchiveIdPlan =
  | { archiveId: string; action: 'remove-path' }
  | { archiveId: string; action: 'none' }
  | { archiveId: string; action: 'expire'; ranges: ArchiveRange[]; retentionStart: string };

/**
 * The backups whose WAL is kept from their start onward, newest first (`retention` of the type's
 * backups), or undefined when there are too few backups yet (nothing is expired then).
 */
export function archiveRetentionList(
  backups: readonly RetentionEntry[],
  type: ArchiveRetentionType,
  retention: number,
): { all: string[]; kept: string[] } | undefined {
  const all = backups.filter((b) => TYPES[type].includes(b.type)).map((b) => b.label).sort().reverse();
  if (all.length === 0 || retention > all.length) return undefined;
  return { all, kept: all.slice(0, retention) };
}

/** archive.info and backup.info must describe the same clusters, newest first, or nothing is expired. */
export function checkHistoryMatch(archive: readonly HistoryId[], backup: readonly HistoryId[]): void {
  const desc = (h: readonly HistoryId[]) => [...h].sort((a, b) => b.id - a.id);
  const b = desc(backup);
  desc(archive).forEach((a, i) => {
    const m = b[i];
    if (m === undefined || m.id !== a.id || m.systemId !== a.systemId || m.version !== a.version) {
      throw err('FormatError', 'archive expiration cannot continue - archive and backup history lists do not match');
    }
  });
}

/**
 * Plan one archive id (`<version>-<id>`) that exists on disk. No retained backup of that cluster:
 * the whole path goes, unless it is the current cluster's. Else the oldest backup of the cluster
 * in archive retention (or its newest backup, if none is) keeps WAL from its start onward, and each
 * older backup keeps its own start..stop.
 */
export function planArchiveId(opts: {
  archiveId: string;
  pgId: number;
  currentPgId: number;
  backups: readonly RetentionEntry[];
  retention: { all: string[]; kept: string[] };
}): ArchiveIdPlan {
  const { archiveId, pgId } = opts;
  const ofId = (labels: string[]) => labels.filter((l) => opts.backups.find((b) => b.label === l)?.dbId === pgId).sort();
  const local = ofId(opts.retention.all);
  if (local.length === 0) return { archiveId, action: pgId === opts.currentPgId ? 'none' : 'remove-path' };
  const localKept = ofId(opts.retention.kept);
  const retentionLabel = localKept[0] ?? local[local.length - 1]!;
  const retentionBackup = opts.backups.find((b) => b.label === retentionLabel)!;
  if (retentionBackup.archiveStart === null) return { archiveId, action: 'none' };
  const ranges: ArchiveRange[] = [];
  for (const b of [...opts.backups].sort((x, y) => (x.label < y.label ? -1 : 1))) {
    if (b.dbId !== pgId || b.label > retentionLabel || b.archiveStart === null) continue;
    ranges.push(b.label === retentionLabel ? { label: b.label, start: b.archiveStart } : { label: b.label, start: b.archiveStart, stop: b.archiveStop ?? undefined });
  }
  return { archiveId, action: 'expire', ranges, retentionStart: retentionBackup.archiveStart };
}

/** `repo1: 15-1 archive retention on backup <label>, start = <seg>[, stop = <seg>]` (detail). */
export function rangeText(archiveId: string, r: ArchiveRange): string {
  return `${archiveId} archive retention on backup ${r.label}, start = ${r.start}${r.stop !== undefined ? `, stop = ${r.stop}` : ''}`;
}

/** Is a WAL directory (16 hex) inside any range? */
export function dirKept(dir: string, ranges: readonly ArchiveRange[]): boolean {
  return ranges.some((r) => dir >= r.start.slice(0, 16) && (r.stop === undefined || dir <= r.stop.slice(0, 16)));
}

/** Is a stored WAL file (first 24 chars: the segment) inside any range? */
export function fileKept(name: string, ranges: readonly ArchiveRange[]): boolean {
  const seg = name.slice(0, 24);
  return ranges.some((r) => seg >= r.start && (r.stop === undefined || seg <= r.stop));
}

/** Only directories up to the retention backup's can hold removable files. */
export function dirNeedsScan(dir: string, retentionStart: string): boolean {
  return dir <= retentionStart.slice(0, 16);
}

/** Timeline history files older than the retention backup's timeline are removed. */
export function historyFileExpired(name: string, retentionStart: string): boolean {
  return name.slice(0, 8) < retentionStart.slice(0, 8);
}

/**
 * Turns the sequence of removed/kept WAL names into pgBackRest's `remove archive, start = , stop = `
 * lines: a kept file closes the current run. A removed whole directory sets start and stop to the
 * directory name (as 2.45 logs it).
 */
export class RemovedRanges {
  total = 0;
  private start: string | undefined;
  private stop: string | undefined;
  readonly lines: Array<{ start: string; stop: string }> = [];

  removedDir(dir: string): void {
    this.total++;
    this.start = dir;
    this.stop = dir;
  }

  removedFile(name: string): void {
    this.total++;
    this.stop = name.slice(0, 24);
    this.start ??= this.stop;
  }

  kept(): void {
    this.flush();
  }

  flush(): void {
    if (this.start !== undefined) this.lines.push({ start: this.start, stop: this.stop! });
    this.start = undefined;
  }
}
