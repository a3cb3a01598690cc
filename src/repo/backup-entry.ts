/**
 * One `[backup:current]` entry of backup.info (spec info-files §2.6 table). Unknown keys survive a
 * load/save round trip in `extra`.
 */
import { err } from '../error/error.js';
import type { JsonObject, JsonValue } from './json.js';
import { asBool, asInt, asObject, asString, field } from './info-value.js';
import type { BackupType } from './layout.js';

export interface BackupEntry {
  label: string;
  backrestFormat: number;
  backrestVersion: string;
  annotation?: Record<string, string>;
  /** null for offline backups. */
  archiveStart: string | null;
  archiveStop: string | null;
  /** Absent in entries written by old versions. */
  error?: boolean;
  repoSize: number;
  repoSizeDelta: number;
  repoSizeMap?: number;
  repoSizeMapDelta?: number;
  size: number;
  sizeDelta: number;
  lsnStart?: string;
  lsnStop?: string;
  prior?: string;
  /** Every label this backup depends on, sorted, without itself (diff/incr only). */
  reference?: string[];
  timestampStart: number;
  timestampStop: number;
  type: BackupType;
  /** History id of the cluster the backup belongs to. */
  dbId: number;
  optionArchiveCheck: boolean;
  optionArchiveCopy: boolean;
  optionBackupStandby: boolean;
  optionChecksumPage: boolean;
  optionCompress: boolean;
  optionHardlink: boolean;
  optionOnline: boolean;
  /** Keys this version does not know, kept as read. */
  extra?: JsonObject;
}

const KNOWN_KEYS = new Set([
  'backrest-format', 'backrest-version', 'backup-annotation', 'backup-archive-start', 'backup-archive-stop',
  'backup-error', 'backup-info-repo-size', 'backup-info-repo-size-delta', 'backup-info-repo-size-map',
  'backup-info-repo-size-map-delta', 'backup-info-size', 'backup-info-size-delta', 'backup-lsn-start',
  'backup-lsn-stop', 'backup-prior', 'backup-reference', 'backup-timestamp-start', 'backup-timestamp-stop',
  'backup-type', 'db-id', 'option-archive-check', 'option-archive-copy', 'option-backup-standby',
  'option-checksum-page', 'option-compress', 'option-hardlink', 'option-online',
]);

const has = (o: JsonObject, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function nullableString(v: JsonValue, where: string): string | null {
  return v === null ? null : asString(v, where);
}

function stringMap(v: JsonValue, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asObject(v, where))) out[k] = asString(val, where);
  return out;
}

function stringList(v: JsonValue, where: string): string[] {
  if (!Array.isArray(v)) throw err('FormatError', `${where} is not an array`);
  return v.map((s) => asString(s, where));
}

function backupType(v: JsonValue, where: string): BackupType {
  const t = asString(v, where);
  if (t !== 'full' && t !== 'diff' && t !== 'incr') throw err('FormatError', `${where} has invalid backup type '${t}'`);
  return t;
}

export function backupEntryFromJson(label: string, value: JsonValue): BackupEntry {
  const where = `backup '${label}'`;
  const o = asObject(value, where);
  const req = (k: string): JsonValue => field(o, k, where);
  const e: BackupEntry = {
    label,
    backrestFormat: asInt(req('backrest-format'), where),
    backrestVersion: asString(req('backrest-version'), where),
    archiveStart: has(o, 'backup-archive-start') ? nullableString(o['backup-archive-start'], where) : null,
    archiveStop: has(o, 'backup-archive-stop') ? nullableString(o['backup-archive-stop'], where) : null,
    repoSize: asInt(req('backup-info-repo-size'), where),
    repoSizeDelta: asInt(req('backup-info-repo-size-delta'), where),
    size: asInt(req('backup-info-size'), where),
    sizeDelta: asInt(req('backup-info-size-delta'), where),
    timestampStart: asInt(req('backup-timestamp-start'), where),
    timestampStop: asInt(req('backup-timestamp-stop'), where),
    type: backupType(req('backup-type'), where),
    dbId: asInt(req('db-id'), where),
    optionArchiveCheck: asBool(req('option-archive-check'), where),
    optionArchiveCopy: asBool(req('option-archive-copy'), where),
    optionBackupStandby: asBool(req('option-backup-standby'), where),
    optionChecksumPage: asBool(req('option-checksum-page'), where),
    optionCompress: asBool(req('option-compress'), where),
    optionHardlink: asBool(req('option-hardlink'), where),
    optionOnline: asBool(req('option-online'), where),
  };
  if (has(o, 'backup-annotation')) e.annotation = stringMap(o['backup-annotation'], where);
  if (has(o, 'backup-error')) e.error = asBool(o['backup-error'], where);
  if (has(o, 'backup-info-repo-size-map')) {
    e.repoSizeMap = asInt(o['backup-info-repo-size-map'], where);
    e.repoSizeMapDelta = asInt(req('backup-info-repo-size-map-delta'), where);
  }
  if (has(o, 'backup-lsn-start')) e.lsnStart = asString(o['backup-lsn-start'], where);
  if (has(o, 'backup-lsn-stop')) e.lsnStop = asString(o['backup-lsn-stop'], where);
  if (has(o, 'backup-prior')) e.prior = asString(o['backup-prior'], where);
  if (has(o, 'backup-reference')) e.reference = stringList(o['backup-reference'], where);
  const extra = Object.keys(o).filter((k) => !KNOWN_KEYS.has(k));
  if (extra.length > 0) e.extra = Object.fromEntries(extra.map((k) => [k, o[k]]));
  return e;
}

/** The JSON object of an entry; `jsonEncode` writes its keys in the byte order pgBackRest needs. */
export function backupEntryToJson(e: BackupEntry): JsonObject {
  const o: Record<string, JsonValue | undefined> = {
    ...(e.extra ?? {}),
    'backrest-format': e.backrestFormat,
    'backrest-version': e.backrestVersion,
    'backup-annotation': e.annotation,
    'backup-archive-start': e.archiveStart,
    'backup-archive-stop': e.archiveStop,
    'backup-error': e.error,
    'backup-info-repo-size': e.repoSize,
    'backup-info-repo-size-delta': e.repoSizeDelta,
    'backup-info-repo-size-map': e.repoSizeMap,
    'backup-info-repo-size-map-delta': e.repoSizeMapDelta,
    'backup-info-size': e.size,
    'backup-info-size-delta': e.sizeDelta,
    'backup-lsn-start': e.lsnStart,
    'backup-lsn-stop': e.lsnStop,
    'backup-prior': e.prior,
    'backup-reference': e.reference,
    'backup-timestamp-start': e.timestampStart,
    'backup-timestamp-stop': e.timestampStop,
    'backup-type': e.type,
    'db-id': e.dbId,
    'option-archive-check': e.optionArchiveCheck,
    'option-archive-copy': e.optionArchiveCopy,
    'option-backup-standby': e.optionBackupStandby,
    'option-checksum-page': e.optionChecksumPage,
    'option-compress': e.optionCompress,
    'option-hardlink': e.optionHardlink,
    'option-online': e.optionOnline,
  };
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== undefined) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
