/**
 * backup.manifest (spec manifest.md): parse/render through the shared info container (checksum
 * verified on read, computed on write), load/save with `.copy`, and the lookups backup, restore,
 * expire and info need.
 */
import type { StorageDriver } from '../storage/storage.js';
import { parseInfo, renderInfo, type ParsedInfo } from './ini.js';
import { loadInfoFile, saveInfoFile, type InfoFileOptions, type LoadedInfoFile } from './info.js';
import { compareBytes } from './json.js';
import { backupManifestPath, BUNDLE_PATH, compressExtension } from './layout.js';
import { manifestFromSections } from './manifest-decode.js';
import { manifestToSections } from './manifest-encode.js';
import { PG_DATA, type Manifest, type ManifestFile } from './manifest-types.js';

export * from './manifest-types.js';
export { manifestFromSections } from './manifest-decode.js';
export { manifestOwnerDefaults, manifestToSections } from './manifest-encode.js';
export { modeString, pageErrorListFromBlocks, pageErrorListText } from './manifest-file.js';

/** Parse and verify a manifest (ChecksumError 26 on a wrong checksum, FormatError on bad content). */
export function parseManifest(text: string | Buffer): Manifest {
  const parsed = parseInfo(text);
  return manifestFromSections(parsed.sections, parsed.decoded);
}

export function renderManifest(m: Manifest): string {
  return renderInfo(manifestToSections(m));
}

/**
 * Load `backup/<stanza>/<label>/backup.manifest` or its `.copy`. On an encrypted repo `cipherPass`
 * is backup.info's `[cipher] cipher-pass`, not the user's passphrase.
 */
export async function loadManifest(
  storage: StorageDriver,
  stanza: string,
  label: string,
  opts: InfoFileOptions = {},
): Promise<LoadedInfoFile<Manifest>> {
  return loadInfoFile(storage, backupManifestPath(stanza, label), (p: ParsedInfo) => manifestFromSections(p.sections, p.decoded), {
    ...opts,
    what: 'backup manifest',
  });
}

/**
 * Write the manifest and its byte-identical `.copy` under the manifest's own label. `rendered`:
 * `renderManifest(m)`, when the caller has already made it for another copy.
 */
export async function saveManifest(
  storage: StorageDriver,
  stanza: string,
  m: Manifest,
  opts: Pick<InfoFileOptions, 'cipherPass'> & { rendered?: string } = {},
): Promise<void> {
  await saveInfoFile(storage, backupManifestPath(stanza, m.backup.label), opts.rendered ?? renderManifest(m), { cipherPass: opts.cipherPass });
}

// ---- lookups ------------------------------------------------------------------------------------

/** Files sorted by name in byte order (the model keeps them so; this guards programmatic edits). */
export function manifestFileList(m: Manifest): ManifestFile[] {
  return [...m.files].sort((a, b) => compareBytes(a.name, b.name));
}

export function manifestFile(m: Manifest, name: string): ManifestFile | undefined {
  return m.files.find((f) => f.name === name);
}

/**
 * Owner and mode of a file a backup adds that PostgreSQL did not write into PGDATA (label files,
 * --archive-copy segments): PGDATA's owner, and PGDATA's mode limited to `mask`, as 2.45 gives them.
 */
export function ownedLikePgData(m: Manifest, mask: number): Pick<ManifestFile, 'user' | 'group' | 'mode'> {
  const pgData = m.paths.find((p) => p.name === PG_DATA);
  return { user: pgData?.user ?? false, group: pgData?.group ?? false, mode: (pgData?.mode ?? 0o700) & mask };
}

/** Lists `entry` in `m` (in place of a file of the same name), keeping the files in byte order. */
export function putManifestFile(m: Manifest, entry: ManifestFile): void {
  m.files = [...m.files.filter((f) => f.name !== entry.name), entry].sort((a, b) => compareBytes(a.name, b.name));
}

/**
 * What a file entry says about bytes stored for it: dropped when the file is stored anew or not at
 * all (the size stored, `repoSize`, is set by whoever stores it).
 */
export const STORED_KEYS = ['rck', 'reference', 'bundleId', 'bundleOffset', 'blockIncrSize', 'blockIncrChecksumSize', 'blockIncrMapSize'] as const;

/** Where a file's bytes are, relative to `backup/<stanza>/`. */
export type FileRepoLocation =
  /** A stand-alone repo file: `<label>/<name><compress ext>`. */
  | { kind: 'file'; path: string }
  /** A byte range of `<label>/bundle/<bni>`. */
  | { kind: 'bundle'; path: string; offset: number; length: number }
  /** A zero-length file of a bundled backup: nothing is stored. */
  | { kind: 'none' };

export function fileRepoLocation(m: Manifest, file: ManifestFile): FileRepoLocation {
  const dir = file.reference ?? m.backup.label;
  if (file.bundleId !== undefined && file.bundleId !== 0) {
    return { kind: 'bundle', path: `${dir}/${BUNDLE_PATH}/${file.bundleId}`, offset: file.bundleOffset ?? 0, length: file.repoSize };
  }
  if (file.size === 0 && m.backup.bundle === true) return { kind: 'none' };
  return { kind: 'file', path: `${dir}/${file.name}${compressExtension(m.options.compressType)}` };
}

/** `fileRepoLocation` by manifest name; undefined when the manifest has no such file. */
export function fileRepoPath(m: Manifest, name: string): FileRepoLocation | undefined {
  const file = manifestFile(m, name);
  return file === undefined ? undefined : fileRepoLocation(m, file);
}

/** The backup's chain, oldest first, ending with its own label (`backup-reference`). */
export function backupReferenceList(m: Manifest): string[] {
  return [...m.backup.reference];
}

/** Labels other than this backup that files actually point to, sorted. */
export function referencedLabels(m: Manifest): string[] {
  const labels = new Set<string>();
  for (const f of m.files) if (f.reference !== undefined && f.reference !== m.backup.label) labels.add(f.reference);
  return [...labels].sort(compareBytes);
}

/** Databases `info --set` lists as `database-ref`: those created by users (oid > last system oid). */
export function databaseList(m: Manifest): Array<{ name: string; oid: number }> {
  return m.databases.filter((d) => d.id > d.lastSystemId).map((d) => ({ name: d.name, oid: d.id }));
}

/** Tablespace targets as `info --set` shows them. */
export function tablespaceList(m: Manifest): Array<{ name: string; oid: number; destination: string }> {
  return m.targets
    .filter((t) => t.tablespaceId !== undefined)
    .map((t) => ({ name: t.tablespaceName ?? `ts${t.tablespaceId}`, oid: t.tablespaceId!, destination: t.path }));
}

/** Non-tablespace link targets (`pg_data/<path>`), named relative to PGDATA. */
export function linkList(m: Manifest): Array<{ name: string; destination: string }> {
  return m.targets
    .filter((t) => t.type === 'link' && t.tablespaceId === undefined)
    .map((t) => ({
      // 2.45 names a file link by the file it points to (pg_data/fl -> /x/extfile is "extfile"),
      // a path link by its place in PGDATA
      name: t.file ?? (t.name.startsWith(`${PG_DATA}/`) ? t.name.slice(PG_DATA.length + 1) : t.name),
      destination: t.file === undefined ? t.path : `${t.path}/${t.file}`,
    }));
}
