import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';

/**
 * Start the detached `<command>:async` process with the foreground's own options: the same argv
 * with the command replaced, the parameters replaced, and console/stderr logging turned off (the
 * child logs to its own file). Secrets stay in the environment and config files, never in argv.
 */
export function spawnAsync(opts: { command: string; params: readonly string[]; newParams: string[]; argv?: string[] }): void {
  const argv = opts.argv ?? process.argv;
  const [node, script, ...args] = argv;
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
  const childArgs = [script, ...kept, '--log-level-console=off', '--log-level-stderr=off', `${opts.command}:async`, ...opts.newParams];
  const devNull = openSync('/dev/null', 'r+');
  const child = spawn(node, childArgs, { detached: true, stdio: [devNull, devNull, devNull], env: process.env });
  child.unref();
}
