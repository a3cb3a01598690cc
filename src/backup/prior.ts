import type { Logger } from '../log/logger.js';
import type { BackupEntry, BackupInfo } from '../repo/backup-info.js';
import type { BackupType } from '../repo/layout.js';
import { loadManifest, type Manifest } from '../repo/manifest.js';
import type { StorageDriver } from '../storage/storage.js';

export interface PriorBackup {
  entry: BackupEntry;
  manifest: Manifest;
}

/**
 * The backup a diff (latest full) or incr (latest backup) builds on, from the current cluster's
 * history only. Without one the backup becomes a full, with pgBackRest's warning.
 */
export async function choosePrior(opts: {
  info: BackupInfo;
  type: BackupType;
  storage: StorageDriver;
  stanza: string;
  manifestPass?: string;
  display: (p: string) => string;
  log: Logger;
}): Promise<{ type: BackupType; prior?: PriorBackup }> {
  if (opts.type === 'full') return { type: 'full' };
  const candidates = opts.info.backups.filter((b) => b.dbId === opts.info.currentId);
  const entry = opts.type === 'diff' ? candidates.filter((b) => b.type === 'full').pop() : candidates[candidates.length - 1];
  if (entry === undefined) {
    opts.log.warn(`no prior backup exists, ${opts.type} backup has been changed to full`);
    return { type: 'full' };
  }
  opts.log.info(`last backup label = ${entry.label}, version = ${entry.backrestVersion}`);
  const manifest = (
    await loadManifest(opts.storage, opts.stanza, entry.label, { cipherPass: opts.manifestPass, displayPath: opts.display })
  ).value;
  return { type: opts.type, prior: { entry, manifest } };
}
