import { existsSync, rmSync } from 'node:fs';
import type { CommandContext } from '../command.js';
import type { Config } from '../../config/config.js';
import { err } from '../../error/error.js';
import { acquireLock } from '../../lock/lock.js';
import { stopFilePath } from '../../lock/stop.js';
import { archiveInfoPath, archiveStanzaPath, backupInfoPath, backupStanzaPath } from '../../repo/layout.js';
import { repoTargets, type RepoTarget } from '../common/repos.js';
import { infoFilesFound } from '../common/stanza-repos.js';

/**
 * Remove a stopped stanza from one repo. The info files go first (archive.info, then
 * backup.info, each with its copy): without them no command treats what is left as a stanza, so a
 * crash part way leaves nothing that looks valid, and a rerun finishes the job. A repo without info
 * files is left untouched and needs no stop file.
 */
export async function run({ cfg }: CommandContext): Promise<void> {
  const stanza = cfg.str('stanza');
  const lockPath = cfg.str('lock-path');
  requireSingleRepo(cfg);
  const lock = acquireLock({ lockPath, stanza, type: 'all', execId: cfg.str('exec-id') });
  try {
    const [repo] = await repoTargets(cfg);
    if (repo === undefined || !(await infoFilesFound(repo, stanza)).some(Boolean)) return;
    const stopFile = stopFilePath(lockPath, stanza);
    if (!existsSync(stopFile)) {
      throw err('FileMissingError', `stop file does not exist for stanza '${stanza}'`, {
        hints: ['has the pgbackrest stop command been run on this server for this stanza?'],
      });
    }
    if (!cfg.bool('force')) checkPgStopped(cfg, stanza, repo.name);
    await deleteStanza(repo, stanza);
    rmSync(stopFile, { force: true });
  } finally {
    lock.release();
  }
}

/** Deleting from every repo at once is too easy a mistake: pgBackRest insists on --repo. */
function requireSingleRepo(cfg: Config): void {
  if (cfg.intOpt('repo') !== undefined || cfg.indexes('repo').length <= 1) return;
  throw err('OptionRequiredError', `${cfg.command} command requires option: repo`, {
    hints: ['this command requires a specific repository to operate on'],
  });
}

function checkPgStopped(cfg: Config, stanza: string, repoName: string): void {
  const pgPath = cfg.strOpt('pg1-path');
  if (pgPath === undefined || !existsSync(`${pgPath}/postmaster.pid`)) return;
  throw err(
    'PgRunningError',
    `postmaster.pid exists - looks like PostgreSQL is running. To delete stanza '${stanza}' on ${repoName},` +
      ` shut down PostgreSQL for stanza '${stanza}' and try again, or use --force.`,
  );
}

async function deleteStanza(repo: RepoTarget, stanza: string): Promise<void> {
  for (const info of [archiveInfoPath(stanza), backupInfoPath(stanza)]) {
    await repo.storage.remove(info);
    await repo.storage.remove(`${info}.copy`);
  }
  await repo.storage.pathRemove(archiveStanzaPath(stanza), { recurse: true });
  await repo.storage.pathRemove(backupStanzaPath(stanza), { recurse: true });
}
