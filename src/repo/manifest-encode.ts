/**
 * Manifest model → info sections, written the way pgBackRest 2.45's manifestSave does: fixed keys
 * in byte order, lists sorted by name, and the owner/mode defaults taken from the `pg_data` path
 * entry (file mode default = its mode AND 0640), so entries only carry what differs.
 */
import { err } from '../error/error.js';
import { BACKREST_VERSION, type InfoSections } from './ini.js';
import { compareBytes, jsonEncode, jsonString, type JsonObject, type JsonValue } from './json.js';
import { encodeFile, modeString, type OwnerDefaults } from './manifest-file.js';
import { S } from './manifest-keys.js';
import { PG_DATA, type Manifest, type ManifestLink, type ManifestPath, type ManifestTarget } from './manifest-types.js';

type Fields = Record<string, JsonValue | undefined>;

/** Encode an object whose undefined members are left out (jsonEncode skips them). */
const obj = (fields: Fields): string => jsonEncode(fields as JsonObject);

/** A fixed-key section: known keys plus the unknown ones kept from the file, in byte order. */
function fixedSection(m: Manifest, section: string, fields: Fields): Map<string, string> {
  const keys = new Map<string, string>(m.extraKeys?.get(section) ?? []);
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) keys.set(k, jsonEncode(v));
  return new Map([...keys].sort(([a], [b]) => compareBytes(a, b)));
}

function listSection<T extends { name: string }>(items: readonly T[], encode: (item: T) => string): Map<string, string> {
  const sorted = [...items].sort((a, b) => compareBytes(a.name, b.name));
  return new Map(sorted.map((item) => [item.name, encode(item)]));
}

const trueOrUndefined = (v: boolean | undefined): true | undefined => (v === true ? true : undefined);

function backupFields(m: Manifest): Fields {
  const b = m.backup;
  return {
    'backup-archive-start': b.archiveStart,
    'backup-archive-stop': b.archiveStop,
    'backup-block-incr': trueOrUndefined(b.blockIncr),
    'backup-bundle': trueOrUndefined(b.bundle),
    'backup-bundle-raw': trueOrUndefined(b.bundleRaw),
    'backup-label': b.label,
    'backup-lsn-start': b.lsnStart,
    'backup-lsn-stop': b.lsnStop,
    'backup-prior': b.prior,
    'backup-reference': b.reference.join(','),
    'backup-timestamp-copy-start': b.timestampCopyStart,
    'backup-timestamp-start': b.timestampStart,
    'backup-timestamp-stop': b.timestampStop,
    'backup-type': b.type,
  };
}

function optionFields(m: Manifest): Fields {
  const o = m.options;
  return {
    'option-archive-check': o.archiveCheck,
    'option-archive-copy': o.archiveCopy,
    'option-backup-standby': o.backupStandby,
    'option-buffer-size': o.bufferSize,
    'option-checksum-page': o.checksumPage,
    // Legacy key: older readers take true as gz.
    'option-compress': o.compressType !== 'none',
    'option-compress-level': o.compressLevel,
    'option-compress-level-network': o.compressLevelNetwork,
    'option-compress-type': o.compressType,
    'option-delta': o.delta,
    'option-hardlink': o.hardlink,
    'option-online': o.online,
    'option-process-max': o.processMax,
  };
}

function encodeTarget(t: ManifestTarget): string {
  return obj({
    ...t.extra,
    file: t.file,
    path: t.path,
    'tablespace-id': t.tablespaceId === undefined ? undefined : String(t.tablespaceId),
    'tablespace-name': t.tablespaceName,
    type: t.type,
  });
}

/** Defaults from the `pg_data` path entry, as pgBackRest picks them when saving. */
export function manifestOwnerDefaults(m: Manifest): { file: OwnerDefaults; path: OwnerDefaults } {
  const base = m.paths.find((p) => p.name === PG_DATA);
  if (base === undefined) throw err('AssertError', `unable to find '${PG_DATA}' in manifest path list`);
  return {
    file: { user: base.user, group: base.group, mode: base.mode & 0o640 },
    path: { user: base.user, group: base.group, mode: base.mode },
  };
}

function encodePath(p: ManifestPath, d: OwnerDefaults): string {
  return obj({
    ...p.extra,
    group: p.group !== d.group ? p.group : undefined,
    mode: p.mode !== d.mode ? modeString(p.mode) : undefined,
    user: p.user !== d.user ? p.user : undefined,
  });
}

function encodeLink(l: ManifestLink, d: OwnerDefaults): string {
  return obj({
    ...l.extra,
    destination: l.destination,
    group: l.group !== d.group ? l.group : undefined,
    user: l.user !== d.user ? l.user : undefined,
  });
}

export function manifestToSections(m: Manifest): InfoSections {
  const d = manifestOwnerDefaults(m);
  const s: InfoSections = new Map();
  s.set(S.backrest, new Map([['backrest-version', jsonString(m.backrestVersion ?? BACKREST_VERSION)]]));
  for (const [name, keys] of m.extraKeys ?? []) s.set(name, new Map(keys));
  s.set(S.backup, fixedSection(m, S.backup, backupFields(m)));
  s.set(S.backupDb, fixedSection(m, S.backupDb, {
    'db-catalog-version': m.db.catalogVersion,
    'db-control-version': m.db.controlVersion,
    'db-id': m.db.id,
    'db-system-id': m.db.systemId,
    'db-version': m.db.version,
  }));
  s.set(S.option, fixedSection(m, S.option, optionFields(m)));
  s.set(S.target, listSection(m.targets, encodeTarget));
  s.set(S.cipher, fixedSection(m, S.cipher, { 'cipher-pass': m.cipherPass }));
  s.set(S.db, listSection(m.databases, (db) => obj({ ...db.extra, 'db-id': db.id, 'db-last-system-id': db.lastSystemId })));
  s.set(S.metadata, fixedSection(m, S.metadata, { annotation: m.annotation }));
  s.set(S.file, listSection(m.files, (f) => obj(encodeFile(f, d.file))));
  s.set(S.fileDefault, fixedSection(m, S.fileDefault, { group: d.file.group, mode: modeString(d.file.mode), user: d.file.user }));
  s.set(S.link, listSection(m.links, (l) => encodeLink(l, d.path)));
  const linkDefault = m.links.length > 0 ? { group: d.path.group, user: d.path.user } : {};
  s.set(S.linkDefault, fixedSection(m, S.linkDefault, linkDefault));
  s.set(S.path, listSection(m.paths, (p) => encodePath(p, d.path)));
  s.set(S.pathDefault, fixedSection(m, S.pathDefault, { group: d.path.group, mode: modeString(d.path.mode), user: d.path.user }));
  return s;
}
