import { openSync } from 'node:fs';
import { isPgbrError } from '../error/error.js';
import { acquireLock, type LockHandle } from '../lock/lock.js';
import { childProcess } from '../util/child-process.js';
import { clearErrors } from './spool.js';

/**
 * The detached `<command>:async` process's arguments to node, from the foreground's own: node's
 * options (bin/pgbackrest's `#!` line passes --use-openssl-ca: without it the child would not trust
 * a CA of the system store that the foreground trusts), the script, the same options with the
 * command and parameters replaced, and console/stderr logging turned off (the child logs to its own
 * file). Secrets stay in the environment and config files, never in argv.
 */
export function asyncChildArgs(opts: {
  command: string;
  params: readonly string[];
  newParams: string[];
  argv: readonly string[];
  execArgv: readonly string[];
}): string[] {
  const [, script, ...args] = opts.argv;
  const kept: string[] = [];
  let commandSeen = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (/^--log-level-(console|stderr)(=|$)/.test(a)) {
      if (!a.includes('=')) i++;
      continue;
    }
    if (!commandSeen && a === opts.command) {
      commandSeen = true;
      continue;
    }
    if (commandSeen && !a.startsWith('--') && opts.params.includes(a)) continue;
    kept.push(a);
  }
  return [...opts.execArgv, script, ...kept, '--log-level-console=off', '--log-level-stderr=off', `${opts.command}:async`, ...opts.newParams];
}

/** Start the detached `<command>:async` process (see asyncChildArgs) with this one's node. */
export function spawnAsync(opts: { command: string; params: readonly string[]; newParams: string[] }): void {
  const childArgs = asyncChildArgs({ ...opts, argv: process.argv, execArgv: process.execArgv });
  const devNull = openSync('/dev/null', 'r+');
  const child = childProcess().spawn(process.execPath, childArgs, { detached: true, stdio: [devNull, devNull, devNull], env: process.env });
  child.unref();
}

/** The archive lock if it is free, undefined while another async process holds it. */
export function tryArchiveLock(o: { lockPath: string; stanza: string; execId: string }): LockHandle | undefined {
  try {
    return acquireLock({ lockPath: o.lockPath, stanza: o.stanza, type: 'archive', execId: o.execId });
  } catch (e) {
    if (isPgbrError(e, 'LockAcquireError')) return undefined;
    throw e;
  }
}

/**
 * Start the async process unless one is running (it holds the archive lock): clear the errors of
 * the previous run while holding the lock, release it, then spawn the child that takes it.
 */
export async function startAsyncIfIdle(o: {
  lockPath: string;
  stanza: string;
  execId: string;
  queue: string;
  command: string;
  params: readonly string[];
  newParams: string[];
}): Promise<void> {
  const lock = tryArchiveLock(o);
  if (lock === undefined) return;
  try {
    await clearErrors(o.queue);
  } finally {
    lock.release();
  }
  spawnAsync(o);
}
