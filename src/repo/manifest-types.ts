/**
 * The typed model of `backup.manifest` (spec manifest.md). Values are as a reader sees them after
 * the defaults are applied: every file, path and link carries its own user/group/mode, every file
 * its repo size and (size 0) its implied checksum. Keys this model does not know are kept in
 * `extra` (JSON object members) and `extraKeys` (sections and fixed keys) so a load/save round trip
 * keeps them.
 */
import type { JsonObject } from './json.js';
import type { BackupType, CompressType } from './layout.js';

/** An owner name, or `false` when the uid/gid had no name at backup time. */
export type Owner = string | false;

/** SHA-1 of no bytes: the checksum implied for every zero-length file. */
export const EMPTY_SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';

export const PG_DATA = 'pg_data';
export const PG_TBLSPC = 'pg_tblspc';

export interface ManifestBackup {
  label: string;
  type: BackupType;
  archiveStart?: string;
  archiveStop?: string;
  lsnStart?: string;
  lsnStop?: string;
  prior?: string;
  /**
   * Labels of the backup's chain ending with its own label (`backup-reference`). Manifests older
   * than 2.42 lack the key; the reader then derives it from the files' references.
   */
  reference: string[];
  timestampCopyStart: number;
  timestampStart: number;
  timestampStop: number;
  /** Written only when true, like pgBackRest. */
  blockIncr?: boolean;
  bundle?: boolean;
  bundleRaw?: boolean;
}

export interface ManifestDbInfo {
  catalogVersion: number;
  controlVersion: number;
  /** History id in backup.info/archive.info. */
  id: number;
  systemId: bigint;
  version: string;
}

/** `[backup:option]`; optional members are the keys pgBackRest writes only "if known". */
export interface ManifestOptions {
  archiveCheck: boolean;
  archiveCopy: boolean;
  backupStandby?: boolean;
  bufferSize?: number;
  checksumPage?: boolean;
  /** Decides extension and decompressor of every file of the manifest, referenced ones too. */
  compressType: CompressType;
  compressLevel?: number;
  compressLevelNetwork?: number;
  delta?: boolean;
  hardlink: boolean;
  online: boolean;
  processMax?: number;
}

export interface ManifestTarget {
  /** `pg_data`, `pg_tblspc/<oid>` or `pg_data/<link path>`. */
  name: string;
  type: 'path' | 'link';
  /** Absolute (or, for old manifests, relative) destination directory. */
  path: string;
  /** Base name of the destination for a link to a file. */
  file?: string;
  tablespaceId?: number;
  tablespaceName?: string;
  extra?: JsonObject;
}

export interface ManifestDb {
  name: string;
  /** Database oid. */
  id: number;
  /** datlastsysoid (oid of template0 on PG ≥ 15). */
  lastSystemId: number;
  extra?: JsonObject;
}

/** Block numbers with page checksum errors; consecutive runs are `[first, last]`. */
export type PageErrorList = Array<number | [number, number]>;

export interface ManifestFile {
  /** Manifest name: `pg_data/...` or `pg_tblspc/<oid>/...`. */
  name: string;
  size: number;
  /** mtime, whole epoch seconds. */
  timestamp: number;
  /** SHA-1 of the original bytes; EMPTY_SHA1 for size 0; absent only in partial manifests. */
  checksum?: string;
  /** Present when page checksums were checked: true = all valid. */
  checksumPage?: boolean;
  checksumPageError?: PageErrorList;
  /** Stored size (after compression/encryption); equals `size` when the file did not say. */
  repoSize: number;
  /** SHA-1 of the stored bytes. */
  rck?: string;
  /** Label of the backup whose directory holds the bytes; absent = this backup. */
  reference?: string;
  bundleId?: number;
  /** Offset inside the bundle; 0 when the file did not say (and a bundle id is set). */
  bundleOffset?: number;
  /** `bi`, `bic`, `bim`: block incremental (beta in 2.45). */
  blockIncrSize?: number;
  blockIncrChecksumSize?: number;
  blockIncrMapSize?: number;
  /** `szo`: size when the manifest was built (newer than 2.45). */
  sizeOriginal?: number;
  user: Owner;
  group: Owner;
  /** Permission bits, e.g. 0o600. */
  mode: number;
  extra?: JsonObject;
}

export interface ManifestPath {
  name: string;
  user: Owner;
  group: Owner;
  mode: number;
  extra?: JsonObject;
}

export interface ManifestLink {
  name: string;
  /** The raw readlink value. */
  destination: string;
  user: Owner;
  group: Owner;
  extra?: JsonObject;
}

export interface Manifest {
  /** `backrest-version` of the file read; absent for a new manifest (then BACKREST_VERSION). */
  backrestVersion?: string;
  backup: ManifestBackup;
  db: ManifestDbInfo;
  options: ManifestOptions;
  /** Sorted by name. `pg_data` is required. */
  targets: ManifestTarget[];
  /** Per-backup-set passphrase of an encrypted repo. */
  cipherPass?: string;
  /** `[db]`, sorted by name; empty for offline backups. */
  databases: ManifestDb[];
  /** `[metadata] annotation`. */
  annotation?: JsonObject;
  /** Sorted by name in byte order. */
  files: ManifestFile[];
  links: ManifestLink[];
  paths: ManifestPath[];
  /**
   * What the model does not know, as raw JSON text by section and key: whole unknown sections and
   * unknown keys of the fixed-key sections (`[backup]`, `[backup:db]`, `[cipher]`, defaults...).
   */
  extraKeys?: Map<string, Map<string, string>>;
}
