import { backupEntryFromManifest } from './complete.js';
import { dependentSet } from '../expire/plan-backups.js';
import { addBackupEntry, type BackupInfo } from '../repo/backup-info.js';
import { BACKUP_LABEL_REGEX, backupManifestPath, backupStanzaPath } from '../repo/layout.js';
import { loadManifest } from '../repo/manifest.js';
import type { Logger } from '../log/logger.js';
import type { RepoTarget } from '../command/common/repos.js';

/**
 * pgBackRest's backup and expire load backup.info "with reconstruct", in this order:
 * 1. a listed backup whose backup.manifest is gone is dropped, and with it every listed backup that
 *    depends on it (each a warning, newest first): they cannot be restored without it;
 * 2. a finished backup on disk (its backup.manifest exists) that backup.info lacks is added when its
 *    manifest is of a cluster in the history (id, system id and version) and its prior, if any, is
 *    listed; otherwise it is warned about as invalid.
 * A manifest that cannot be loaded in step 2 fails the command, as it does pgBackRest's: skipping
 * it would leave the directory to expire's removal of backups that backup.info does not list, and a
 * store that failed one read must not cost a good backup. The changes are saved with backup.info by
 * whatever the command saves next (a backup's completion, expire's save).
 */
export async function reconstructBackupInfo(repo: RepoTarget, stanza: string, info: BackupInfo, log: Logger): Promise<void> {
  const s = repo.storage;
  const missing = await manifestsMissing(repo, stanza, info.backups.map((b) => b.label));
  for (const b of [...info.backups]) {
    if (!info.backups.some((x) => x.label === b.label)) continue;
    if (!missing.has(b.label)) continue;
    for (const label of dependentSet(info.backups, b.label).reverse()) {
      log.warn(`backup '${label}' missing manifest removed from backup.info`);
      info.backups = info.backups.filter((x) => x.label !== label);
    }
  }
  const onDisk = (await s.list(backupStanzaPath(stanza), { expression: BACKUP_LABEL_REGEX }))
    .filter((e) => e.type === 'path')
    .map((e) => e.name)
    .sort();
  for (const label of onDisk) {
    if (info.backups.some((b) => b.label === label)) continue;
    if (!(await s.fileExists(backupManifestPath(stanza, label)))) continue;
    const m = (await loadManifest(s, stanza, label, { cipherPass: info.cipherPass, displayPath: repo.display })).value;
    const prior = m.backup.prior;
    const known = info.history.some((h) => h.id === m.db.id && h.systemId === m.db.systemId && h.version === m.db.version);
    if (!known || (prior !== undefined && !info.backups.some((b) => b.label === prior))) {
      log.warn(`invalid backup '${m.backup.label}' cannot be added to current backups`);
      continue;
    }
    log.warn(`backup '${label}' found in repository added to backup.info`);
    addBackupEntry(info, backupEntryFromManifest(m));
  }
}

/** Existence checks at once: one request each on an object store, where each waits a round trip. */
const CHECKS_AT_ONCE = 8;

/** The labels whose backup.manifest does not exist, checked CHECKS_AT_ONCE at a time. */
async function manifestsMissing(repo: RepoTarget, stanza: string, labels: readonly string[]): Promise<Set<string>> {
  const missing = new Set<string>();
  for (let i = 0; i < labels.length; i += CHECKS_AT_ONCE) {
    const batch = labels.slice(i, i + CHECKS_AT_ONCE);
    const exists = await Promise.all(batch.map((label) => repo.storage.fileExists(backupManifestPath(stanza, label))));
    batch.forEach((label, j) => {
      if (!exists[j]) missing.add(label);
    });
  }
  return missing;
}
