import type { CommandContext, CommandResult } from '../command.js';
import { expireAfterBackup } from '../expire/after-backup.js';
import { acquireLock } from '../../lock/lock.js';
import { checkStop } from '../../lock/stop.js';
import { runBackup } from '../../backup/run.js';
import { repoTarget } from '../common/repos.js';
import { checkCompressLevel } from '../../config/load-checks.js';

/** `backup`: one backup of pg1 into one repo (`--repo`, or the lowest configured index). */
export async function run({ cfg, log }: CommandContext): Promise<CommandResult> {
  const stanza = cfg.str('stanza');
  const lockPath = cfg.str('lock-path');
  checkStop(lockPath, stanza);
  const indexes = cfg.indexes('repo');
  let repoIdx = cfg.intOpt('repo');
  if (repoIdx === undefined) {
    repoIdx = indexes[0];
    if (indexes.length > 1) log.info(`repo option not specified, defaulting to repo${repoIdx}`);
  }
  const lock = acquireLock({ lockPath, stanza, type: 'backup', execId: cfg.str('exec-id') });
  let handedOff = false;
  try {
    retentionWarning(cfg, repoIdx, log);
    checkCompressLevel(cfg);
    await runBackup({ cfg, log, repo: await repoTarget(cfg, repoIdx), lock });
    handedOff = true;
    // the automatic expire runs after `backup command end`, still inside the backup lock
    const expire = async () => {
      try {
        await expireAfterBackup(cfg, log);
      } finally {
        lock.release();
      }
    };
    return { after: { name: 'expire', run: expire } };
  } finally {
    if (!handedOff) lock.release();
  }
}

function retentionWarning(cfg: CommandContext['cfg'], idx: number, log: CommandContext['log']): void {
  const type = cfg.strOpt(`repo${idx}-retention-full-type`) ?? 'count';
  if (cfg.intOpt(`repo${idx}-retention-full`) !== undefined) return;
  log.warn(
    `option 'repo${idx}-retention-full' is not set for 'repo${idx}-retention-full-type=${type}', the repository may run out of space\n` +
      `HINT: to retain full backups indefinitely (without warning), set option 'repo${idx}-retention-full' to the maximum.`,
  );
}
