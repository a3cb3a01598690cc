import { closeSync, openSync, readdirSync, readFileSync, unlinkSync, constants } from 'node:fs';
import type { Logger } from '../../log/logger.js';
import { childProcess } from '../../util/child-process.js';

const FLOCK_BUSY = 50;

/**
 * stop --force: every `*.lock` in lock-path (only the stanza's archive and backup locks when a
 * stanza is given) is read and removed; when a live process holds it, that process gets SIGTERM.
 * A lock nobody holds, or one without a readable pid, is only a warning (pgBackRest 2.45).
 */
export function terminateLockHolders(lockPath: string, stanza: string | undefined, log: Logger): void {
  const wanted = stanza === undefined ? undefined : new Set([`${stanza}-archive.lock`, `${stanza}-backup.lock`]);
  const names = readdirSync(lockPath)
    .filter((n) => n.endsWith('.lock') && (wanted === undefined || wanted.has(n)))
    .sort();
  for (const name of names) {
    const file = `${lockPath}/${name}`;
    const pid = heldLockPid(file);
    if (pid === undefined) {
      log.warn(`unable to read lock file ${file}`);
      continue;
    }
    try {
      process.kill(pid, 'SIGTERM');
      log.info(`sent term signal to process ${pid}`);
    } catch {
      log.warn(`unable to send term signal to process ${pid}`);
    }
  }
}

/**
 * The pid written in a lock file that some process holds, else undefined. The file is removed
 * either way, as pgBackRest does, so a stale lock file does not survive a forced stop.
 */
function heldLockPid(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY);
  } catch {
    return undefined;
  }
  try {
    const r = childProcess().spawnSync('flock', ['--nonblock', '--shared', '--conflict-exit-code', String(FLOCK_BUSY), '3'], {
      stdio: ['ignore', 'ignore', 'ignore', fd],
    });
    if (r.status !== FLOCK_BUSY) return undefined;
    const m = /"pid":(\d+)/.exec(readFileSync(fd, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}
