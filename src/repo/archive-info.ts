/**
 * archive.info (spec info-files §2.5). Trap: in `[db:history]` the JSON key `db-id` holds the
 * SYSTEM id; the history id is the INI key.
 */
import type { StorageDriver } from '../storage/storage.js';
import { jsonEncode, jsonString } from './json.js';
import { BACKREST_VERSION, parseInfo, renderInfo, type InfoSections, type ParsedInfo } from './ini.js';
import { loadInfoFile, saveInfoFile, type InfoFileOptions, type LoadedInfoFile } from './info.js';
import { asInt, asObject, asString, asUInt64, field, historyIds, optValue, reqValue } from './info-value.js';
import { archiveInfoPath } from './layout.js';
import { currentHistory, type PgHistory, type PgHistoryEntry } from './pg-history.js';

export interface ArchiveInfo extends PgHistory<PgHistoryEntry> {
  /** Sub-passphrase for every file under the archive ids; only on encrypted repos. */
  cipherPass?: string;
}

export const ARCHIVE_INFO_HINTS = [
  'archive.info cannot be opened but is required to push/get WAL segments.',
  'is archive_command configured correctly in postgresql.conf?',
  'has a stanza-create been performed?',
  'use --no-archive-check to disable archive checks during backup if you have an alternate archiving scheme.',
];

export function newArchiveInfo(opts: { version: string; systemId: bigint; cipherPass?: string }): ArchiveInfo {
  return {
    history: [{ id: 1, version: opts.version, systemId: opts.systemId }],
    currentId: 1,
    ...(opts.cipherPass === undefined ? {} : { cipherPass: opts.cipherPass }),
  };
}

/** Model of parsed (and checksum-verified) archive.info sections. */
export function archiveInfoFromSections(sections: InfoSections): ArchiveInfo {
  const history = historyIds(sections, 'db:history').map((id): PgHistoryEntry => {
    const where = `archive history id ${id}`;
    const obj = asObject(reqValue(sections, 'db:history', String(id)), where);
    return { id, version: asString(field(obj, 'db-version', where), where), systemId: asUInt64(field(obj, 'db-id', where), where) };
  });
  const info: ArchiveInfo = { history, currentId: asInt(reqValue(sections, 'db', 'db-id'), "[db] 'db-id'") };
  currentHistory(info);
  const cipherPass = optValue(sections, 'cipher', 'cipher-pass');
  if (cipherPass !== undefined) info.cipherPass = asString(cipherPass, "[cipher] 'cipher-pass'");
  return info;
}

export function parseArchiveInfo(text: string | Buffer): ArchiveInfo {
  return archiveInfoFromSections(parseInfo(text).sections);
}

export function archiveInfoToSections(info: ArchiveInfo): InfoSections {
  const current = currentHistory(info);
  const sections: InfoSections = new Map();
  sections.set('backrest', new Map([['backrest-version', jsonString(BACKREST_VERSION)]]));
  if (info.cipherPass !== undefined) sections.set('cipher', new Map([['cipher-pass', jsonString(info.cipherPass)]]));
  sections.set('db', new Map([
    ['db-id', String(current.id)],
    ['db-system-id', current.systemId.toString()],
    ['db-version', jsonString(current.version)],
  ]));
  const sorted = [...info.history].sort((a, b) => a.id - b.id);
  sections.set('db:history', new Map(sorted.map((h) => [String(h.id), jsonEncode({ 'db-id': h.systemId, 'db-version': h.version })])));
  return sections;
}

export function renderArchiveInfo(info: ArchiveInfo): string {
  return renderInfo(archiveInfoToSections(info));
}

/** Load `archive/<stanza>/archive.info` (or its copy); errors carry pgBackRest's hints. */
export async function loadArchiveInfo(
  storage: StorageDriver,
  stanza: string,
  opts: InfoFileOptions = {},
): Promise<LoadedInfoFile<ArchiveInfo>> {
  return loadInfoFile(storage, archiveInfoPath(stanza), (p: ParsedInfo) => archiveInfoFromSections(p.sections), { ...opts, hints: ARCHIVE_INFO_HINTS });
}

export async function saveArchiveInfo(
  storage: StorageDriver,
  stanza: string,
  info: ArchiveInfo,
  opts: Pick<InfoFileOptions, 'cipherPass'> = {},
): Promise<void> {
  await saveInfoFile(storage, archiveInfoPath(stanza), renderArchiveInfo(info), opts);
}
