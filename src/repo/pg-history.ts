/**
 * The PostgreSQL history common to archive.info and backup.info: one entry per cluster identity
 * (version + system id), numbered from 1; stanza-upgrade appends one. The current entry is the one
 * `[db] db-id` names, which pgBackRest always keeps equal to the last entry.
 */
import { err } from '../error/error.js';

export interface PgHistoryEntry {
  /** History id: the `[db:history]` key and the number in the archive id. */
  id: number;
  /** PostgreSQL major version as pgBackRest writes it: `"9.6"`, `"15"`. */
  version: string;
  systemId: bigint;
}

export interface PgHistory<E extends PgHistoryEntry> {
  /** Ascending by id. */
  history: E[];
  currentId: number;
}

export function currentHistory<E extends PgHistoryEntry>(info: PgHistory<E>): E {
  const entry = info.history.find((h) => h.id === info.currentId);
  if (entry === undefined) throw err('FormatError', `current history id ${info.currentId} not found in history`);
  return entry;
}

/** Append an entry with id = last id + 1 and make it current (stanza-upgrade). Returns the entry. */
export function addHistory<E extends PgHistoryEntry>(info: PgHistory<E>, entry: Omit<E, 'id'>): E {
  const id = info.history.reduce((max, h) => Math.max(max, h.id), 0) + 1;
  const added = { ...entry, id } as E;
  info.history.push(added);
  info.currentId = id;
  return added;
}

/** `<version>-<id>` of the current entry: the directory archive-push writes to. */
export function archiveIdOf(info: PgHistory<PgHistoryEntry>): string {
  const current = currentHistory(info);
  return `${current.version}-${current.id}`;
}

/** True when the cluster differs from the current entry, i.e. stanza-upgrade has work to do. */
export function needsUpgrade(info: PgHistory<PgHistoryEntry>, pg: { version: string; systemId: bigint }): boolean {
  const current = currentHistory(info);
  return current.version !== pg.version || current.systemId !== pg.systemId;
}
