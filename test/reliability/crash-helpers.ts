/**
 * Shared by the crash loop (issue 9): a seeded PRNG for kill delays, a runner that spawns our CLI
 * and SIGKILLs it (by its PID only) after a delay, and file-tree helpers to compare repos and data
 * directories.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ourCli } from '../harness/run.js';
import { isRoot, postgresUser } from '../harness/tmp.js';
import { prng } from '../harness/fault-proxy.js';

/** `n` delays (ms) drawn uniformly from [lo, hi), in drawing order. */
export function delays(rand: () => number, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => Math.round(lo + rand() * (hi - lo)));
}

/**
 * Kill delays over the working span of a timed, unkilled run: from its first log line (the process
 * has started and parsed its options; nothing before it touches the repo or the target) to its exit.
 */
export function killDelays(seed: number, n: number, timed: { firstOutputMs: number; elapsedMs: number }): number[] {
  return delays(prng(seed), n, timed.firstOutputMs, timed.elapsedMs);
}

export interface SpawnResult {
  /** 'mid': the child was still running when SIGKILL was sent; 'after': it had already exited. */
  landed: 'mid' | 'after';
  delayMs: number;
  /** Exit code, null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** When the first output arrived (ms after spawn): with --log-level-console=info, the `command begin` line. */
  firstOutputMs: number;
}

/**
 * Spawns our CLI with `args` (as postgres when the tests run as root) and sends SIGKILL to its PID
 * after `delayMs`, unless it exited before. `delayMs` Infinity runs it to completion (a timed run).
 */
export function spawnOurs(args: readonly string[], delayMs: number, timeoutMs = 180_000): Promise<SpawnResult> {
  const cli = ourCli();
  const start = performance.now();
  const child = spawn(cli.cmd, [...cli.args, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(isRoot ? { ...postgresUser(), env: { ...process.env, HOME: '/var/lib/postgresql' } } : {}),
  });
  const out: Buffer[] = [];
  const errOut: Buffer[] = [];
  let firstOutputAt = 0;
  const first = () => (firstOutputAt ||= performance.now());
  child.stdout!.on('data', (b: Buffer) => (first(), out.push(b)));
  child.stderr!.on('data', (b: Buffer) => (first(), errOut.push(b)));
  let landed: 'mid' | 'after' = 'after';
  let exitedAt = 0;
  child.once('exit', () => (exitedAt = performance.now()));
  const killAt = Number.isFinite(delayMs) ? delayMs : timeoutMs;
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      landed = 'mid';
      process.kill(child.pid, 'SIGKILL');
    }
  }, killAt);
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        landed,
        delayMs,
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(errOut).toString(),
        elapsedMs: Math.round((exitedAt || performance.now()) - start),
        firstOutputMs: Math.round((firstOutputAt || performance.now()) - start),
      });
    });
  });
}

/** Every entry below `dir` (relative paths, sorted); directories end with '/'. */
export function tree(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (skip(r)) continue;
      const st = lstatSync(join(d, name));
      if (st.isDirectory()) {
        out.push(`${r}/`);
        walk(join(d, name), r);
      } else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** sha1 of each regular file below `dir` (relative path → hash), directories and links by kind. */
export function treeHashes(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of tree(dir, skip)) {
    if (rel.endsWith('/')) {
      out.set(rel, 'dir');
      continue;
    }
    const st = lstatSync(join(dir, rel));
    out.set(rel, st.isSymbolicLink() ? 'link' : createHash('sha1').update(readFileSync(join(dir, rel))).digest('hex'));
  }
  return out;
}

export const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

export interface SummaryRow {
  command: string;
  n: number;
  mid: number;
  after: number;
  /** Extra classification of the kill points (e.g. how many left a partial state). */
  detail: string;
  outcome: string;
}

export function renderSummary(seed: number, rows: readonly SummaryRow[]): string {
  const head = ['command', 'N', 'killed mid-command', 'after finish', 'detail', 'outcome'];
  const body = rows.map((r) => [r.command, String(r.n), String(r.mid), String(r.after), r.detail, r.outcome]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    `crash loop summary (seed ${seed})`,
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}
