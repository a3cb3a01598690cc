import type { Config } from '../../config/config.js';
import { err, toPgbrError } from '../../error/error.js';
import type { Logger } from '../../log/logger.js';
import { loadBackupInfo, saveBackupInfo, type BackupInfo } from '../../repo/backup-info.js';
import { BACKUP_LABEL_REGEX, backupManifestPath, backupSetPath, backupStanzaPath, isBackupLabel } from '../../repo/layout.js';
import {
  expireAdhoc, expireDiffCount, expireEventText, expireFullCount, expireFullTime, RetentionState,
} from '../../expire/plan-backups.js';
import { retentionSettings, type RetentionSettings } from '../../expire/retention.js';
import { repoTargets, type RepoTarget } from '../common/repos.js';
import { expireArchive } from './expire-archive.js';
import { expireHistory } from './expire-history.js';
import { reconstructBackupInfo } from '../../backup/reconstruct.js';

interface RepoRun {
  cfg: Config;
  log: Logger;
  repo: RepoTarget;
  stanza: string;
  dryRun: boolean;
  /** `--set`, when given. */
  adhoc?: string;
}

/**
 * Expire on every repo (or `--repo`). Each repo's failure is logged as `repoN: <message>` and the
 * others still run; any failure ends in CommandError, as pgBackRest does. The caller holds the lock.
 */
export async function runExpire(cfg: Config, log: Logger): Promise<void> {
  const stanza = cfg.str('stanza');
  const adhoc = cfg.strOpt('set');
  if (adhoc !== undefined && !isBackupLabel(adhoc)) {
    throw err('OptionInvalidValueError', `'${adhoc}' is not a valid backup label format`);
  }
  const dryRun = cfg.get('dry-run') === true;
  const repos = await repoTargets(cfg);
  let errors = 0;
  let adhocFound = false;
  for (const [i, repo] of repos.entries()) {
    try {
      // found nowhere: said once, on the last repo right after its lookup (before its removals), as 2.45 does
      const warnMissing = i === repos.length - 1 && !adhocFound;
      const found = await expireRepo({ cfg, log, repo, stanza, dryRun, ...(adhoc === undefined ? {} : { adhoc }) }, warnMissing);
      adhocFound ||= found;
    } catch (e) {
      const pe = toPgbrError(e);
      log.error(`${repo.name}: ${pe.fullMessage}`, pe.code);
      errors++;
    }
  }
  if (errors > 0) throw err('CommandError', `expire command encountered ${errors} error(s), check the log file for details`);
}

/** Returns whether the `--set` backup was found on this repo; `warnMissing`: say so when it was not. */
async function expireRepo(r: RepoRun, warnMissing: boolean): Promise<boolean> {
  const { repo, stanza, log } = r;
  const info = (await loadBackupInfo(repo.storage, stanza, { cipherPass: repo.cipherPass, displayPath: repo.display })).value;
  await reconstructBackupInfo(repo, stanza, info, log);
  const settings = retentionSettings(r.cfg, repo.idx);
  const state = new RetentionState(info.backups);
  let archiveRetention = settings.archive;
  let found = false;
  if (r.adhoc !== undefined) {
    if (state.find(r.adhoc) !== undefined) {
      found = true;
      await expireAdhocSet(r, state, r.adhoc);
    } else if (warnMissing) {
      log.warn(`backup ${r.adhoc} does not exist\nHINT: run the info command and confirm the backup is listed`);
    }
  } else {
    archiveRetention = applyRetention(r, state, settings);
  }
  await invalidate(r, state);
  info.backups = info.backups.filter((b) => state.find(b.label) !== undefined);
  if (!r.dryRun) await saveBackupInfo(repo.storage, stanza, info, { cipherPass: repo.cipherPass });
  await removeExpiredBackups(r, info);
  await expireArchive({
    repo, stanza, info, log, dryRun: r.dryRun, type: settings.archiveType, timeBased: settings.fullType === 'time',
    ...(archiveRetention === undefined ? {} : { retention: archiveRetention }),
  });
  if (settings.history !== undefined) await expireHistory({ ...r, info, days: settings.history });
  return found;
}

/** Full (count or time) then diff retention; returns the archive retention to use afterwards. */
function applyRetention(r: RepoRun, state: RetentionState, s: RetentionSettings): number | undefined {
  let archive = s.archive;
  const logEvents = (from: number) => {
    for (const e of state.events.slice(from)) r.log.info(`${r.repo.name}: ${expireEventText(e)}`);
  };
  if (s.fullType === 'time') {
    if (s.full !== undefined) {
      const fulls = state.labels(['full']).length;
      const expired = expireFullTime(state, Math.floor(Date.now() / 1000) - s.full * 86_400);
      if (s.archiveType === 'full' && !s.archiveSet && expired > 0) archive = fulls - expired;
    }
  } else if (s.full !== undefined) {
    expireFullCount(state, s.full);
  }
  logEvents(0);
  const before = state.events.length;
  if (s.diff !== undefined) expireDiffCount(state, s.diff);
  logEvents(before);
  return archive;
}

async function expireAdhocSet(r: RepoRun, state: RetentionState, label: string): Promise<void> {
  const result = expireAdhoc(state, label);
  if (result.latestRemoved !== undefined) {
    r.log.warn(
      `${r.repo.name}: expiring latest backup ${result.latestRemoved} - the ability to perform point-in-time-recovery (PITR) may be affected\n` +
        `HINT: non-default settings for '${r.repo.name}-retention-archive'/'${r.repo.name}-retention-archive-type' (even in prior expires) can cause gaps in the WAL.`,
    );
    const newest = state.backups[state.backups.length - 1];
    if (!r.dryRun && newest !== undefined) await linkLatest(r, newest.label);
  }
  for (const e of state.events) r.log.info(`${r.repo.name}: ${expireEventText(e)}`);
}

async function linkLatest(r: RepoRun, label: string): Promise<void> {
  const s = r.repo.storage;
  if (!s.features.symLink || s.linkCreate === undefined) return;
  const latest = `${backupStanzaPath(r.stanza)}/latest`;
  await s.remove(latest);
  await s.linkCreate(label, latest);
}

/**
 * Delete the manifests of expired backups, newest first in each set, before backup.info is saved:
 * a crash in between leaves directories without a manifest, which nothing takes for a backup.
 */
async function invalidate(r: RepoRun, state: RetentionState): Promise<void> {
  if (r.dryRun) return;
  for (const e of state.events) {
    for (const label of [...e.labels].reverse()) {
      await r.repo.storage.remove(backupManifestPath(r.stanza, label));
      await r.repo.storage.remove(`${backupManifestPath(r.stanza, label)}.copy`);
    }
  }
}

/**
 * Delete every label directory not in backup.info, newest first. With `--set`, a resumable newest
 * backup (manifest copy only) survives unless it may belong to the expired set.
 */
async function removeExpiredBackups(r: RepoRun, info: BackupInfo): Promise<void> {
  const s = r.repo.storage;
  const current = new Set(info.backups.map((b) => b.label));
  const onDisk = (await s.list(backupStanzaPath(r.stanza), { expression: BACKUP_LABEL_REGEX }))
    .filter((e) => e.type === 'path')
    .map((e) => e.name)
    .sort()
    .reverse();
  let start = 0;
  if (r.adhoc !== undefined && onDisk.length > 0 && (await keepResumable(r, info, onDisk[0]!))) start = 1;
  for (const label of onDisk.slice(start)) {
    if (current.has(label)) continue;
    r.log.info(`${r.repo.name}: remove expired backup ${label}`);
    if (!r.dryRun) await s.pathRemove(backupSetPath(r.stanza, label), { recurse: true });
  }
}

async function keepResumable(r: RepoRun, info: BackupInfo, label: string): Promise<boolean> {
  const s = r.repo.storage;
  const manifest = backupManifestPath(r.stanza, label);
  if ((await s.fileExists(manifest)) || !(await s.fileExists(`${manifest}.copy`))) return false;
  if (!label.startsWith(r.adhoc!.slice(0, 16))) return true;
  const prior = await resumablePrior(r, info, label);
  return prior !== undefined && info.backups.some((b) => b.label === prior);
}

/** A manifest that cannot be loaded fails the expire, as pgBackRest's does, rather than cost the resumable backup. */
async function resumablePrior(r: RepoRun, info: BackupInfo, label: string): Promise<string | undefined> {
  const { loadManifest } = await import('../../repo/manifest.js');
  const m = await loadManifest(r.repo.storage, r.stanza, label, { cipherPass: info.cipherPass, displayPath: r.repo.display });
  return m.value.backup.prior;
}
