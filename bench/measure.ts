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

/** ppid and RSS (KiB) of one process from /proc/<pid>/stat; undefined once it is gone. */
function procStat(pid: number): { ppid: number; rssKb: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(rest[1]), rssKb: Number(rest[21]) * PAGE_KB };
}

/**
 * Summed RSS of every descendant of a process, polled. Reading every process's stat at each poll
 * cost 1.7 ms of CPU (70 processes), 3.5 % of a core at one poll per 50 ms taken from the tool
 * being measured on a 2-core machine. A process seen once and found not to descend from the root
 * is not read again while it lives (its parent does not change but to init, which does not make
 * it a descendant); descendants are read at every poll, for their RSS and in case they were
 * reparented away.
 */
export class TreeRss {
  /** Pids known not to be descendants. */
  private readonly others = new Set<number>();
  private readonly inTree = new Set<number>();

  constructor(private readonly rootPid: number) {}

  /** The descendants' summed RSS now (KiB), not counting the root itself. */
  poll(): number {
    const alive = new Set<number>();
    const fresh: number[] = [];
    for (const name of readdirSync('/proc')) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      alive.add(pid);
      if (pid !== this.rootPid && !this.others.has(pid) && !this.inTree.has(pid)) fresh.push(pid);
    }
    for (const pid of this.others) if (!alive.has(pid)) this.others.delete(pid);
    const stats = new Map<number, { ppid: number; rssKb: number }>();
    for (const pid of [...this.inTree, ...fresh]) {
      const st = procStat(pid);
      if (st !== undefined) stats.set(pid, st);
    }
    // A pid is in the tree when its parent chain among the pids read reaches the root.
    this.inTree.clear();
    const descends = (pid: number, seen = 0): boolean => {
      if (pid === this.rootPid || this.inTree.has(pid)) return true;
      const st = stats.get(pid);
      if (st === undefined || seen > 64) return false;
      return descends(st.ppid, seen + 1);
    };
    let sum = 0;
    for (const [pid, st] of stats) {
      if (descends(pid)) {
        this.inTree.add(pid);
        sum += st.rssKb;
      } else {
        this.others.add(pid);
      }
    }
    return sum;
  }
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
    const tree = child.pid === undefined ? undefined : new TreeRss(child.pid);
    const poll = setInterval(() => {
      if (tree !== undefined) treeRssKb = Math.max(treeRssKb, tree.poll());
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
