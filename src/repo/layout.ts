/**
 * Repository layout: where things live and how they are named (spec repo-layout §1). Paths are
 * relative to the repository root, as StorageDriver expects them.
 */
import { err } from '../error/error.js';
import { extensionOf as compressExtension, type CompressType } from '../io/compress-type.js';

export const ARCHIVE_INFO_FILE = 'archive.info';
export const BACKUP_INFO_FILE = 'backup.info';
export const BACKUP_MANIFEST_FILE = 'backup.manifest';
/** Directory of a backup set holding its bundles, `bundle/<id>` (repo-bundle). */
export const BUNDLE_PATH = 'bundle';

export function archiveStanzaPath(stanza: string): string {
  return `archive/${stanza}`;
}

export function backupStanzaPath(stanza: string): string {
  return `backup/${stanza}`;
}

export function archiveInfoPath(stanza: string): string {
  return `${archiveStanzaPath(stanza)}/${ARCHIVE_INFO_FILE}`;
}

export function backupInfoPath(stanza: string): string {
  return `${backupStanzaPath(stanza)}/${BACKUP_INFO_FILE}`;
}

/** `archive/<stanza>/<archiveId>` where archiveId is `<pg version>-<history id>` (e.g. `15-1`). */
export function archiveIdPath(stanza: string, archiveId: string): string {
  return `${archiveStanzaPath(stanza)}/${archiveId}`;
}

export function backupSetPath(stanza: string, label: string): string {
  return `${backupStanzaPath(stanza)}/${label}`;
}

export function backupManifestPath(stanza: string, label: string): string {
  return `${backupSetPath(stanza, label)}/${BACKUP_MANIFEST_FILE}`;
}

/** `backup/<stanza>/backup.history/<YYYY>/<label>.manifest.gz` (always gzip). */
export function backupHistoryManifestPath(stanza: string, label: string): string {
  return `${backupStanzaPath(stanza)}/backup.history/${label.slice(0, 4)}/${label}.manifest.gz`;
}

export function archiveId(version: string, historyId: number): string {
  return `${version}-${historyId}`;
}

// ---- WAL names ----------------------------------------------------------------------------------

/** A WAL segment name: timeline, log and segment as 24 upper-case hex characters. */
export const WAL_SEGMENT_REGEX = /^[0-F]{24}$/;
/** A partial segment as PostgreSQL names it. */
export const WAL_SEGMENT_PARTIAL_REGEX = /^[0-F]{24}\.partial$/;
/** A timeline history file (`00000002.history`). */
export const WAL_HISTORY_REGEX = /^[0-F]{8}\.history$/;
/** A backup history file written by PostgreSQL (`<segment>.<offset>.backup`). */
export const WAL_BACKUP_HISTORY_REGEX = /^[0-F]{24}\.[0-F]{8}\.backup$/;
/** Any stored segment: `<segment>[.partial]-<sha1>[<ext>]`; groups: segment, partial, sha1, ext. */
export const WAL_SEGMENT_STORED_REGEX = /^([0-F]{24})(\.partial)?-([0-9a-f]{40})(\.(?:gz|lz4|zst|bz2|xz))?$/;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Pattern that finds the stored file(s) of one WAL name (`.partial` only if the name has it). */
export function walSegmentStoredRegex(walName: string): RegExp {
  return new RegExp(`^${escapeRegex(walName)}-[0-9a-f]{40}(\\.(gz|lz4|zst|bz2|xz))?$`);
}

/** Every name starting with 24 hex chars lives in a sub-directory named by its first 16. */
export function walSegmentDir(walName: string): string {
  return walName.slice(0, 16);
}

/** Path of a WAL file (segment, partial, .backup or .history) below its archive id. */
export function walPath(stanza: string, archiveIdValue: string, storedName: string): string {
  const base = archiveIdPath(stanza, archiveIdValue);
  return /^[0-F]{24}/.test(storedName) ? `${base}/${walSegmentDir(storedName)}/${storedName}` : `${base}/${storedName}`;
}

/** `<walName>-<sha1><ext>` as archive-push stores a segment or partial. */
export function walStoredName(walName: string, sha1: string, compressType: CompressType): string {
  return `${walName}-${sha1}${compressExtension(compressType)}`;
}

// ---- compression --------------------------------------------------------------------------------

export type { CompressType };
export { compressExtension };

// ---- backup labels ------------------------------------------------------------------------------

export type BackupType = 'full' | 'diff' | 'incr';

/** Backup set directory names; groups: full label, diff/incr timestamp, D or I. */
export const BACKUP_LABEL_REGEX = /^([0-9]{8}-[0-9]{6}F)(?:_([0-9]{8}-[0-9]{6})(D|I))?$/;

export interface ParsedLabel {
  label: string;
  type: BackupType;
  /** The label of the full backup this one belongs to (itself for a full). */
  fullLabel: string;
}

export function isBackupLabel(label: string): boolean {
  return BACKUP_LABEL_REGEX.test(label);
}

export function parseBackupLabel(label: string): ParsedLabel {
  const m = BACKUP_LABEL_REGEX.exec(label);
  if (m === null) throw err('FormatError', `invalid backup label '${label}'`);
  const type: BackupType = m[3] === undefined ? 'full' : m[3] === 'D' ? 'diff' : 'incr';
  return { label, type, fullLabel: m[1] };
}

/** `YYYYMMDD-HHMMSS` in local time (strftime `%Y%m%d-%H%M%S`). */
export function labelTimestamp(date: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${p(date.getFullYear(), 4)}${p(date.getMonth() + 1)}${p(date.getDate())}-` +
    `${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`
  );
}

/**
 * A new label from the backup start time. diff/incr need the prior backup's label; their label
 * starts with its first 16 characters (the full's label).
 */
export function backupLabelCreate(type: BackupType, date: Date, priorLabel?: string): string {
  const stamp = labelTimestamp(date);
  if (type === 'full') return `${stamp}F`;
  if (priorLabel === undefined) throw err('AssertError', `${type} backup label requires a prior backup label`);
  return `${priorLabel.slice(0, 16)}_${stamp}${type === 'diff' ? 'D' : 'I'}`;
}
