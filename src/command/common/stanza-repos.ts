import type { CommandContext } from '../command.js';
import { acquireLock } from '../../lock/lock.js';
import { checkStop } from '../../lock/stop.js';
import type { PgControl } from '../../postgres/control.js';
import { archiveInfoPath, backupInfoPath } from '../../repo/layout.js';
import { clusterControl } from './pg-cluster.js';
import { repoTargets, type RepoTarget } from './repos.js';

/**
 * The frame of stanza-create and stanza-upgrade: stop-file check, both locks, the cluster's
 * pg_control (checked against the running server when online), then each repo in turn.
 */
export async function forEachStanzaRepo(
  { cfg, log }: CommandContext,
  perRepo: (repo: RepoTarget, stanza: string, control: PgControl) => Promise<void>,
): Promise<void> {
  const stanza = cfg.str('stanza');
  const lockPath = cfg.str('lock-path');
  checkStop(lockPath, stanza);
  const lock = acquireLock({ lockPath, stanza, type: 'all', execId: cfg.str('exec-id') });
  try {
    const control = await clusterControl(cfg, log, { online: cfg.bool('online') });
    for (const repo of await repoTargets(cfg)) await perRepo(repo, stanza, control);
  } finally {
    lock.release();
  }
}

/** Which of a stanza's four info files (archive.info, backup.info, each with its .copy) the repo holds. */
export async function infoFilesFound(repo: RepoTarget, stanza: string): Promise<boolean[]> {
  const paths = [archiveInfoPath(stanza), backupInfoPath(stanza)].flatMap((p) => [p, `${p}.copy`]);
  return Promise.all(paths.map((p) => repo.storage.fileExists(p)));
}
