import type { CommandContext } from '../command.js';
import { err, toPgbrError } from '../../error/error.js';
import { acquireLock } from '../../lock/lock.js';
import { applyAnnotations } from '../../repo/annotation.js';
import { loadBackupInfo, saveBackupInfo } from '../../repo/backup-info.js';
import { isBackupLabel } from '../../repo/layout.js';
import { repoTargets } from '../common/repos.js';

/**
 * `annotate`: change the annotations of backup `--set` in backup.info, on every repo that has it
 * (or on `--repo`). As in pgBackRest 2.45: the backup lock is taken first (the stop file is not
 * checked), `--annotation=key=` removes a key, a repo that cannot be read
 * is logged as `repoN: <error>` and the others still run, and the command then fails with
 * CommandError; with no error and no repo holding the set it fails with BackupSetInvalidError.
 * The backup's manifest is left as it is, as 2.45 leaves it.
 *
 * One difference, on purpose: 2.45 saves the backup.info it changed into repo1 whatever repo it was
 * read from, so with several repos it overwrites repo1's backup list with another repo's. Here each
 * repo's file is written back to that repo.
 */
export async function run({ cfg, log }: CommandContext): Promise<void> {
  const stanza = cfg.str('stanza');
  const lock = acquireLock({ lockPath: cfg.str('lock-path'), stanza, type: 'backup', execId: cfg.str('exec-id') });
  try {
    const label = cfg.str('set');
    if (!isBackupLabel(label)) throw err('OptionInvalidValueError', `'${label}' is not a valid backup label format`);
    const changes = cfg.hash('annotation');
    let errors = 0;
    let found = false;
    for (const repo of await repoTargets(cfg)) {
      try {
        const info = (await loadBackupInfo(repo.storage, stanza, { cipherPass: repo.cipherPass, displayPath: repo.display })).value;
        const backup = info.backups.find((b) => b.label === label);
        if (backup === undefined) continue;
        found = true;
        log.info(`backup set '${label}' to annotate found in ${repo.name}`);
        const annotation = applyAnnotations(backup.annotation, changes);
        if (annotation !== undefined) backup.annotation = annotation;
        else delete backup.annotation;
        await saveBackupInfo(repo.storage, stanza, info, { cipherPass: repo.cipherPass });
      } catch (e) {
        const pe = toPgbrError(e);
        log.error(`${repo.name}: ${pe.fullMessage}`, pe.code);
        errors++;
      }
    }
    if (errors > 0) throw err('CommandError', `annotate command encountered ${errors} error(s), check the log file for details`);
    if (!found) throw err('BackupSetInvalidError', 'no backup set to annotate found');
  } finally {
    lock.release();
  }
}
