/**
 * Which backup sets leave backup.info, as pgBackRest 2.45's expire decides it. Pure functions over
 * the `[backup:current]` list; the caller logs the returned events and deletes what they name.
 */
import type { BackupEntry } from '../repo/backup-entry.js';
import { err } from '../error/error.js';

/** The fields of a backup.info entry retention looks at. */
export type RetentionEntry = Pick<BackupEntry, 'label' | 'type' | 'prior' | 'dbId' | 'archiveStart' | 'archiveStop' | 'timestampStop'>;

export type ExpireKind = 'full' | 'diff' | 'time-based' | 'adhoc';

export interface ExpireEvent {
  kind: ExpireKind;
  /** The set that left backup.info, oldest first. */
  labels: string[];
}

/** `expire full backup set a, b` (or `expire full backup a` for a lone backup), without the repo prefix. */
export function expireEventText(e: ExpireEvent): string {
  return `expire ${e.kind} backup ${e.labels.length > 1 ? 'set ' : ''}${e.labels.join(', ')}`;
}

const byLabel = (a: { label: string }, b: { label: string }): number => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);

/** A backup and every backup that depends on it through `backup-prior`, oldest first. */
export function dependentSet(backups: readonly RetentionEntry[], label: string): string[] {
  const set = new Set([label]);
  for (const b of [...backups].sort(byLabel)) if (b.prior !== undefined && set.has(b.prior)) set.add(b.label);
  return [...set].sort();
}

/** Mutable working state: the remaining backups, oldest first, and what left so far. */
export class RetentionState<T extends RetentionEntry = RetentionEntry> {
  backups: T[];
  readonly events: ExpireEvent[] = [];

  constructor(backups: readonly T[]) {
    this.backups = [...backups].sort(byLabel);
  }

  labels(types: ReadonlyArray<RetentionEntry['type']>): string[] {
    return this.backups.filter((b) => types.includes(b.type)).map((b) => b.label);
  }

  find(label: string): T | undefined {
    return this.backups.find((b) => b.label === label);
  }

  /** Remove a backup with its dependents; returns them oldest first. */
  expire(kind: ExpireKind, label: string): string[] {
    const gone = dependentSet(this.backups, label);
    this.backups = this.backups.filter((b) => !gone.includes(b.label));
    this.events.push({ kind, labels: gone });
    return gone;
  }
}

/** repoN-retention-full with type count: keep the newest `keep` fulls and what depends on them. */
export function expireFullCount(state: RetentionState, keep: number): void {
  const fulls = state.labels(['full']);
  for (const label of fulls.slice(0, Math.max(0, fulls.length - keep))) state.expire('full', label);
}

/**
 * repoN-retention-diff: fulls count as diffs when choosing, but only diffs (with their incrs)
 * expire. The candidate list is taken once, before any removal, as pgBackRest does.
 */
export function expireDiffCount(state: RetentionState, keep: number): void {
  const candidates = state.labels(['full', 'diff']);
  for (const label of candidates.slice(0, Math.max(0, candidates.length - keep))) {
    if (state.find(label)?.type !== 'diff') continue;
    state.expire('diff', label);
  }
}

/**
 * repoN-retention-full with type time: from the newest full down, find the first whose stop time is
 * older than `minTimestamp` (seconds); everything older than that full expires. When no full is old
 * enough, the oldest full is kept and nothing expires. Returns the number of full sets expired.
 */
export function expireFullTime(state: RetentionState, minTimestamp: number): number {
  const fulls = state.backups.filter((b) => b.type === 'full');
  if (fulls.length === 0) return 0;
  let keep = fulls[0]!.label;
  for (let i = fulls.length - 1; i >= 0; i--) {
    keep = fulls[i]!.label;
    if (fulls[i]!.timestampStop < minTimestamp) break;
  }
  let expired = 0;
  while (state.backups.length > 0 && state.backups[0]!.label !== keep) {
    state.expire('time-based', state.backups[0]!.label);
    expired++;
  }
  return expired;
}

export interface AdhocResult {
  /** Set when the newest backup was among those expired (PITR warning, `latest` link moves). */
  latestRemoved?: string;
}

/**
 * `--set`: expire one backup and its dependents whatever the retention. The newest full can only go
 * when an older full of the same cluster (db-id) remains.
 */
export function expireAdhoc(state: RetentionState, label: string): AdhocResult {
  const fulls = state.labels(['full']).reverse();
  if (fulls[0] === label) {
    const older = fulls[1] === undefined ? undefined : state.find(fulls[1]);
    if (older === undefined || older.dbId !== state.find(label)!.dbId) {
      throw err('BackupSetInvalidError', `full backup ${label} cannot be expired until another full backup has been created on this repo`);
    }
  }
  const latest = state.backups[state.backups.length - 1]!.label;
  state.expire('adhoc', label);
  return state.find(latest) === undefined ? { latestRemoved: latest } : {};
}
