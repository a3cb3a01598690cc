import type { CommandContext } from '../command.js';
import { acquireLock } from '../../lock/lock.js';
import { checkStop } from '../../lock/stop.js';
import { retentionWarnings } from '../../expire/retention.js';
import { runExpire } from './run-expire.js';

/**
 * `expire`: apply retention on every repo. Order as in pgBackRest 2.45: backup lock, then the
 * retention warnings of option loading, then the stop-file check, then the work.
 */
export async function run({ cfg, log }: CommandContext): Promise<void> {
  const stanza = cfg.str('stanza');
  const lockPath = cfg.str('lock-path');
  const lock = acquireLock({ lockPath, stanza, type: 'backup', execId: cfg.str('exec-id') });
  try {
    for (const w of retentionWarnings(cfg)) log.warn(w);
    checkStop(lockPath, stanza);
    await runExpire(cfg, log);
  } finally {
    lock.release();
  }
}
