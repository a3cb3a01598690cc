/**
 * backup.info (spec info-files §2.6): the PostgreSQL history with catalog/control versions, and
 * `[backup:current]`, the list of backups that exist. Entry objects are encoded with keys in byte
 * order (what pgBackRest's reader needs); keys this model does not know are kept in `extra`.
 */
import type { StorageDriver } from '../storage/storage.js';
import { compareBytes, jsonEncode, jsonString } from './json.js';
import { BACKREST_VERSION, parseInfo, renderInfo, type InfoSections, type ParsedInfo } from './ini.js';
import { loadInfoFile, saveInfoFile, type InfoFileOptions, type LoadedInfoFile } from './info.js';
import { asInt, asObject, asString, asUInt64, field, historyIds, optValue, reqValue } from './info-value.js';
import { backupInfoPath } from './layout.js';
import { currentHistory, type PgHistory, type PgHistoryEntry } from './pg-history.js';
import { backupEntryFromJson, backupEntryToJson, type BackupEntry } from './backup-entry.js';

export type { BackupEntry } from './backup-entry.js';

export interface BackupHistoryEntry extends PgHistoryEntry {
  catalogVersion: number;
  controlVersion: number;
}

export interface BackupInfo extends PgHistory<BackupHistoryEntry> {
  /** `[backup:current]` in label order (oldest first). */
  backups: BackupEntry[];
  /** Sub-passphrase for manifests and backup.history; only on encrypted repos. */
  cipherPass?: string;
}

export const BACKUP_INFO_HINTS = [
  'backup.info cannot be opened and is required to perform a backup.',
  'has a stanza-create been performed?',
];

export function newBackupInfo(opts: {
  version: string;
  systemId: bigint;
  catalogVersion: number;
  controlVersion: number;
  cipherPass?: string;
}): BackupInfo {
  const { version, systemId, catalogVersion, controlVersion } = opts;
  return {
    history: [{ id: 1, version, systemId, catalogVersion, controlVersion }],
    currentId: 1,
    backups: [],
    ...(opts.cipherPass === undefined ? {} : { cipherPass: opts.cipherPass }),
  };
}

function historyFromSections(sections: InfoSections): BackupHistoryEntry[] {
  return historyIds(sections, 'db:history').map((id) => {
    const where = `backup history id ${id}`;
    const obj = asObject(reqValue(sections, 'db:history', String(id)), where);
    return {
      id,
      version: asString(field(obj, 'db-version', where), where),
      systemId: asUInt64(field(obj, 'db-system-id', where), where),
      catalogVersion: asInt(field(obj, 'db-catalog-version', where), where),
      controlVersion: asInt(field(obj, 'db-control-version', where), where),
    };
  });
}

/** Lists `entry` in `info` (in place of a backup of the same label), keeping the list in label order. */
export function addBackupEntry(info: BackupInfo, entry: BackupEntry): void {
  info.backups = [...info.backups.filter((b) => b.label !== entry.label), entry].sort((a, b) => (a.label < b.label ? -1 : 1));
}

/** Model of parsed (and checksum-verified) backup.info sections. */
export function backupInfoFromSections(sections: InfoSections): BackupInfo {
  const backups = [...(sections.get('backup:current') ?? new Map<string, string>()).keys()]
    .sort(compareBytes)
    .map((label) => backupEntryFromJson(label, reqValue(sections, 'backup:current', label)));
  const info: BackupInfo = {
    history: historyFromSections(sections),
    currentId: asInt(reqValue(sections, 'db', 'db-id'), "[db] 'db-id'"),
    backups,
  };
  currentHistory(info);
  const cipherPass = optValue(sections, 'cipher', 'cipher-pass');
  if (cipherPass !== undefined) info.cipherPass = asString(cipherPass, "[cipher] 'cipher-pass'");
  return info;
}

export function parseBackupInfo(text: string | Buffer): BackupInfo {
  return backupInfoFromSections(parseInfo(text).sections);
}

export function backupInfoToSections(info: BackupInfo): InfoSections {
  const current = currentHistory(info);
  const sections: InfoSections = new Map();
  sections.set('backrest', new Map([['backrest-version', jsonString(BACKREST_VERSION)]]));
  const backups = [...info.backups].sort((a, b) => compareBytes(a.label, b.label));
  sections.set('backup:current', new Map(backups.map((b) => [b.label, jsonEncode(backupEntryToJson(b))])));
  if (info.cipherPass !== undefined) sections.set('cipher', new Map([['cipher-pass', jsonString(info.cipherPass)]]));
  sections.set('db', new Map([
    ['db-catalog-version', String(current.catalogVersion)],
    ['db-control-version', String(current.controlVersion)],
    ['db-id', String(current.id)],
    ['db-system-id', current.systemId.toString()],
    ['db-version', jsonString(current.version)],
  ]));
  const history = [...info.history].sort((a, b) => a.id - b.id);
  sections.set('db:history', new Map(history.map((h) => [String(h.id), jsonEncode({
    'db-catalog-version': h.catalogVersion,
    'db-control-version': h.controlVersion,
    'db-system-id': h.systemId,
    'db-version': h.version,
  })])));
  return sections;
}

export function renderBackupInfo(info: BackupInfo): string {
  return renderInfo(backupInfoToSections(info));
}

/** Load `backup/<stanza>/backup.info` (or its copy); errors carry pgBackRest's hints. */
export async function loadBackupInfo(
  storage: StorageDriver,
  stanza: string,
  opts: InfoFileOptions = {},
): Promise<LoadedInfoFile<BackupInfo>> {
  return loadInfoFile(storage, backupInfoPath(stanza), (p: ParsedInfo) => backupInfoFromSections(p.sections), { ...opts, hints: BACKUP_INFO_HINTS });
}

export async function saveBackupInfo(
  storage: StorageDriver,
  stanza: string,
  info: BackupInfo,
  opts: Pick<InfoFileOptions, 'cipherPass'> = {},
): Promise<void> {
  await saveInfoFile(storage, backupInfoPath(stanza), renderBackupInfo(info), opts);
}
