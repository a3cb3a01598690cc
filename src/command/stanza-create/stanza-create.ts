import type { CommandContext } from '../command.js';
import { err } from '../../error/error.js';
import { newCipherPass } from '../../io/cipher-key.js';
import type { PgControl } from '../../postgres/control.js';
import { loadArchiveInfo, newArchiveInfo, saveArchiveInfo } from '../../repo/archive-info.js';
import { loadBackupInfo, newBackupInfo, saveBackupInfo } from '../../repo/backup-info.js';
import { checkStanzaInfoPg } from '../../repo/info-check.js';
import { archiveInfoPath, archiveStanzaPath, backupInfoPath, backupStanzaPath } from '../../repo/layout.js';
import type { RepoTarget } from '../common/repos.js';
import { forEachStanzaRepo, infoFilesFound } from '../common/stanza-repos.js';

/**
 * Create the stanza on every repo: archive.info then backup.info (each with its .copy) for the
 * cluster in pg1-path. Running it again checks the files against the cluster and repairs a missing
 * main or copy file; a repo holding another cluster is an error and is left as it is.
 */
export async function run(ctx: CommandContext): Promise<void> {
  await forEachStanzaRepo(ctx, async (repo, stanza, control) => {
    ctx.log.info(`stanza-create for stanza '${stanza}' on ${repo.name}`);
    if (!(await createOnRepo(repo, stanza, control))) ctx.log.info(`stanza '${stanza}' already exists on ${repo.name} and is valid`);
  });
}

/** Returns true when the info files were written, false when valid ones were already there. */
async function createOnRepo(repo: RepoTarget, stanza: string, pg: PgControl): Promise<boolean> {
  const s = repo.storage;
  const exists = async (path: string) => (await s.fileExists(path)) || s.fileExists(`${path}.copy`);
  const archiveExists = await exists(archiveInfoPath(stanza));
  const backupExists = await exists(backupInfoPath(stanza));
  const opts = { cipherPass: repo.cipherPass, displayPath: repo.display };

  if (archiveExists && backupExists) {
    const archive = await loadArchiveInfo(s, stanza, opts);
    const backup = await loadBackupInfo(s, stanza, opts);
    checkStanzaInfoPg(archive.value, backup.value, { version: pg.version, systemId: pg.systemId });
    const repaired = [archive, backup].some((l) => l.mainError !== undefined) || !(await infoFilesFound(repo, stanza)).every(Boolean);
    if (repaired) {
      await saveArchiveInfo(s, stanza, archive.value, { cipherPass: repo.cipherPass });
      await saveBackupInfo(s, stanza, backup.value, { cipherPass: repo.cipherPass });
    }
    return repaired;
  }
  if (archiveExists || backupExists) {
    const [have, missing] = archiveExists ? ['archive.info', 'backup.info'] : ['backup.info', 'archive.info'];
    throw err('FileMissingError', `${have} exists but ${missing} is missing on ${repo.name}`, {
      hints: ['this may be a symptom of repository corruption!'],
    });
  }
  await checkEmpty(repo, stanza);
  const cipher = repo.cipherType === 'none' ? {} : { archive: newCipherPass(), backup: newCipherPass() };
  const id = { version: pg.version, systemId: pg.systemId };
  await saveArchiveInfo(s, stanza, newArchiveInfo({ ...id, cipherPass: cipher.archive }), { cipherPass: repo.cipherPass });
  const backup = newBackupInfo({ ...id, catalogVersion: pg.catalogVersion, controlVersion: pg.controlVersion, cipherPass: cipher.backup });
  await saveBackupInfo(s, stanza, backup, { cipherPass: repo.cipherPass });
  return true;
}

/** Leftovers without info files mean someone else's data: refuse rather than mix with it. */
async function checkEmpty(repo: RepoTarget, stanza: string): Promise<void> {
  const backupUsed = (await repo.storage.list(backupStanzaPath(stanza))).length > 0;
  const archiveUsed = (await repo.storage.list(archiveStanzaPath(stanza))).length > 0;
  if (!backupUsed && !archiveUsed) return;
  const what = [backupUsed ? 'backup' : '', archiveUsed ? 'archive' : ''].filter(Boolean).join(' and/or ');
  throw err('PathNotEmptyError', `${what} directory not empty`);
}
