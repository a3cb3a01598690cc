/**
 * `npm run bench`: pgbackrest-ts against Debian's pgBackRest 2.45 on the same cluster and S3
 * server, each case run A B A B... See bench/README.md for the cases, settings and caveats.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../test/harness/pg.js';
import { startS3rver, type S3Server } from '../test/harness/s3.js';
import { makeTempDir, removeTempDir } from '../test/harness/tmp.js';
import { allCases, selectCases, type BenchCase } from './cases.js';
import { buildMainCluster } from './data.js';
import { emptyTrash, tools, writeDispatcher, type BenchEnv, type ToolName } from './env.js';
import { emptyResult, renderTable, summarise, TARGET_TEXT, type CaseResult } from './report.js';
import { processCpuMs } from './measure.js';

function intEnv(name: string, dflt: number, zeroAllowed = false): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < (zeroAllowed ? 0 : 1)) {
    throw new Error(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, not '${v}'`);
  }
  return n;
}

const settings = {
  sizeMb: intEnv('BENCH_SIZE_MB', 1024),
  pairs: intEnv('BENCH_PAIRS', 3),
  pgbenchTx: intEnv('BENCH_PGBENCH_TX', 2000),
  asyncSegments: intEnv('BENCH_ASYNC_SEGMENTS', 32),
  asyncProcessMax: intEnv('BENCH_ASYNC_PROCESS_MAX', 4),
  smallFiles: intEnv('BENCH_SMALL_FILES', 100_000),
  fixtureCompress: (process.env.BENCH_FIXTURE_COMPRESS ?? 'lz4') as 'lz4' | 'zst' | 'gz',
  cases: process.env.BENCH_CASES,
  settleSeconds: intEnv('BENCH_SETTLE_S', 65, true),
  warmups: intEnv('BENCH_WARMUPS', 1, true),
};

const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** The s3rver data directory startS3rver just made (it is not part of S3Server). */
async function startS3(): Promise<{ s3: S3Server; bucketDir: string }> {
  const before = new Set(readdirSync(tmpdir()));
  const s3 = await startS3rver('pgbr-bench');
  const made = readdirSync(tmpdir()).filter((d) => d.startsWith('pgbr-s3rver-') && !before.has(d));
  if (made.length !== 1) {
    await s3.stop();
    throw new Error('cannot find the s3rver data directory');
  }
  return { s3, bucketDir: join(tmpdir(), made[0], 'data', s3.bucket) };
}

async function runCase(c: BenchCase, env: BenchEnv, pairs: number): Promise<CaseResult> {
  const result = emptyResult(c);
  const order: ToolName[] = ['ours', 'theirs'];
  const fail = (t: ToolName, e: unknown) => {
    result.tools[t].error = e instanceof Error ? e.message : String(e);
    log(`${c.id} ${t}: ${result.tools[t].error}`);
  };
  for (const t of order) await c.setup?.(env.tools[t]).catch((e: unknown) => fail(t, e));
  try {
    // The first `warmups` rounds are untimed: the first run of a case was often the slowest of its
    // tool, and ours always runs first. A warm-up gets run index `pairs` and on, past the timed
    // ones, so it uses a repo and a segment of its own; it has no beforePair.
    for (let round = 0; round < settings.warmups + pairs; round++) {
      const warmup = round < settings.warmups;
      const i = warmup ? pairs + round : round - settings.warmups;
      if (order.every((t) => result.tools[t].error !== undefined)) break;
      if (!warmup) await c.beforePair?.(i);
      for (const t of order) {
        if (result.tools[t].error !== undefined) continue;
        try {
          settle();
          const server = serverCpu(c, env);
          const s = await c.run(env.tools[t], i);
          const serverCpuMs = server?.();
          if (warmup) {
            log(`${c.id} ${t} warm-up: ${(s.wallMs / 1000).toFixed(2)} s (not counted)`);
            continue;
          }
          result.tools[t].samples.push({ wallMs: s.wallMs, mainRssKb: s.mainRssKb, treeRssKb: s.treeRssKb, cpuMs: s.cpuMs, serverCpuMs });
          const cpu = s.cpuMs === undefined ? '' : `, CPU ${(s.cpuMs / 1000).toFixed(2)} s`;
          const busy = serverCpuMs === undefined ? '' : `, s3rver CPU ${(serverCpuMs / 1000).toFixed(2)} s`;
          log(`${c.id} ${t} #${i + 1}: ${(s.wallMs / 1000).toFixed(2)} s, ${(s.treeRssKb / 1024).toFixed(0)} MiB${cpu}${busy}`);
        } catch (e) {
          fail(t, e);
        }
      }
    }
  } finally {
    await c.teardown?.().catch((e: unknown) => log(`${c.id} teardown: ${String(e)}`));
  }
  return result;
}

/**
 * For a case against the bench's S3 server: a function that returns the CPU the server used since
 * this call. s3rver runs its requests on one thread, so when this nears the run's wall time the
 * server, not the tool, set the pace (see bench/README.md).
 */
function serverCpu(c: BenchCase, env: BenchEnv): (() => number | undefined) | undefined {
  const pid = env.s3.pid;
  if (pid === undefined || !/(^|-)s3(-|$)/.test(c.id)) return undefined;
  const before = processCpuMs(pid);
  return () => {
    const after = processCpuMs(pid);
    return before === undefined || after === undefined ? undefined : after - before;
  };
}

/**
 * Flushes what the previous run left behind (dirty pages of a restore, freed blocks of a removed
 * repo) before the next run is timed, so no tool pays for the other's writeback.
 */
function settle(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

/**
 * Names kept in the environment of everything the bench starts: what cron or PostgreSQL's
 * archive_command would give either tool, plus the bench's and the tools' own settings.
 */
const KEPT_ENV = /^(PATH|HOME|USER|LOGNAME|SHELL|TERM|TZ|TMPDIR|LANG|LANGUAGE|LC_[A-Z]+|BENCH_[A-Z_]+|PGBACKREST_[A-Z0-9_]+|PGBR_[A-Z0-9_]+)$/;

/**
 * Drops the rest of the caller's environment before anything is started, and says which names
 * went. A developer's shell carries settings that cost one tool and not the other: with
 * NODE_EXTRA_CA_CERTS set, Node reads and parses ~140 certificates at every start before any of
 * our code runs (`version` took 0.19 s instead of 0.08 s here), which pgBackRest never pays.
 */
function cleanEnvironment(): string[] {
  const dropped = Object.keys(process.env).filter((k) => !KEPT_ENV.test(k));
  for (const k of dropped) delete process.env[k];
  return dropped.sort();
}

/**
 * Deletes what the case left in the trash (env.ts `discard`) and, before another case, waits
 * until the kernel no longer treats those inodes as just freed, so that no timed run pays for
 * the deletion (BENCH_SETTLE_S, 0 to skip).
 */
async function clearUp(env: BenchEnv, more: boolean): Promise<void> {
  const entries = emptyTrash(env);
  if (!more || entries < SETTLE_AFTER_ENTRIES || settings.settleSeconds === 0) return;
  log(`deleted ${entries} files and directories; waiting ${settings.settleSeconds} s before the next case`);
  settle();
  await new Promise((r) => setTimeout(r, settings.settleSeconds * 1000));
}

/** Fewer deleted entries than this cost a following run too little to wait for. */
const SETTLE_AFTER_ENTRIES = 1000;

async function main(): Promise<void> {
  const dropped = cleanEnvironment();
  if (dropped.length > 0) log(`environment: not passed on to the tools: ${dropped.join(' ')}`);
  const root = process.env.BENCH_ROOT ?? process.cwd();
  const ourCli = process.env.BENCH_OUR_CLI ?? join(root, 'bin', 'pgbackrest');
  const work = makeTempDir('pgbr-bench-');
  let cluster: Cluster | undefined;
  let s3: S3Server | undefined;
  let cleanupCases = () => undefined as void;
  const stopAll = async () => {
    cleanupCases();
    await cluster?.cleanup().catch(() => undefined);
    await s3?.stop().catch(() => undefined);
    if (process.env.BENCH_KEEP !== '1') removeTempDir(work);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping servers`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  try {
    log(`settings ${JSON.stringify(settings)}; work dir ${work}`);
    const started = await startS3();
    s3 = started.s3;
    const dispatcher = writeDispatcher(work);
    log(`building a ${settings.sizeMb} MB cluster`);
    const built = await buildMainCluster({ work, dispatcher, sizeMb: settings.sizeMb, keepSegments: Math.max(settings.asyncSegments, settings.pairs + settings.warmups, 8) });
    cluster = built.cluster;
    log(`cluster: ${built.dbSizeMb} MB in databases, gz ratio ${built.gzRatio.toFixed(2)}, ${built.segments.length} WAL segments kept, built in ${built.buildSeconds.toFixed(0)} s`);
    const env: BenchEnv = { work, cluster, s3, s3BucketDir: started.bucketDir, tools: tools(ourCli), segments: built.segments, active: built.active };
    const all = allCases(env, settings);
    cleanupCases = all.cleanup;
    const results: CaseResult[] = [];
    const selected = selectCases(all.cases, settings.cases);
    for (const [n, c] of selected.entries()) {
      log(`case ${c.id}`);
      results.push(await runCase(c, env, settings.pairs));
      await clearUp(env, n < selected.length - 1);
    }
    const summaries = results.map(summarise);
    const table = renderTable(summaries);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const outDir = join(root, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${stamp}.json`);
    const cluster_ = { dbSizeMb: built.dbSizeMb, gzRatio: built.gzRatio, walSegments: built.segments.length };
    writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), settings, cluster: cluster_, results, summaries }, null, 2) + '\n');
    console.log(`\n${TARGET_TEXT}\n\n${table}\n\nresults: ${file}`);
  } finally {
    await stopAll();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
