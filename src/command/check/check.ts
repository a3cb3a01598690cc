import type { CommandContext } from '../command.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../log/logger.js';
import { waitForSegment } from '../../archive/wait.js';
import type { PgConnection } from '../../postgres/client.js';
import type { PgControl } from '../../postgres/control.js';
import { checkArchiveSettings, initSession, switchWal } from '../../postgres/session.js';
import { loadArchiveInfo } from '../../repo/archive-info.js';
import { loadBackupInfo } from '../../repo/backup-info.js';
import { checkStanzaInfoPg } from '../../repo/info-check.js';
import { archiveIdOf } from '../../repo/pg-history.js';
import { connectPrimary, controlOf } from '../common/pg-cluster.js';
import { repoTargets, type RepoTarget } from '../common/repos.js';

/**
 * Prove that backups can work: the primary's archive settings, the stanza's info files on every
 * repo, and a real round trip of one WAL segment from PostgreSQL's archive_command into each repo.
 * Takes no lock and ignores stop files, as pgBackRest does.
 */
export async function run({ cfg, log }: CommandContext): Promise<void> {
  const stanza = cfg.str('stanza');
  const db = await connectPrimary(cfg, log, { check: true });
  try {
    const control = await controlOf(db, cfg.str('pg1-path'));
    const session = await initSession(db, cfg.command);
    if (cfg.bool('archive-check')) checkArchiveSettings(session, cfg.bool('archive-mode-check'));
    const repos = await repoTargets(cfg);
    const archiveIds = new Map<number, string>();
    for (const repo of repos) {
      log.info(`check ${repo.name} configuration (primary)`);
      archiveIds.set(repo.idx, await checkRepo(repo, stanza, control));
    }
    const segment = await forceWalSwitch(db, session.versionNum);
    await waitInRepos(cfg, log, { repos, archiveIds, stanza, segment });
  } finally {
    await db.close();
  }
}

/** Both info files load and describe this cluster; returns the archive id WAL goes to. */
async function checkRepo(repo: RepoTarget, stanza: string, pg: PgControl): Promise<string> {
  const opts = { cipherPass: repo.cipherPass, displayPath: repo.display };
  const archive = (await loadArchiveInfo(repo.storage, stanza, opts)).value;
  const backup = (await loadBackupInfo(repo.storage, stanza, opts)).value;
  checkStanzaInfoPg(archive, backup, { version: pg.version, systemId: pg.systemId });
  return archiveIdOf(archive);
}

/**
 * The restore point puts a record in the current segment, so the switch always closes a segment
 * with content (an idle server would otherwise switch nothing) and PostgreSQL archives it.
 */
async function forceWalSwitch(db: PgConnection, versionNum: number): Promise<string> {
  await db.query("select pg_catalog.pg_create_restore_point('pgBackRest Archive Check')::text");
  return switchWal(db, versionNum);
}

async function waitInRepos(
  cfg: Config,
  log: Logger,
  w: { repos: RepoTarget[]; archiveIds: Map<number, string>; stanza: string; segment: string },
): Promise<void> {
  const timeoutMs = Math.round(Number(cfg.get('archive-timeout')) * 1000);
  for (const repo of w.repos) {
    log.info(`check ${repo.name} archive for WAL (primary)`);
    const archiveId = w.archiveIds.get(repo.idx)!;
    const path = await waitForSegment({ storage: repo.storage, stanza: w.stanza, archiveId, segment: w.segment, timeoutMs });
    log.info(`WAL segment ${w.segment} successfully archived to '${repo.display(path)}' on ${repo.name}`);
  }
}
