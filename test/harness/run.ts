import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, postgresUser } from './tmp.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Full environment of the child; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Extra variables merged over `env`. */
  addEnv?: Record<string, string>;
  /** Run as the postgres OS user when the tests run as root. */
  asPostgres?: boolean;
  input?: string | Buffer;
  cwd?: string;
  /** Kill the child (SIGKILL) after this long; the result then has code -1. Default 120 s. */
  timeoutMs?: number;
}

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs a command to completion and returns its exit code and output; never throws on exit status. */
export function runCmd(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), ...opts.addEnv };
  const dropPrivileges = opts.asPostgres === true && isRoot;
  if (dropPrivileges) env.HOME = '/var/lib/postgresql';
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(dropPrivileges ? postgresUser() : {}),
    });
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => errOut.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(errOut).toString() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** How to start our CLI: `runCmd(ourCli().cmd, [...ourCli().args, ...args])`. */
export function ourCli(): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: [join(REPO_ROOT, 'bin', 'pgbackrest')] };
}

/** The real pgBackRest 2.45 used as the reference. */
export function theirCli(): string {
  return '/usr/bin/pgbackrest';
}
