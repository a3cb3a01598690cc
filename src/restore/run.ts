/**
 * The restore command's steps in pgBackRest's order (spec backup-procedure.md §8.5): validate the
 * target, pick the set, load and remap its manifest, clean (delta/force), create paths, copy
 * files, write recovery settings, put pg_control in place.
 */
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { repoStorageDescription, type StorageDescription } from '../parallel/storage-desc.js';
import { prestartFileWorkers } from '../parallel/file-pool.js';
import { repoIndexes } from '../command/common/repos.js';
import { join } from 'node:path';
import { localFiles, localPath } from '../backup/file-stream.js';
import { loadManifest, PG_DATA, type Manifest } from '../repo/manifest.js';
import { formatLocalTime, formatSize } from '../util/format.js';
import { finishPgControl, restoreFiles, syncRestoredPaths } from './files.js';
import { checkManifestNames } from './names.js';
import { ownerIds } from './owner.js';
import { checkTargets, cleanTargets, createPaths } from './paths.js';
import type { RecoveryType } from './recovery.js';
import { restoreCommand } from './restore-command.js';
import { selectBackupSet } from './select.js';
import { selectiveZeroed } from './selective.js';
import { checkLinks, remapTargets, validatePgPath } from './target.js';
import { AUTO_CONF, RECOVERY_CONF, writeRecovery } from './write-recovery.js';

/** Written into the target while a restore runs (pgBackRest's name). */
const BACKUP_MANIFEST = 'backup.manifest';

export async function runRestore(cfg: Config, log: Logger): Promise<void> {
  const stanza = cfg.str('stanza');
  const pgPath = cfg.str('pg1-path');
  const mode = validatePgPath(pgPath, { delta: cfg.bool('delta'), force: cfg.bool('force') }, log);
  prestartEarly(cfg);
  const { repo, info, entry } = await selectBackupSet(cfg, log);
  const loaded = await loadManifest(repo.storage, stanza, entry.label, { cipherPass: info.cipherPass, displayPath: repo.display });
  const manifest = loaded.value;
  checkManifestNames(manifest);
  log.info(
    `${repo.name}: restore backup set ${entry.label}, recovery will start at ${formatLocalTime(manifest.backup.timestampStart)}`,
  );
  remapTargets(manifest, cfg, pgPath, log);
  checkLinks(manifest, pgPath);
  const owners = ownerIds(manifest, pgPath, log);
  // before anything is created in the target: a bad database name leaves it as it was
  const zeroed = selectiveZeroed(manifest, cfg.list('db-include'), cfg.list('db-exclude'), log);
  const pgVersionNum = versionNum(manifest.db.version);
  const type = cfg.str('type') as RecoveryType;
  const keep = keptByClean(type, pgVersionNum);
  const targets = checkTargets(manifest, pgPath, mode, keep, log);
  const skip = skippedFiles(manifest, type, pgVersionNum, log);
  // backup.manifest in the target marks a restore in progress (pgBackRest's marker), so that a rerun
  // with --delta or --force may clean up after one killed before PG_VERSION was written. It is kept
  // by the clean and written before anything else is created (not atomically: even a cut-short
  // file is a marker), so that a kill at any point leaves either an empty target or the marker.
  // Only its presence is looked at, by either tool: it is the manifest as loaded, not re-rendered
  // with the remapped paths (40 ms of a restore's start for 1,000 files, 200 ms for 11,000).
  cleanTargets(manifest, targets, { pgPath, delta: mode.delta || mode.force, keep, owners }, log);
  await localFiles().write(localPath(join(pgPath, BACKUP_MANIFEST)), loaded.text, { atomic: false });
  createPaths(manifest, pgPath, owners, log);
  const summary = await restoreFiles({
    manifest, stanza, pgPath, skip, owners, log,
    storage: repoStorageDescription(cfg, repo.idx),
    processMax: cfg.intOpt('process-max') ?? 1,
    delta: mode.delta,
    force: mode.force,
    zeroed,
  });
  const root = manifest.paths.find((p) => p.name === PG_DATA);
  writeRecovery({
    pgPath, owners, log,
    owner: { user: root?.user ?? false, group: root?.group ?? false },
    settings: {
      type,
      target: cfg.strOpt('target'),
      targetAction: cfg.strOpt('target-action'),
      targetExclusive: cfg.has('target-exclusive') ? cfg.bool('target-exclusive') : undefined,
      targetTimeline: cfg.strOpt('target-timeline'),
      recoveryOption: cfg.hash('recovery-option'),
      archiveMode: cfg.strOpt('archive-mode'),
      restoreCommand: restoreCommand(cfg, pgPath),
      pgVersionNum,
    },
  });
  await localFiles().remove(localPath(join(pgPath, BACKUP_MANIFEST)));
  await syncRestoredPaths(manifest, pgPath, log);
  await finishPgControl(manifest, pgPath, log);
  log.info(`restore size = ${formatSize(summary.size)}, file total = ${summary.total}`);
}

/**
 * Starts one worker thread now, when the repo the restore will read is already known (one repo, or
 * --repo): it loads Node and the bundle on the core that the main thread leaves idle while it reads
 * backup.info and the manifest. Starting all of them here made those three threads share two
 * cores for no gain; five A/B runs each of a 315 MB restore, process-max 4: 1.86 s against 2.00 s
 * without. With several repos the choice waits for the backup set, and threads start with the copy.
 */
function prestartEarly(cfg: Config): void {
  const indexes = repoIndexes(cfg);
  if (indexes.length !== 1) return;
  let storage: StorageDescription;
  try {
    storage = repoStorageDescription(cfg, indexes[0]!);
  } catch {
    return;
  }
  prestartFileWorkers(cfg.intOpt('process-max') ?? 1, storage, 1);
}

/** `15` → 150000, `9.6` → 90600. */
export function versionNum(version: string): number {
  const [major, minor] = version.split('.').map(Number) as [number, number | undefined];
  return major >= 10 ? major * 10000 : major * 10000 + (minor ?? 0) * 100;
}

/**
 * Manifest files not restored: tablespace_map (links are made from the mappings) and, for
 * preserve on PG ≥ 12, postgresql.auto.conf (before 12 the recovery file, recovery.conf, is never
 * in a backup).
 */
function skippedFiles(m: Manifest, type: RecoveryType, pgVersionNum: number, log: Logger): Set<string> {
  const skip = new Set<string>();
  const has = (name: string) => m.files.some((f) => f.name === name);
  if (has('pg_data/tablespace_map')) {
    log.detail("skip 'tablespace_map' -- tablespace links will be created based on mappings");
    skip.add('pg_data/tablespace_map');
  }
  if (type === 'preserve' && pgVersionNum >= 120000 && has(`${PG_DATA}/${AUTO_CONF}`)) {
    log.detail(`skip '${AUTO_CONF}' -- recovery type is preserve`);
    skip.add(`${PG_DATA}/${AUTO_CONF}`);
  }
  return skip;
}

/**
 * Files in PGDATA that the clean leaves alone: the restore marker and, for preserve, the
 * recovery files, signal files included: a preserved standby stays a standby.
 */
function keptByClean(type: RecoveryType, pgVersionNum: number): Set<string> {
  const keep = new Set([`${PG_DATA}/${BACKUP_MANIFEST}`]);
  if (type === 'preserve') {
    const names = pgVersionNum >= 120000 ? [AUTO_CONF, 'recovery.signal', 'standby.signal'] : [RECOVERY_CONF];
    for (const n of names) keep.add(`${PG_DATA}/${n}`);
  }
  return keep;
}
