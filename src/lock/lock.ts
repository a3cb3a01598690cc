import { chmodSync, closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import { err } from '../error/error.js';
import { errnoCode, strerror } from '../storage/errno.js';
import { namesById } from '../util/account-file.js';
import { childProcess } from '../util/child-process.js';

export type LockType = 'backup' | 'archive' | 'all';

export interface LockHandle {
  readonly files: readonly string[];
  /** Rewrite the lock content with backup progress (percent × 100), as `info` reads it. */
  progress(pctCplt: number): void;
  release(): void;
}

const FLOCK_BUSY = 50;

/**
 * Take pgBackRest's lock files `<lock-path>/<stanza>-backup.lock` / `-archive.lock` with flock(2),
 * so pgBackRest and this tool exclude each other. Node has no flock: the `flock` utility locks an
 * inherited descriptor and exits, and because flock locks belong to the open file description the
 * lock stays ours until we close it, or until this process dies for any reason.
 */
export function acquireLock(opts: { lockPath: string; stanza: string; type: LockType; execId: string }): LockHandle {
  ensureLockPath(opts.lockPath);
  const types = opts.type === 'all' ? ['archive', 'backup'] : [opts.type];
  const held: { file: string; fd: number }[] = [];
  try {
    for (const t of types) held.push(lockOne(`${opts.lockPath}/${opts.stanza}-${t}.lock`, opts.execId));
  } catch (e) {
    for (const h of held) unlockOne(h);
    throw e;
  }
  return {
    files: held.map((h) => h.file),
    progress(pctCplt: number) {
      for (const h of held) writeContent(h.fd, opts.execId, pctCplt);
    },
    release() {
      for (const h of held.splice(0)) unlockOne(h);
    },
  };
}

/** lock-path is shared by every user that runs pgBackRest: 0770 whatever the umask, like pgBackRest. */
export function ensureLockPath(lockPath: string): void {
  if (mkdirSync(lockPath, { recursive: true, mode: 0o770 }) !== undefined) chmodSync(lockPath, 0o770);
}

function lockOne(file: string, execId: string): { file: string; fd: number } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o640);
  } catch (e) {
    // pgBackRest reports a lock file it cannot open as the lock it could not take: [050], not [105]
    const hints = errnoCode(e) === 'EACCES' ? [`does '${accountNames()}' running pgBackRest have permissions on the '${file}' file?`] : [];
    throw err('LockAcquireError', `unable to acquire lock on file '${file}': ${strerror(e)}`, { hints, cause: e });
  }
  const r = childProcess().spawnSync('flock', ['--nonblock', '--conflict-exit-code', String(FLOCK_BUSY), '3'], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
  });
  if (r.status !== 0) {
    closeSync(fd);
    if (r.status === FLOCK_BUSY) {
      throw err('LockAcquireError', `unable to acquire lock on file '${file}': Resource temporarily unavailable`, {
        hints: ['is another pgBackRest process running?'],
      });
    }
    const why = r.error ? r.error.message : String(r.stderr ?? '').trim();
    throw err('LockAcquireError', `unable to acquire lock on file '${file}': ${why}`);
  }
  writeContent(fd, execId);
  return { file, fd };
}

/** `user:group` of this process, as pgBackRest names them in its lock permission hint. */
function accountNames(): string {
  const gid = process.getgid?.() ?? 0;
  return `${userInfo().username}:${namesById('/etc/group').get(gid) ?? gid}`;
}

function writeContent(fd: number, execId: string, pctCplt?: number): void {
  const pid = process.pid;
  const json =
    pctCplt === undefined
      ? `{"execId":"${execId}","pid":${pid}}`
      : `{"execId":"${execId}","pctCplt":${Math.round(pctCplt)},"pid":${pid}}`;
  ftruncateSync(fd, 0);
  writeSync(fd, json, 0);
}

/** pgBackRest deletes the file while still holding the lock, then closes it. */
function unlockOne(h: { file: string; fd: number }): void {
  try {
    unlinkSync(h.file);
  } catch {
    // already gone: only the flock state ever mattered
  }
  closeSync(h.fd);
}

/**
 * Is `<stanza>-<type>.lock` held by a running process? Used by `info`; never blocks and never
 * takes the lock for longer than the test. Progress comes from the holder's `pctCplt`.
 */
export function lockStatus(lockPath: string, stanza: string, type: 'backup' | 'archive'): { held: boolean; pctCplt?: number } {
  const file = `${lockPath}/${stanza}-${type}.lock`;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY);
  } catch {
    return { held: false };
  }
  try {
    const r = childProcess().spawnSync('flock', ['--nonblock', '--shared', '--conflict-exit-code', String(FLOCK_BUSY), '3'], {
      stdio: ['ignore', 'ignore', 'ignore', fd],
    });
    if (r.status !== FLOCK_BUSY) return { held: false };
    const content = readFileSync(file, 'utf8');
    const m = /"pctCplt":(\d+)/.exec(content);
    return m ? { held: true, pctCplt: Number(m[1]) } : { held: true };
  } catch {
    return { held: true };
  } finally {
    closeSync(fd);
  }
}
