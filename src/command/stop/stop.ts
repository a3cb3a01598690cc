import { closeSync, existsSync, openSync, constants } from 'node:fs';
import { ensureLockPath } from '../../lock/lock.js';
import type { CommandContext } from '../command.js';
import { err } from '../../error/error.js';
import { stopFilePath } from '../../lock/stop.js';
import { terminateLockHolders } from './force.js';

/**
 * Write the stop file (`<stanza>.stop`, or `all.stop` without a stanza) so that new commands fail
 * with [062]; with --force also end the processes holding the matching locks. As in pgBackRest, an
 * existing stop file is only a warning and then --force does nothing.
 */
export async function run({ cfg, log }: CommandContext): Promise<void> {
  const lockPath = cfg.str('lock-path');
  const stanza = cfg.strOpt('stanza');
  const file = stopFilePath(lockPath, stanza);
  if (existsSync(file)) {
    log.warn(`stop file already exists for ${stanza === undefined ? 'all stanzas' : `stanza ${stanza}`}`);
    return;
  }
  createLockPath(lockPath);
  let fd: number;
  try {
    // no O_TRUNC: a stop file racing with another stop stays as it is
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT, 0o640);
  } catch (e) {
    throw err('FileOpenError', `unable to open stop file '${file}': ${(e as Error).message}`, { cause: e });
  }
  closeSync(fd);
  if (cfg.bool('force')) terminateLockHolders(lockPath, stanza, log);
}

/** pgBackRest creates the lock path 0770 whatever the umask. */
function createLockPath(lockPath: string): void {
  if (existsSync(lockPath)) return;
  ensureLockPath(lockPath);
}
