/**
 * The backup command's steps in pgBackRest's order (backup-procedure.md §8.1): lock, info files,
 * prior backup, start, archive check, manifest, parallel copy, stop, WAL check, completion.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { err } from '../error/error.js';
import type { Logger } from '../log/logger.js';
import { newCipherPass } from '../io/cipher-key.js';
import { encryptBuffer } from '../io/cipher-key.js';
import type { CompressType } from '../io/compress.js';
import { readPgControl, type PgControl } from '../postgres/control.js';
import { loadArchiveInfo } from '../repo/archive-info.js';
import { loadBackupInfo } from '../repo/backup-info.js';
import { checkBackupInfoPg } from '../repo/info-check.js';
import { backupManifestPath, backupSetPath, compressExtension, type BackupType } from '../repo/layout.js';
import { currentHistory } from '../repo/pg-history.js';
import { renderManifest, type Manifest } from '../repo/manifest.js';
import { repoStorageDescription } from '../parallel/storage-desc.js';
import { prestartFileWorkers } from '../parallel/file-pool.js';
import { formatSize } from '../util/format.js';
import type { RepoTarget } from '../command/common/repos.js';
import { connectPrimary } from '../command/common/pg-cluster.js';
import type { LockHandle } from '../lock/lock.js';
import { BackupSession } from './db.js';
import { buildManifest, type LogMessage } from './manifest-build.js';
import { copySegmentToBackup, type ArchiveCopy } from './archive-copy.js';
import { systemOwnerLookup } from './manifest-owner.js';
import { choosePrior } from './prior.js';
import { newBackupLabel } from './label.js';
import { copyFiles, type BundleSettings } from './copy.js';
import { checkStopArchive, startBackup, stopBackup, type ArchiveTarget } from './start-stop.js';
import { storeLabelFiles } from './label-files.js';
import { completeBackup } from './complete.js';
import { findResumable, resumeFiles } from './resume.js';
import { reconstructBackupInfo } from './reconstruct.js';
import { createSetPaths, setFileSync, syncSetPaths } from './set-paths.js';
import { applyAnnotations } from '../repo/annotation.js';

export interface BackupRun {
  cfg: Config;
  log: Logger;
  repo: RepoTarget;
  lock: LockHandle;
}

export async function runBackup({ cfg, log, repo, lock }: BackupRun): Promise<void> {
  const stanza = cfg.str('stanza');
  const storage = repoStorageDescription(cfg, repo.idx);
  const processMax = cfg.intOpt('process-max') ?? 1;
  // the threads load while the backup starts (checkpoint, manifest of the cluster)
  prestartFileWorkers(processMax, storage);
  const infoOpts = { cipherPass: repo.cipherPass, displayPath: repo.display };
  const info = (await loadBackupInfo(repo.storage, stanza, infoOpts)).value;
  // a finished backup that backup.info lacks (a backup killed just before saving it) can be the prior
  await reconstructBackupInfo(repo, stanza, info, log);
  const archiveInfo = (await loadArchiveInfo(repo.storage, stanza, infoOpts)).value;
  const pgPath = cfg.str('pg1-path');
  const control = await readPgControl(pgPath);
  checkBackupInfoPg(info, { version: control.version, systemId: control.systemId });
  const online = cfg.bool('online');
  if (!online && cfg.bool('backup-standby')) {
    log.warn('option backup-standby is enabled but backup is offline - backups will be performed from the primary');
  }
  const { type, prior } = await choosePrior({
    info,
    type: (cfg.strOpt('type') ?? 'incr') as BackupType,
    storage: repo.storage,
    stanza,
    manifestPass: info.cipherPass,
    display: repo.display,
    log,
  });
  refuseUnimplemented(cfg, online);
  const conn = online ? await connectPrimary(cfg, log) : undefined;
  const ended = new AbortController();
  try {
    const session = conn === undefined ? undefined : await BackupSession.open(conn, pgPath, { check: cfg.bool('archive-check'), modeCheck: cfg.bool('archive-mode-check') });
    const archive: ArchiveTarget | undefined = session !== undefined && cfg.bool('archive-check')
      ? {
          storage: repo.storage,
          stanza,
          archiveId: `${currentHistory(archiveInfo).version}-${currentHistory(archiveInfo).id}`,
          timeoutMs: Math.round(Number(cfg.get('archive-timeout')) * 1000),
          segmentSize: control.walSegmentSize,
        }
      : undefined;
    const startTime = new Date();
    const started = session === undefined ? undefined : await startBackup({ session, startFast: cfg.bool('start-fast'), archive, log, signal: ended.signal });
    const start = started?.start;
    const compressType = (prior?.manifest.options.compressType ?? cfg.str('compress-type')) as CompressType;
    let asked = cfg.get('checksum-page') as boolean | undefined;
    if (online && asked === true && !control.pageChecksum) {
      // validating pages that carry no checksum would report every page of every relation
      log.warn('checksum-page option set to true but checksums are not enabled on the cluster, resetting to false');
      asked = false;
    }
    // offline, only when asked: a stopped cluster's pages may be torn (pgBackRest's reasoning)
    const checksumPage = prior?.manifest.options.checksumPage ?? asked ?? (online && control.pageChecksum);
    if (prior !== undefined) {
      // a diff or incr keeps its prior's settings; pgBackRest 2.45 says so when asked for others
      const from = prior.entry.label;
      if (cfg.str('compress-type') !== compressType) {
        log.warn(`${type} backup cannot alter compress-type option to '${cfg.text('compress-type')}', reset to value in ${from}`);
      }
      if (asked !== undefined && asked !== checksumPage) {
        log.warn(`${type} backup cannot alter 'checksum-page' option to '${String(asked)}', reset to '${String(checksumPage)}' from ${from}`);
      }
    }
    if (!online) checkStopped(cfg, pgPath, log);
    // said after the manifest build's lines, where 2.45 looks for a resumable backup
    const resumeWarnings: string[] = [];
    const resumable = cfg.bool('resume')
      ? await findResumable({
          storage: repo.storage, stanza, type, prior: prior?.entry.label, compressType, manifestPass: info.cipherPass,
          log: { warn: (message) => void resumeWarnings.push(message) },
        })
      : undefined;
    if (resumable) {
      resumeWarnings.push(`resumable backup ${resumable.label} of same type exists -- invalid files will be removed then the backup will resume`);
    }
    const label = resumable?.label ?? (await newBackupLabel({ storage: repo.storage, stanza, type, prior: prior?.entry.label, start: startTime }));
    const bundle = bundleSettings(cfg, repo.idx);
    // the manifest is built while the start's segment is archived; pgBackRest builds it after that
    // check, so what the build says (or fails with) is told only once the check has passed
    const buildLog: LogMessage[] = [];
    const outcome = await buildManifest({
      pgPath,
      bundle: bundle !== undefined,
      onLog: (m) => buildLog.push(m),
      pgVersion: control.versionNum,
      catalogVersion: control.catalogVersion,
      controlVersion: control.controlVersion,
      systemId: control.systemId,
      dbId: info.currentId,
      label,
      type,
      prior: prior?.manifest,
      delta: cfg.bool('delta'),
      online,
      checksumPage,
      compressType,
      compressLevel: cfg.intOpt('compress-level'),
      options: manifestOptions(cfg, repo.idx, archive !== undefined),
      // offline: no [db] section, tablespaces named ts<oid>, as 2.45 does without a connection
      ...(session !== undefined ? { databases: await session.databases(), tablespaces: await session.tablespaces() } : {}),
      exclude: cfg.list('exclude'),
      timestampStart: Math.floor(startTime.getTime() / 1000),
      now: Math.floor(Date.now() / 1000),
      ...(start !== undefined ? { archiveStart: start.segment, lsnStart: start.lsn } : {}),
      ...(type === 'full' && repo.cipherType !== 'none' ? { cipherPass: resumable?.manifest.cipherPass ?? newCipherPass() } : {}),
      owners: systemOwnerLookup(),
    }).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    // files changed in the current second might change again unseen: they are not read before the
    // next second (copy.ts readyToCopy), older files are
    // (offline nothing changes: no file waits)
    const copyStart = online ? Math.floor(Date.now() / 1000) * 1000 + 1000 : undefined;
    // nothing is written to the repo before the archive check passed, so a failed check leaves no
    // backup behind, as in pgBackRest
    await started?.archived;
    for (const m of buildLog) log.write(m.level, m.message);
    if ('error' in outcome) throw outcome.error;
    for (const w of resumeWarnings) log.warn(w);
    const built = outcome.value;
    const manifest = built.manifest;

    const annotation = applyAnnotations(undefined, cfg.hash('annotation'));
    if (annotation !== undefined) manifest.annotation = annotation;
    await savePartialManifest(repo, stanza, manifest, info.cipherPass);
    await createSetPaths(repo.storage, stanza, manifest);
    const jobs = resumable
      ? await resumeFiles({ storage: repo.storage, stanza, label, jobs: built.jobs, manifest, resumed: resumable.manifest, log, display: repo.display, delta: manifest.options.delta === true })
      : built.jobs;
    const fileSync = setFileSync(repo.storage, stanza, manifest);
    await copyFiles({
      jobs,
      manifest,
      stanza,
      storage,
      processMax,
      compressType,
      compressLevel: cfg.intOpt('compress-level'),
      cipherPass: manifest.cipherPass,
      log,
      lock,
      ...(fileSync !== undefined ? { copied: fileSync.copied } : {}),
      checkpoint: { bytes: Number(cfg.get('manifest-save-threshold') ?? 1024 ** 3), save: () => savePartialManifest(repo, stanza, manifest, info.cipherPass) },
      ...(copyStart !== undefined ? { copyStart } : {}),
      ...(bundle !== undefined ? { bundle } : {}),
    });
    await linkReferences(repo, stanza, manifest, cfg.get(`repo${repo.idx}-hardlink`) === true, log);
    await fileSync?.finish();
    await syncSetPaths(repo.storage, stanza, manifest);
    if (session !== undefined && start !== undefined) {
      const stop = await stopBackup({ session, log });
      const stopTime = Math.floor(Date.now() / 1000);
      // stored while PostgreSQL's archiver pushes the stop segment, as pgBackRest does
      await storeLabelFiles({
        storage: repo.storage,
        stanza,
        manifest,
        files: { backup_label: stop.backupLabel, tablespace_map: stop.tablespaceMap },
        compressType,
        compressLevel: cfg.intOpt('compress-level'),
        cipherPass: manifest.cipherPass,
        timestamp: stopTime,
        log,
      });
      Object.assign(manifest.backup, { timestampStop: stopTime, lsnStop: stop.lsn, archiveStop: stop.segment });
      const copy: ArchiveCopy | undefined = archive !== undefined && cfg.bool('archive-copy')
        ? { storage: repo.storage, stanza, manifest, archivePass: archiveInfo.cipherPass, segmentSize: control.walSegmentSize,
            walDir: control.versionNum >= 100000 ? 'pg_wal' : 'pg_xlog', log }
        : undefined;
      await checkStopArchive({ start, stop, archive, log, ...(copy ? { copy: (segment, stored) => copySegmentToBackup(copy, segment, stored) } : {}) });
    } else {
      manifest.backup.timestampStop = Math.floor(Date.now() / 1000);
    }
    const entry = await completeBackup({ storage: repo.storage, stanza, manifest, info, manifestPass: info.cipherPass, repoPass: repo.cipherPass });
    log.info(`new backup label = ${label}`);
    log.info(`${type} backup size = ${formatSize(entry.sizeDelta)}, file total = ${manifest.files.length}`);
    lock.progress(10000);
  } finally {
    ended.abort();
    await conn?.close();
  }
}

/**
 * An offline backup (--no-online) copies the files of a stopped cluster. With postmaster.pid present
 * PostgreSQL looks to be running and the copy would not be consistent: refused unless --force.
 */
function checkStopped(cfg: Config, pgPath: string, log: Logger): void {
  if (!existsSync(join(pgPath, 'postmaster.pid'))) return;
  if (!cfg.bool('force')) {
    throw err(
      'PgRunningError',
      '--no-online passed but postmaster.pid exists - looks like PostgreSQL is running. Shut down PostgreSQL and try again, or use --force.',
    );
  }
  log.warn(
    '--no-online passed and postmaster.pid exists but --force was passed so backup will continue though it looks like PostgreSQL is running and the backup will probably not be consistent',
  );
}

/**
 * An option this tool does not act on yet fails the backup (backup from a standby would change
 * where the files come from), so that no backup says it is what it is not.
 */
function refuseUnimplemented(cfg: Config, online: boolean): void {
  if (online && cfg.bool('backup-standby')) throw err('FeatureNotSupportedError', 'backup from a standby (backup-standby) is not implemented yet in pgbackrest-ts');
}

/**
 * Each file left with a prior backup, in manifest order, once the copy is done, as 2.45 does it:
 * with repo-hardlink on a repo that has hard links, `<set>/<name><ext>` becomes a hard link to the
 * prior's copy (`hardlink <name> to <label>`), so every backup directory looks whole; otherwise, and
 * on object stores (2.45 records option-hardlink there all the same), `reference <name> to <label>`.
 * The manifest keeps the reference either way.
 */
async function linkReferences(repo: RepoTarget, stanza: string, m: Manifest, hardlink: boolean, log: Logger): Promise<void> {
  const link = hardlink && repo.storage.features.hardLink ? repo.storage.hardLinkCreate?.bind(repo.storage) : undefined;
  const ext = compressExtension(m.options.compressType);
  for (const f of m.files) {
    if (f.reference === undefined) continue;
    if (link === undefined) {
      log.detail(`reference ${f.name} to ${f.reference}`);
      continue;
    }
    log.detail(`hardlink ${f.name} to ${f.reference}`);
    await link(`${backupSetPath(stanza, f.reference)}/${f.name}${ext}`, `${backupSetPath(stanza, m.backup.label)}/${f.name}${ext}`);
  }
}

/** repo-bundle-size and repo-bundle-limit when the repo bundles small files (repo-bundle=y). */
function bundleSettings(cfg: Config, repoIdx: number): BundleSettings | undefined {
  if (cfg.get(`repo${repoIdx}-bundle`) !== true) return undefined;
  return { size: Number(cfg.get(`repo${repoIdx}-bundle-size`)), limit: Number(cfg.get(`repo${repoIdx}-bundle-limit`)) };
}

function manifestOptions(cfg: Config, repoIdx: number, archiveCheck: boolean) {
  return {
    archiveCheck,
    // WAL is copied only where it is checked for (archive-copy depends on archive-check)
    archiveCopy: archiveCheck && cfg.bool('archive-copy'),
    backupStandby: false,
    bufferSize: cfg.intOpt('buffer-size'),
    compressLevelNetwork: cfg.intOpt('compress-level-network'),
    hardlink: cfg.get(`repo${repoIdx}-hardlink`) === true,
    processMax: cfg.intOpt('process-max') ?? 1,
  };
}

/** `backup.manifest.copy` alone marks a backup in progress (resumable, never listed). */
async function savePartialManifest(repo: RepoTarget, stanza: string, m: Manifest, pass: string | undefined): Promise<void> {
  let bytes: Buffer = Buffer.from(renderManifest(m), 'utf8');
  if (pass !== undefined) bytes = encryptBuffer(bytes, pass);
  await repo.storage.write(`${backupManifestPath(stanza, m.backup.label)}.copy`, bytes, { atomic: true });
}

export type { PgControl };
