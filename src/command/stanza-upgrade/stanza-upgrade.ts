import type { CommandContext } from '../command.js';
import type { PgControl } from '../../postgres/control.js';
import { loadArchiveInfo, saveArchiveInfo } from '../../repo/archive-info.js';
import { loadBackupInfo, saveBackupInfo } from '../../repo/backup-info.js';
import { checkStanzaInfo } from '../../repo/info-check.js';
import { addHistory, needsUpgrade } from '../../repo/pg-history.js';
import type { RepoTarget } from '../common/repos.js';
import { forEachStanzaRepo } from '../common/stanza-repos.js';

/**
 * After a major upgrade or a new initdb: append the cluster as a new history entry to archive.info
 * and backup.info on every repo (archive.info first), keeping cipher passes and backups. A file
 * that already names the cluster is left alone, so a run interrupted between the two files is
 * finished by running it again.
 */
export async function run(ctx: CommandContext): Promise<void> {
  await forEachStanzaRepo(ctx, async (repo, stanza, control) => {
    ctx.log.info(`stanza-upgrade for stanza '${stanza}' on ${repo.name}`);
    if (!(await upgradeRepo(repo, stanza, control))) ctx.log.info(`stanza '${stanza}' on ${repo.name} is already up to date`);
  });
}

/** Returns false when both files already describe the cluster. */
async function upgradeRepo(repo: RepoTarget, stanza: string, pg: PgControl): Promise<boolean> {
  const s = repo.storage;
  const opts = { cipherPass: repo.cipherPass, displayPath: repo.display };
  const archive = (await loadArchiveInfo(s, stanza, opts)).value;
  const backup = (await loadBackupInfo(s, stanza, opts)).value;
  const id = { version: pg.version, systemId: pg.systemId };
  const archiveStale = needsUpgrade(archive, id);
  const backupStale = needsUpgrade(backup, id);
  if (archiveStale) addHistory(archive, id);
  if (backupStale) addHistory(backup, { ...id, catalogVersion: pg.catalogVersion, controlVersion: pg.controlVersion });
  // both must end up on the same history id before either is written
  checkStanzaInfo(archive, backup);
  if (archiveStale) await saveArchiveInfo(s, stanza, archive, { cipherPass: repo.cipherPass });
  if (backupStale) await saveBackupInfo(s, stanza, backup, { cipherPass: repo.cipherPass });
  return archiveStale || backupStale;
}
