/**
 * How the demo shows its work: every step prints a heading and the command it runs (`$ ...`),
 * then the command's real output, straight to the terminal (commands see the demo's own stdout,
 * so pgbackrest draws its progress line there when it is a terminal).
 */
import { spawn } from 'node:child_process';
import { isRoot, postgresUser } from '../test/harness/tmp.js';

export interface ShellOptions {
  /** Variables added to the demo's environment for every command. */
  env: Record<string, string>;
}

export class Shell {
  constructor(private readonly opts: ShellOptions) {}

  heading(text: string): void {
    process.stdout.write(`\n== ${text}\n`);
  }

  say(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  /**
   * Runs `cmd args` as the postgres OS user when the demo runs as root, with output inherited.
   * `shown` is what is printed after `$ ` (the command as a user would type it). Resolves to the
   * exit code; a signal counts as 128 + its number like a shell reports it.
   */
  run(shown: string, cmd: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<number> {
    this.say(`$ ${shown}`);
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.opts.env, ...extraEnv };
    if (isRoot) env.HOME = '/var/lib/postgresql';
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { env, stdio: ['ignore', 'inherit', 'inherit'], ...(isRoot ? postgresUser() : {}) });
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + signalNumber(signal))));
    });
  }

  /** Like `run`, but a non-zero exit ends the demo with an error naming the step. */
  async must(shown: string, cmd: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<void> {
    const code = await this.run(shown, cmd, args, extraEnv);
    if (code !== 0) throw new Error(`'${shown}' exited with code ${code}`);
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : signal === 'SIGKILL' ? 9 : 0;
}

/** Quote an argument for display the way a shell user would have to type it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\$`])/g, '\\$1')}"`;
}
