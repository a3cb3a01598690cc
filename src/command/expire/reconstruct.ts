import { backupEntryFromManifest } from '../../backup/complete.js';
import type { BackupEntry, BackupInfo } from '../../repo/backup-info.js';
import { BACKUP_LABEL_REGEX, backupManifestPath, backupStanzaPath } from '../../repo/layout.js';
import { loadManifest } from '../../repo/manifest.js';
import type { Logger } from '../../log/logger.js';
import type { RepoTarget } from '../common/repos.js';

/**
 * pgBackRest's expire loads backup.info "with reconstruct": a finished backup on disk (it has a
 * backup.manifest that loads, of a known cluster, whose prior is listed) that backup.info lacks is
 * added, and a listed backup whose backup.manifest is gone is dropped. Each change is a warning.
 */
export async function reconstructBackupInfo(repo: RepoTarget, stanza: string, info: BackupInfo, log: Logger): Promise<void> {
  const s = repo.storage;
  const onDisk = (await s.list(backupStanzaPath(stanza), { expression: BACKUP_LABEL_REGEX }))
    .filter((e) => e.type === 'path')
    .map((e) => e.name)
    .sort();
  for (const label of onDisk) {
    if (info.backups.some((b) => b.label === label)) continue;
    if (!(await s.fileExists(backupManifestPath(stanza, label)))) continue;
    const entry = await loadEntry(repo, stanza, label, info);
    if (entry === undefined) continue;
    if (!info.history.some((h) => h.id === entry.dbId)) continue;
    if (entry.prior !== undefined && !info.backups.some((b) => b.label === entry.prior)) continue;
    log.warn(`backup '${label}' found in repository added to backup.info`);
    info.backups = [...info.backups, entry].sort((a, b) => (a.label < b.label ? -1 : 1));
  }
  for (const b of [...info.backups]) {
    if (await s.fileExists(backupManifestPath(stanza, b.label))) continue;
    log.warn(`backup '${b.label}' missing manifest removed from backup.info`);
    info.backups = info.backups.filter((x) => x.label !== b.label);
  }
}

async function loadEntry(repo: RepoTarget, stanza: string, label: string, info: BackupInfo): Promise<BackupEntry | undefined> {
  try {
    const m = await loadManifest(repo.storage, stanza, label, { cipherPass: info.cipherPass, displayPath: repo.display });
    return backupEntryFromManifest(m.value);
  } catch {
    return undefined;
  }
}
