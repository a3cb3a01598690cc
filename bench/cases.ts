import { copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Cluster } from '../test/harness/pg.js';
import { runCmd } from '../test/harness/run.js';
import { chownToPostgres } from '../test/harness/tmp.js';
import { buildSmallFilesCluster, waitArchiverIdle } from './data.js';
import {
  discard, dropRepo, makeRepo, mustRun, setArchiveMode,
  type BenchEnv, type Repo, type RepoType, type Tool, type ToolName,
} from './env.js';
import { measure, type Sample } from './measure.js';

/** A goal from the issue: `metric` of ours divided by theirs must be `op` `value`. */
export interface Target {
  metric: 'time' | 'rate' | 'memory';
  op: '<=' | '>=';
  value: number;
}

export interface BenchCase {
  id: string;
  /** `rate`: the case reports `units` per second instead of seconds. */
  units?: number;
  targets: Target[];
  /** Untimed, once per tool before the first run. */
  setup?(tool: Tool): Promise<void>;
  /** Untimed, before each pair of runs. */
  beforePair?(i: number): Promise<void>;
  run(tool: Tool, i: number): Promise<Sample>;
  teardown?(): Promise<void>;
}

export interface CaseSettings {
  pgbenchTx: number;
  asyncSegments: number;
  asyncProcessMax: number;
  smallFiles: number;
  fixtureCompress: 'lz4' | 'zst' | 'gz';
}

const TYPES: RepoType[] = ['posix', 's3'];
const TIME_08: Target = { metric: 'time', op: '<=', value: 0.8 };
const MEM_3: Target = { metric: 'memory', op: '<=', value: 3 };

/** Runs `args` with a repo archiving the cluster's WAL, then waits until nothing is left in flight. */
async function withArchive<T>(env: BenchEnv, cluster: Cluster, active: string, repo: Repo, fn: () => Promise<T>): Promise<T> {
  setArchiveMode(active, { mode: 'push', repo });
  try {
    return await fn();
  } finally {
    setArchiveMode(active, { mode: 'idle' });
    await waitArchiverIdle(cluster);
  }
}

function fullCase(env: BenchEnv, type: RepoType, pm: number, compress: 'lz4' | 'zst' | 'gz'): BenchCase {
  const id = `full-${type}-pm${pm}-${compress}`;
  return {
    id,
    targets: pm === 4 ? [TIME_08, MEM_3] : [MEM_3],
    async run(tool, i) {
      const repo = makeRepo(env, tool, `${id}-${i}`, { type, compress, processMax: pm });
      try {
        await mustRun(env, repo, ['stanza-create']);
        return await withArchive(env, env.cluster, env.active, repo, () => mustRun(env, repo, ['--type=full', 'backup']));
      } finally {
        dropRepo(env, repo);
      }
    },
  };
}

/** One repo per tool and type with one full backup, shared by the restore and info cases. */
function fixtures(env: BenchEnv, compress: 'lz4' | 'zst' | 'gz', name = 'fixture') {
  const made = new Map<string, Repo>();
  return {
    async get(tool: Tool, type: RepoType): Promise<Repo> {
      const key = `${type}-${tool.name}`;
      const have = made.get(key);
      if (have !== undefined) return have;
      const repo = makeRepo(env, tool, `${name}-${type}`, { type, compress, processMax: 4 });
      await mustRun(env, repo, ['stanza-create']);
      await withArchive(env, env.cluster, env.active, repo, () => mustRun(env, repo, ['--type=full', 'backup']));
      made.set(key, repo);
      return repo;
    },
    dropAll(): void {
      for (const repo of made.values()) dropRepo(env, repo);
      made.clear();
    },
  };
}

function incrCase(env: BenchEnv, type: RepoType, s: CaseSettings): BenchCase {
  const id = `incr-${type}-pm4`;
  const repos = new Map<ToolName, Repo>();
  const c = env.cluster;
  return {
    id,
    targets: [TIME_08],
    async setup(tool) {
      const repo = makeRepo(env, tool, id, { type, compress: s.fixtureCompress, processMax: 4 });
      repos.set(tool.name, repo);
      await mustRun(env, repo, ['stanza-create']);
      await withArchive(env, c, env.active, repo, () => mustRun(env, repo, ['--type=full', 'backup']));
    },
    async beforePair() {
      // Both tools of a pair back up the same changes: each one's previous backup predates this run.
      const args = ['-n', '-c', '4', '-t', String(s.pgbenchTx), '-h', c.socketDir, '-p', String(c.port), '-U', c.user, 'postgres'];
      const r = await runCmd(join(c.binDir, 'pgbench'), args, { asPostgres: true, timeoutMs: 3600_000 });
      if (r.code !== 0) throw new Error(`pgbench failed: ${r.stderr}`);
    },
    async run(tool) {
      const repo = repos.get(tool.name)!;
      return withArchive(env, c, env.active, repo, () => mustRun(env, repo, ['--type=incr', 'backup']));
    },
    async teardown() {
      for (const repo of repos.values()) dropRepo(env, repo);
    },
  };
}

function restoreCase(env: BenchEnv, type: RepoType, fx: ReturnType<typeof fixtures>, suffix = ''): BenchCase {
  const target = join(env.work, 'restore-target');
  return {
    id: `restore-${type}-pm4${suffix}`,
    targets: [TIME_08],
    setup: async (tool) => void (await fx.get(tool, type)),
    async run(tool) {
      discard(env, target);
      mkdirSync(target, { mode: 0o700 });
      chownToPostgres(target);
      try {
        return await mustRun(env, await fx.get(tool, type), [`--pg1-path=${target}`, '--process-max=4', 'restore']);
      } finally {
        discard(env, target);
      }
    },
  };
}

/** Per-request delay of the `-lat` cases: a real store answers in tens of milliseconds, s3rver here at once. */
const S3_LATENCY_MS = 20;

/**
 * `inner` (an S3 case) with the bench's s3rver delaying every request by `ms` through each run
 * (a full backup's untimed stanza-create included), as over a network to a real store. No target:
 * it shows how each tool copes with the round trips that s3rver on the same machine does not have.
 * Fixtures are made without the delay.
 */
function latencyCase(env: BenchEnv, inner: BenchCase, ms: number): BenchCase {
  const setLatency = (to: number): Promise<void> => {
    if (env.s3.setLatency === undefined) throw new Error(`${inner.id}-lat${ms}ms needs the bench's own s3rver`);
    return env.s3.setLatency(to);
  };
  return {
    ...inner,
    id: `${inner.id}-lat${ms}ms`,
    targets: [],
    async run(tool, i) {
      await setLatency(ms);
      try {
        return await inner.run(tool, i);
      } finally {
        await setLatency(0);
      }
    },
  };
}

function infoCase(env: BenchEnv, type: RepoType, fx: ReturnType<typeof fixtures>): BenchCase {
  return {
    id: `info-${type}`,
    targets: [],
    setup: async (tool) => void (await fx.get(tool, type)),
    run: async (tool) => mustRun(env, await fx.get(tool, type), ['info']),
  };
}

function versionCase(env: BenchEnv): BenchCase {
  return {
    id: 'version',
    targets: [],
    async run(tool) {
      const r = await measure(tool.cmd, [...tool.args, 'version'], { scratchDir: env.work });
      if (r.code !== 0) throw new Error(`version exited ${r.code}: ${r.stderr}`);
      return r;
    },
  };
}

function archivePushCase(env: BenchEnv, type: RepoType): BenchCase {
  const id = `archive-push-${type}`;
  return {
    id,
    targets: [{ metric: 'time', op: '<=', value: 1.5 }],
    async run(tool, i) {
      const repo = makeRepo(env, tool, `${id}-${i}`, { type });
      try {
        await mustRun(env, repo, ['stanza-create']);
        return await mustRun(env, repo, ['archive-push', env.segments[i % env.segments.length]]);
      } finally {
        dropRepo(env, repo);
      }
    },
  };
}

/** A copy of the cluster's pg_control plus `segments` hard-linked into pg_wal, each marked ready. */
function fakePgData(env: BenchEnv, dir: string, segments: string[]): string {
  rmSync(dir, { recursive: true, force: true });
  const status = join(dir, 'pg_wal', 'archive_status');
  mkdirSync(join(dir, 'global'), { recursive: true, mode: 0o700 });
  mkdirSync(status, { recursive: true, mode: 0o700 });
  copyFileSync(join(env.cluster.pgdata, 'global', 'pg_control'), join(dir, 'global', 'pg_control'));
  copyFileSync(join(env.cluster.pgdata, 'PG_VERSION'), join(dir, 'PG_VERSION'));
  for (const seg of segments) {
    linkSync(seg, join(dir, 'pg_wal', basename(seg)));
    writeFileSync(join(status, `${basename(seg)}.ready`), '');
  }
  for (const p of [dir, join(dir, 'global'), join(dir, 'global', 'pg_control'), join(dir, 'PG_VERSION'), join(dir, 'pg_wal'), status]) {
    chownToPostgres(p);
  }
  for (const f of readdirSync(status)) chownToPostgres(join(status, f));
  return dir;
}

/** Waits (up to a minute) until no process has `needle` in its command line: the async archiver is gone. */
async function waitNoProcessWith(needle: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const busy = readdirSync('/proc').some((p) => {
      if (!/^\d+$/.test(p) || Number(p) === process.pid) return false;
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(needle);
      } catch {
        return false;
      }
    });
    if (!busy) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Sustained async archiving: plays PostgreSQL's archiver over a fake pg_wal of N ready segments,
 * calling archive-push for each in turn and marking it `.done` when the call succeeds.
 */
function archiveAsyncCase(env: BenchEnv, type: RepoType, s: CaseSettings): BenchCase {
  const id = `archive-async-${type}`;
  const segs = env.segments.slice(0, s.asyncSegments);
  return {
    id,
    units: segs.length,
    targets: [{ metric: 'rate', op: '>=', value: 1.0 }],
    async run(tool, i) {
      const label = `${id}-${i}`;
      const pgPath = fakePgData(env, join(env.work, 'repos', `${label}-${tool.name}-pg`), segs);
      const repo = makeRepo(env, tool, label, { type, processMax: s.asyncProcessMax, extra: { 'archive-async': 'y' } });
      try {
        // stanza-create checks pg1-path against the running cluster; archive-push then reads the fake one.
        await mustRun(env, repo, ['stanza-create']);
        const conf = readFileSync(repo.conf, 'utf8');
        writeFileSync(repo.conf, conf.replace(`pg1-path=${env.cluster.pgdata}\n`, `pg1-path=${pgPath}\n`));
        const start = performance.now();
        let mainRssKb = 0;
        let treeRssKb = 0;
        let cpuMs = 0;
        for (const seg of segs) {
          const walFile = join(pgPath, 'pg_wal', basename(seg));
          const r = await mustRun(env, repo, ['archive-push', walFile]);
          const status = join(pgPath, 'pg_wal', 'archive_status', basename(seg));
          renameSync(`${status}.ready`, `${status}.done`);
          mainRssKb = Math.max(mainRssKb, r.mainRssKb);
          treeRssKb = Math.max(treeRssKb, r.treeRssKb);
          cpuMs += r.cpuMs ?? 0;
        }
        // The async daemon that does the pushing is not waited for: this is the foreground's CPU only.
        return { wallMs: performance.now() - start, mainRssKb, treeRssKb, cpuMs };
      } finally {
        await waitNoProcessWith(repo.conf);
        dropRepo(env, repo);
        discard(env, pgPath);
      }
    },
  };
}

function smallFilesCase(env: BenchEnv, s: CaseSettings): BenchCase {
  const id = 'smallfiles-posix-pm4';
  let small: Awaited<ReturnType<typeof buildSmallFilesCluster>> | undefined;
  return {
    id,
    targets: [MEM_3],
    async setup() {
      small ??= await buildSmallFilesCluster({ work: env.work, dispatcher: join(env.work, 'pgbackrest-dispatch.sh'), count: s.smallFiles });
    },
    async run(tool, i) {
      const repo = makeRepo(env, tool, `${id}-${i}`, { type: 'posix', compress: 'lz4', processMax: 4 }, small!.cluster);
      try {
        await mustRun(env, repo, ['stanza-create']);
        return await withArchive(env, small!.cluster, small!.active, repo, () => mustRun(env, repo, ['--type=full', 'backup']));
      } finally {
        dropRepo(env, repo);
      }
    },
    async teardown() {
      await small?.cluster.cleanup();
      small = undefined;
    },
  };
}

/** Every case, in the order they run. `cleanup` drops the shared fixture repos. */
export function allCases(env: BenchEnv, s: CaseSettings): { cases: BenchCase[]; cleanup(): void } {
  const fx = fixtures(env, s.fixtureCompress);
  const cases: BenchCase[] = [];
  for (const type of TYPES) for (const pm of [1, 4]) for (const c of ['lz4', 'zst', 'gz'] as const) cases.push(fullCase(env, type, pm, c));
  for (const type of TYPES) cases.push(incrCase(env, type, s));
  for (const type of TYPES) cases.push(restoreCase(env, type, fx));
  // gz is pgBackRest's default compress-type: restore from it too, on posix (S3 adds only the server)
  const fxGz = s.fixtureCompress === 'gz' ? undefined : fixtures(env, 'gz', 'fixture-gz');
  if (fxGz !== undefined) cases.push(restoreCase(env, 'posix', fxGz, '-gz'));
  cases.push(latencyCase(env, fullCase(env, 's3', 4, 'lz4'), S3_LATENCY_MS), latencyCase(env, restoreCase(env, 's3', fx), S3_LATENCY_MS));
  for (const type of TYPES) cases.push(archivePushCase(env, type));
  for (const type of TYPES) cases.push(archiveAsyncCase(env, type, s));
  for (const type of TYPES) cases.push(infoCase(env, type, fx));
  cases.push(versionCase(env), smallFilesCase(env, s));
  return {
    cases,
    cleanup: () => {
      fx.dropAll();
      fxGz?.dropAll();
    },
  };
}

/** Cases whose id matches one of the comma-separated patterns (`*` is a wildcard); all when empty. */
export function selectCases(cases: BenchCase[], patterns: string | undefined): BenchCase[] {
  const list = (patterns ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (list.length === 0) return cases;
  const res = list.map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
  return cases.filter((c) => res.some((re) => re.test(c.id)));
}


