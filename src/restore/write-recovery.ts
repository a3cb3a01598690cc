/**
 * Writes the recovery settings into the restored cluster (spec backup-procedure.md §8.5 step 6):
 * postgresql.auto.conf + recovery.signal/standby.signal on PG ≥ 12, recovery.conf before.
 */
import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { recoveryLines, recoveryOptions, recoveryTimestamp, rewriteAutoConf, type RecoverySettings } from './recovery.js';
import type { OwnerIds } from './owner.js';
import type { Owner } from '../repo/manifest.js';

export interface WriteRecovery {
  pgPath: string;
  settings: RecoverySettings;
  /** Owner and mode of restored config files (from the manifest's pg_data path). */
  owner: { user: Owner; group: Owner };
  owners: OwnerIds;
  log: Logger;
  now?: Date;
}

export const AUTO_CONF = 'postgresql.auto.conf';
export const RECOVERY_CONF = 'recovery.conf';

export function writeRecovery(w: WriteRecovery): void {
  const { settings: s, pgPath, log } = w;
  if (s.type === 'preserve') {
    const file = join(pgPath, s.pgVersionNum >= 120000 ? AUTO_CONF : RECOVERY_CONF);
    if (!existsSync(file)) log.warn(`recovery type is preserve but recovery file does not exist at '${file}'`);
    return;
  }
  const now = recoveryTimestamp(w.now);
  const lines = s.type === 'none' ? undefined : recoveryLines(recoveryOptions(s));
  if (s.pgVersionNum >= 120000) {
    const file = join(pgPath, AUTO_CONF);
    const existed = existsSync(file);
    const old = existed ? readFileSync(file, 'utf8') : undefined;
    writeOwned(w, file, rewriteAutoConf(old, lines, now));
    log.info(`write ${existed ? 'updated ' : ''}${file}`);
    writeOwned(w, join(pgPath, s.type === 'standby' ? 'standby.signal' : 'recovery.signal'), '');
  } else if (lines !== undefined) {
    const file = join(pgPath, RECOVERY_CONF);
    writeOwned(w, file, lines);
    log.info(`write ${file}`);
  }
}

function writeOwned(w: WriteRecovery, file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  if (w.owners.enabled) chownSync(file, w.owners.uid(w.owner.user), w.owners.gid(w.owner.group));
}
