import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isRoot, postgresUser } from '../test/harness/tmp.js';

/** One timed command: wall time, and peak memory of the main process and of its whole tree. */
export interface Sample {
  wallMs: number;
  /** Max RSS of the main process, from `/usr/bin/time -f %M` (KiB). */
  mainRssKb: number;
  /**
   * Peak of the summed RSS of the process and all its descendants, polled from /proc every 50 ms
   * (KiB). Shared pages are counted once per process, and peaks shorter than 50 ms can be missed.
   */
  treeRssKb: number;
  /**
   * User plus system CPU (ms) of the process and of the children it waited for, from
   * `/usr/bin/time -f %U %S`: all threads of ours, and pgBackRest's local processes. A daemon that
   * is not waited for (async archive-push) is not counted, for either tool.
   */
  cpuMs?: number;
  /** CPU (ms) the S3 server used during the run, when the case ran against the bench's s3rver. */
  serverCpuMs?: number;
}

export interface Measured extends Sample {
  code: number;
  stdout: string;
  stderr: string;
}

const PAGE_KB = 4;
const POLL_MS = 50;

/** ppid and RSS (KiB) of every process, from /proc/<pid>/stat. */
function processTable(): Map<number, { ppid: number; rssKb: number }> {
  const table = new Map<number, { ppid: number; rssKb: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited between readdir and read
    }
    // Fields after the command name, which is in parentheses and may itself hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(name), { ppid: Number(rest[1]), rssKb: Number(rest[21]) * PAGE_KB });
  }
  return table;
}

/** Summed RSS of every descendant of `rootPid` (not counting rootPid itself). */
function descendantsRssKb(rootPid: number): number {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let sum = 0;
  const queue = [...(children.get(rootPid) ?? [])];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    sum += table.get(pid)?.rssKb ?? 0;
    queue.push(...(children.get(pid) ?? []));
  }
  return sum;
}

export interface MeasureOptions {
  /** A directory the postgres user can write, for /usr/bin/time's report. */
  scratchDir: string;
  timeoutMs?: number;
}

/**
 * Runs `cmd args` as postgres (when root) under /usr/bin/time and returns its exit code, output,
 * wall time and memory. Wall time is taken here, around the spawn, so it includes process start-up.
 */
export function measure(cmd: string, args: readonly string[], opts: MeasureOptions): Promise<Measured> {
  const timeFile = join(opts.scratchDir, `time-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (isRoot) env.HOME = '/var/lib/postgresql';
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, cmd, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(isRoot ? postgresUser() : {}),
    });
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => errOut.push(b));
    let treeRssKb = 0;
    const poll = setInterval(() => {
      if (child.pid !== undefined) treeRssKb = Math.max(treeRssKb, descendantsRssKb(child.pid));
    }, POLL_MS);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30 * 60_000);
    child.on('error', (e) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      clearInterval(poll);
      clearTimeout(timer);
      let report: { mainRssKb: number; cpuMs?: number } = { mainRssKb: 0 };
      try {
        report = parseTimeReport(readFileSync(timeFile, 'utf8'));
        rmSync(timeFile, { force: true });
      } catch {
        // time did not write its report (killed)
      }
      const { mainRssKb, cpuMs } = report;
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(errOut).toString(),
        wallMs,
        mainRssKb,
        treeRssKb: Math.max(treeRssKb, mainRssKb),
        cpuMs,
      });
    });
  });
}

/**
 * `/usr/bin/time -f '%U %S %M'` output: CPU seconds (user, system) and max RSS (KiB). For a command
 * that exits on a signal, time writes a "Command terminated" line first, so the report is the last line.
 */
export function parseTimeReport(text: string): { mainRssKb: number; cpuMs?: number } {
  const lines = text.trim().split('\n');
  const [user, sys, rss] = lines[lines.length - 1].trim().split(/\s+/).map(Number);
  const cpuMs = Number.isFinite(user) && Number.isFinite(sys) ? Math.round((user + sys) * 1000) : undefined;
  return { mainRssKb: Number.isFinite(rss) ? rss : 0, cpuMs };
}

/** CPU (ms) a process has used so far, from /proc/<pid>/stat (utime + stime); undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;
