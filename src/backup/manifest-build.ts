/**
 * The manifest of a new backup, built from PGDATA before any file is copied (spec
 * backup-procedure.md §8.1 step 11): walk and exclusions (manifest-walk.ts), copy-start and the
 * delta checks, diff/incr references to the prior (manifest-incr.ts), and the copy jobs
 * (manifest-jobs.ts). Copied files get their checksum, repo size, rck and page-checksum result
 * from the copy step; the stop keys (`backup-timestamp-stop`, `backup-lsn-stop`, ...) come later.
 */
import { err } from '../error/error.js';
import { DEFAULT_LEVEL } from '../io/compress-type.js';
import { pgMajorNum, pgVersionInfo, pgVersionToStr } from '../postgres/version.js';
import { compareBytes } from '../repo/json.js';
import { STORED_KEYS } from '../repo/manifest.js';
import type { BackupType, CompressType } from '../repo/layout.js';
import { PG_DATA, type Manifest, type ManifestDb, type ManifestFile, type ManifestOptions } from '../repo/manifest-types.js';
import { futureTimestampWarning, mergePrior } from './manifest-incr.js';
import { pgRelativeName } from './manifest-link.js';
import { planCopyJobs, type CopyJob } from './manifest-jobs.js';
import type { OwnerLookup } from './manifest-owner.js';
import { walkPgData, type LogMessage, type WalkedFile, type WalkResult } from './manifest-walk.js';

export type { CopyJob } from './manifest-jobs.js';
export type { LogMessage } from './manifest-walk.js';

export interface DatabaseEntry {
  name: string;
  oid: number;
  /** datlastsysoid (oid of template0 on PG ≥ 15). */
  lastSystemOid: number;
}

export interface BuildManifestOptions {
  pgPath: string;
  /** repo-bundle=y: the backup is bundled, and its zero-length files are not stored (storeZeroLength). */
  bundle?: boolean;
  /** Receives the build's log lines as soon as the walk is done; `log` of the result is then empty. */
  onLog?: (m: LogMessage) => void;
  /** server_version_num or major number. */
  pgVersion: number;
  catalogVersion: number;
  /** Derived from the version when left out. */
  controlVersion?: number;
  systemId: bigint;
  /** History id in backup.info. */
  dbId: number;
  label: string;
  type: BackupType;
  /** Required for diff (latest full) and incr (latest backup). */
  prior?: Manifest;
  delta: boolean;
  online: boolean;
  /** Already reset to the prior's value for diff/incr by the caller (it logs that warning). */
  checksumPage: boolean;
  compressType: CompressType;
  compressLevel?: number;
  /** Other `[backup:option]` values to record (archive-check, archive-copy, buffer size, ...). */
  options?: Partial<ManifestOptions>;
  /** `[db]`; empty or absent for offline backups. */
  databases?: readonly DatabaseEntry[];
  /** oid → name; absent for offline backups (names become `ts<oid>`). */
  tablespaces?: ReadonlyMap<number, string>;
  /** `--exclude` values. */
  exclude?: readonly string[];
  timestampStart: number;
  /** Epoch seconds when the manifest is built; copy start = now + 1 online (the caller then waits out the second). */
  now: number;
  archiveStart?: string;
  lsnStart?: string;
  /** Backup-set passphrase for a full on an encrypted repo; diff/incr inherit the prior's. */
  cipherPass?: string;
  owners?: OwnerLookup;
}

export interface BuiltManifest {
  manifest: Manifest;
  /** Effective delta (option, or turned on by a check). */
  delta: boolean;
  /** Largest first; see CopyJob. */
  jobs: CopyJob[];
  /** Lines to log in order (exclusions at info, delta reasons and special files at warn, a bundled backup's zero-length files at detail). */
  log: LogMessage[];
}

function freshFile(f: WalkedFile): ManifestFile {
  return { name: f.name, size: f.size, timestamp: f.timestamp, repoSize: f.size, user: f.user, group: f.group, mode: f.mode };
}

function manifestOptions(opts: BuildManifestOptions, delta: boolean): ManifestOptions {
  return {
    archiveCheck: false,
    archiveCopy: false,
    hardlink: false,
    ...opts.options,
    online: opts.online,
    checksumPage: opts.checksumPage,
    compressType: opts.compressType,
    // pgBackRest 2.45 records the level in effect: the one set, else the type's default (0 for none).
    compressLevel: opts.compressLevel ?? DEFAULT_LEVEL[opts.compressType],
    delta,
  };
}

function databases(list: readonly DatabaseEntry[] = []): ManifestDb[] {
  return list
    .map((d) => ({ name: d.name, id: d.oid, lastSystemId: d.lastSystemOid }))
    .sort((a, b) => compareBytes(a.name, b.name));
}

function checkPrior(opts: BuildManifestOptions): Manifest | undefined {
  if (opts.type === 'full') return undefined;
  const prior = opts.prior;
  if (prior === undefined) throw err('AssertError', `${opts.type} backup requires a prior manifest`);
  if (opts.type === 'diff' && prior.backup.type !== 'full') {
    throw err('AssertError', `diff backup prior must be a full backup, not ${prior.backup.type}`);
  }
  return prior;
}

interface Assembly {
  prior: Manifest | undefined;
  controlVersion: number;
  walked: WalkResult;
  files: ManifestFile[];
  delta: boolean;
}

function assemble(opts: BuildManifestOptions, a: Assembly): Manifest {
  const { prior } = a;
  const manifest: Manifest = {
    backup: {
      label: opts.label,
      type: opts.type,
      ...(opts.archiveStart === undefined ? {} : { archiveStart: opts.archiveStart }),
      ...(opts.lsnStart === undefined ? {} : { lsnStart: opts.lsnStart }),
      ...(prior === undefined ? {} : { prior: prior.backup.label }),
      reference: [...(prior?.backup.reference ?? []), opts.label],
      timestampCopyStart: opts.now + (opts.online ? 1 : 0),
      timestampStart: opts.timestampStart,
      // Placeholder until the backup stops.
      timestampStop: opts.timestampStart,
    },
    db: {
      catalogVersion: opts.catalogVersion,
      controlVersion: a.controlVersion,
      id: opts.dbId,
      systemId: opts.systemId,
      version: pgVersionToStr(pgMajorNum(opts.pgVersion)),
    },
    options: manifestOptions(opts, a.delta),
    targets: a.walked.targets,
    databases: databases(opts.databases),
    files: a.files,
    links: a.walked.links,
    paths: a.walked.paths,
  };
  const cipherPass = prior !== undefined ? prior.cipherPass : opts.cipherPass;
  if (cipherPass !== undefined) manifest.cipherPass = cipherPass;
  return manifest;
}

export async function buildManifest(opts: BuildManifestOptions): Promise<BuiltManifest> {
  const prior = checkPrior(opts);
  const controlVersion = opts.controlVersion ?? pgVersionInfo(opts.pgVersion)?.controlVersion;
  if (controlVersion === undefined) throw err('VersionNotSupportedError', `unknown PostgreSQL version ${opts.pgVersion}`);

  const walked = await walkPgData(opts);
  const log = [...walked.log];
  let files = walked.files.map(freshFile);
  let delta = opts.delta;
  if (!delta) {
    const future = futureTimestampWarning(files, opts.now);
    if (future !== undefined) log.push(future);
    delta = future !== undefined;
  }
  if (prior !== undefined) {
    const merged = mergePrior({ files, prior, online: opts.online, archiveStart: opts.archiveStart, delta });
    ({ files, delta } = merged);
    log.push(...merged.log);
  }

  const manifest = assemble(opts, { prior, controlVersion, walked, files, delta });
  const checksumPageFiles = new Set(walked.files.filter((f) => f.checksumPage).map((f) => f.name));
  const pgPath = walked.targets.find((t) => t.name === PG_DATA)!.path;
  if (opts.bundle === true) {
    manifest.backup.bundle = true;
    log.push(...storeZeroLength(manifest, pgPath, checksumPageFiles));
  }
  // said before the copy plan can fail (no pg_control, nothing changed), as 2.45 logs them while it builds
  if (opts.onLog !== undefined) for (const m of log.splice(0)) opts.onLog(m);
  const jobs = planCopyJobs({ manifest, pgPath, delta, checksumPageFiles }).filter((j) => opts.bundle !== true || j.size !== 0);
  return { manifest, delta, jobs, log };
}

/**
 * In a bundled backup a zero-length file is not stored at all: its entry loses any stored size,
 * repo checksum or reference (one into a prior backup too, as 2.45 builds an incremental), keeps
 * `checksum-page` true when its pages would have been checked, and pgBackRest says so for each
 * one, in manifest order.
 */
function storeZeroLength(m: Manifest, pgPath: string, checksumPageFiles: ReadonlySet<string>): LogMessage[] {
  const log: LogMessage[] = [];
  for (const file of m.files) {
    if (file.size !== 0) continue;
    log.push({ level: 'detail', message: `store zero-length file ${pgPath}/${pgRelativeName(file.name)}` });
    file.repoSize = 0;
    for (const key of STORED_KEYS) delete file[key];
    delete file.checksumPageError;
    if (checksumPageFiles.has(file.name)) file.checksumPage = true;
    else delete file.checksumPage;
  }
  return log;
}
