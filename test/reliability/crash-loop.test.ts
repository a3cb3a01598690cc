/**
 * Issue 9, crash tests: archive-push, backup, expire and restore are each killed with SIGKILL (by
 * PID) at N points chosen by a seeded PRNG over the span of one unkilled timed run of the same
 * command, then run again to completion. After every kill: nothing acknowledged is lost, nothing
 * listed is incomplete, the repo stays readable by pgBackRest 2.45 and `verify` passes for both
 * implementations, and the dead run's leftovers are cleaned up or reused.
 *
 * Kill points per command (constants below): archive-push 8 (posix + S3 repo), backup 6 (full,
 * process-max 2, resumed by the rerun), expire 8 (from 4 full sets to 1, on a fresh copy of the
 * repo each time), restore 6 (rerun with --delta --force). The delays are drawn uniformly from the
 * timed run's span from its first log line to its exit; a point whose process had already exited
 * counts as "after finish" in the summary printed at the end. Every failing point is collected
 * and reported together, and fails the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ours, theirs, writeConf, s3RepoConf } from '../harness/cli.js';
import { s3Target } from '../harness/s3.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs, removeTempDir } from '../harness/tmp.js';
import { withRestoredCluster } from '../harness/restored.js';
import { startCluster, waitArchived, type Cluster } from '../harness/pg.js';
import type { RunResult } from '../harness/run.js';
import {
  backup, backupEnv, pgbench, restoreAndSnapshot, snapshot, theirInfo, theirVerify, type BackupEnv, type Snapshot,
} from '../integration/backup-helpers.js';
import { killDelays, renderSummary, sha1, spawnOurs, tree, treeHashes, type SpawnResult, type SummaryRow } from './crash-helpers.js';

/** Fixed seed of the kill points; each command draws from its own stream (SEED + index). */
const SEED = 20_450_009;
/** Kill points per command. */
const N_PUSH = 8;
const N_BACKUP = 6;
const N_EXPIRE = 8;
const N_RESTORE = 6;
/** The expire loop starts from this many full sets and keeps EXPIRE_KEEP of them. */
const EXPIRE_FULLS = 4;
const EXPIRE_KEEP = 1;

const summary: SummaryRow[] = [];
let env: BackupEnv;
/** The cluster whose segments the archive-push loop pushes. */
let pushCluster: Cluster | undefined;
let snap: Snapshot;
/** Real WAL segments of pushCluster (full paths, postgres-readable): [0] calibrates, [1..N] are killed. */
let segs: string[] = [];

/** verify printing its result block (status: ok / error) at info, as pgBackRest does with --verbose. */
const VERIFY = ['--log-level-console=info', '--verbose', 'verify'];
const STORED = /^[0-F]{24}-[0-9a-f]{40}(\.(gz|lz4|zst|bz2|xz))?$/;
const LABEL = /^\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?$/;

beforeAll(async () => {
  const setupStart = performance.now();
  console.log(`crash loop: seed ${SEED}; N archive-push=${N_PUSH} backup=${N_BACKUP} expire=${N_EXPIRE} restore=${N_RESTORE}`);
  env = await backupEnv({
    global: { 'process-max': '2', 'compress-type': 'zst', 'repo1-retention-full': String(EXPIRE_FULLS), 'log-level-file': 'off' },
  });
  await pgbench(env.cluster, ['-i', '-s', '1', '-q']);
  // Segments for the archive-push loop come from a cluster of their own, archiving with cp, so
  // that their bulk does not slow every verify of the backup and expire loops.
  const segDir = join(env.dir, 'segs');
  mkdirSync(segDir);
  chownToPostgres(segDir);
  pushCluster = await startCluster({ conf: { archive_mode: 'on', archive_command: `'cp %p ${segDir}/%f'`, wal_level: 'replica' } });
  // segments full of real records
  await pushCluster.psql('CREATE TABLE filler (v text)');
  let last = '';
  for (let i = 0; i <= N_PUSH; i++) {
    await pushCluster.psql('INSERT INTO filler SELECT md5(random()::text) || md5(random()::text) FROM generate_series(1, 60000)');
    last = (await pushCluster.psql('SELECT pg_walfile_name(pg_switch_wal())')).trim();
  }
  await waitArchived(pushCluster, last, 60_000);
  const names = readdirSync(segDir).filter((n) => /^[0-F]{24}$/.test(n) && n <= last).sort();
  expect(names.length).toBeGreaterThanOrEqual(N_PUSH + 1);
  segs = names.slice(-(N_PUSH + 1)).map((n) => join(segDir, n));
  snap = await snapshot(env.cluster);
  console.log(`setup: cluster, pgbench and ${segs.length} segments in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);
}, 180_000);

afterAll(async () => {
  console.log(renderSummary(SEED, summary));
  await env?.cluster.cleanup();
  await pushCluster?.cleanup();
  removeAllTempDirs();
});

/** The same data snapshot as backup-helpers' snapshot(), through a restored cluster's query function. */
async function snapshotOf(q: (sql: string) => Promise<string>): Promise<Snapshot> {
  return {
    accounts: await q("SELECT md5(string_agg(a::text, ',' ORDER BY aid)) FROM pgbench_accounts a"),
    history: await q("SELECT count(*) || '/' || coalesce(sum(delta), 0) FROM pgbench_history"),
  };
}

const show = (r: RunResult | SpawnResult): string => `exit ${r.code}\n${r.stdout}${r.stderr}`;

/**
 * Runs one kill point; an assertion failure is recorded (with the kill point) and the loop goes on,
 * so one run reports every failing point. The test fails at the end if any point failed.
 */
async function point(failures: string[], what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    failures.push(`${what}: ${(e as Error).message.split('\n').slice(0, 12).join('\n')}`);
  }
}

/** Kill delays from a timed run, logged so a failing point can be replayed. */
function calibrated(cmd: string, seed: number, n: number, timed: SpawnResult): number[] {
  const ds = killDelays(seed, n, timed);
  console.log(`${cmd}: timed run ${timed.elapsedMs} ms (first log line at ${timed.firstOutputMs} ms); seed ${seed}; kill delays ${ds.join(', ')} ms`);
  return ds;
}

/** One line per kill point: where it landed and how long the point took to check. */
function logPoint(cmd: string, i: number, k: SpawnResult, started: number, extra = ''): void {
  const took = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${cmd} kill ${i}: delay ${k.delayMs} ms, ${k.landed === 'mid' ? 'killed mid-command' : `finished first (exit ${k.code})`}${extra}; point took ${took} s`);
}

function finish(row: SummaryRow, failures: string[]): void {
  row.outcome = failures.length === 0 ? 'pass: nothing lost' : `FAIL at ${failures.length} point(s)`;
  summary.push(row);
  expect(failures, failures.join('\n\n')).toEqual([]);
}

/**
 * For each file verify reports invalid, the stored size and what the killed run and the rerun
 * logged about it (with --log-level-console=detail), to tell a kept partial copy from a bad copy.
 */
function badFileTrail(verifyOut: string, runs: Array<RunResult | SpawnResult>): string {
  const bad = [...verifyOut.matchAll(/invalid result (\d{8}-\d{6}F)\/(pg_data\/\S+?):/g)];
  return bad
    .map(([, label, name]) => {
      const stored = join(env.dir, 'repo/backup/demo', label!, name!);
      const size = existsSync(stored) ? statSync(stored).size : 'missing';
      const pgName = name!.replace(/^pg_data\//, '').replace(/\.(zst|gz|lz4|bz2)$/, '');
      const lines = runs.map((r, i) => `${i === 0 ? 'killed run' : 'rerun'}: ${r.stdout.split('\n').filter((l) => l.includes(`/${pgName} `)).join(' | ') || '(nothing)'}`);
      return `${label}/${name}: stored ${size} bytes; ${lines.join('; ')}`;
    })
    .join('\n');
}

/** Labels `ours info --output=json` lists, after checking the command and the stanza status. */
async function ourLabels(args: string[]): Promise<string[]> {
  const r = await ours([...args, '--output=json', 'info']);
  expect(r.code, show(r)).toBe(0);
  const parsed = JSON.parse(r.stdout) as Array<{ backup: Array<{ label: string }>; status: { code: number; message: string } }>;
  const { status, backup: sets } = parsed[0]!;
  // 2 is "no valid backups", right for an empty list only
  expect(status.code === 0 || (status.code === 2 && sets.length === 0), status.message).toBe(true);
  return sets.map((b) => b.label);
}

describe('archive-push killed at random points', () => {
  it(`${N_PUSH} kill points: the rerun succeeds, every segment comes back byte for byte, both verify`, { timeout: 240_000 }, async () => {
    const row: SummaryRow = { command: 'archive-push (posix + s3)', n: N_PUSH, mid: 0, after: 0, detail: '', outcome: '' };
    const failures: string[] = [];
    const pc = pushCluster!;
    const dir = makeTempDir('pgbr-crash-push-');
    const repo1 = join(dir, 'repo');
    const conf = writeConf(dir, {
      global: {
        'repo1-path': repo1,
        ...s3RepoConf(s3Target(), dir, 2),
        'lock-path': join(dir, 'lock'),
        'log-level-file': 'off',
        // s3rver writes a PUT body at the object's key as it streams in, so a single PUT cut short
        // by the kill shows there as a truncated object (real S3 never stores an incomplete PUT;
        // pgBackRest and we rely on that). Uncompressed 16 MiB segments with 5 MiB parts are always
        // multipart uploads, which s3rver, like S3, makes visible only on completion.
        'compress-type': 'none',
        'repo2-storage-upload-chunk-size': '5MiB',
      },
      push: { 'pg1-path': pc.pgdata, 'pg1-port': String(pc.port), 'pg1-socket-path': pc.socketDir },
    });
    const args = [`--config=${conf}`, '--stanza=push'];
    const created = await ours([...args, 'stanza-create']);
    expect(created.code, show(created)).toBe(0);
    const sums = new Map(segs.map((s) => [s, sha1(readFileSync(s))]));
    const segDir = join(repo1, 'archive/push/15-1/0000000100000000');

    const pushCmd = (src: string) => [...args, '--log-level-console=info', 'archive-push', src];
    const cal = await spawnOurs(pushCmd(segs[0]!), Infinity);
    expect(cal.code, show(cal)).toBe(0);
    const ds = calibrated('archive-push', SEED + 1, N_PUSH, cal);
    let tmpSeen = 0;
    let listedAfterKill = 0;

    for (let i = 0; i < N_PUSH; i++) {
      const t0 = performance.now();
      const src = segs[i + 1]!;
      const seg = src.slice(-24);
      const k = await spawnOurs(pushCmd(src), ds[i]!);
      k.landed === 'mid' ? row.mid++ : row.after++;
      const where = `archive-push kill ${i} (${ds[i]} ms, ${k.landed})`;
      await point(failures, `${where}, state after the kill`, async () => {
        if (k.landed === 'after') expect(k.code, show(k)).toBe(0);
        tmpSeen += readdirSync(segDir).filter((n) => n.endsWith('.pgbackrest.tmp')).length;
        // what the kill left must be either absent or complete in each repo
        for (const repo of ['1', '2']) {
          const dest = join(dir, `killed-${repo}-${seg}`);
          const g = await ours([...args, `--repo=${repo}`, 'archive-get', seg, dest]);
          if (g.code === 0) {
            listedAfterKill++;
            expect(sha1(readFileSync(dest)), `repo${repo} after kill`).toBe(sums.get(src));
          } else if (g.code !== 1) {
            const t = await theirs([...args, `--repo=${repo}`, 'archive-get', seg, `${dest}.theirs`]);
            const ls = await ours([...args, `--repo=${repo}`, '--output=json', 'repo-ls', 'archive/push/15-1/0000000100000000']);
            const stored = Object.entries(JSON.parse(ls.stdout || '{}') as Record<string, { size?: number }>)
              .filter(([n]) => n.startsWith(seg))
              .map(([n, v]) => `${n} (${v.size} bytes)`);
            expect.fail(`repo${repo}: a segment is listed but unreadable after the kill: ours archive-get ${show(g)}` +
              `theirs archive-get exit ${t.code} ${t.stderr}; stored: ${stored.join(', ')}`);
          }
        }
      });
      await point(failures, `${where}, rerun`, async () => {
        const again = await ours([...args, 'archive-push', src]);
        expect(again.code, show(again)).toBe(0);
        for (const repo of ['1', '2']) {
          const dest = join(dir, `again-${repo}-${seg}`);
          const g = await ours([...args, `--repo=${repo}`, 'archive-get', seg, dest]);
          expect(g.code, `repo${repo}: ${show(g)}`).toBe(0);
          expect(sha1(readFileSync(dest)), `repo${repo} after rerun`).toBe(sums.get(src));
        }
        // no leftover of the dead run: every name in the segment directory is a stored segment
        expect(readdirSync(segDir).filter((n) => !STORED.test(n))).toEqual([]);
        expect(readdirSync(segDir).filter((n) => n.startsWith(seg))).toHaveLength(1);
      });
      logPoint('archive-push', i, k, t0);
    }
    row.detail = `segment already complete after kill: ${listedAfterKill}/${2 * N_PUSH} repo copies; tmp files left by kills: ${tmpSeen}`;

    await point(failures, 'archive-push final checks', async () => {
      for (const repo of ['1', '2']) {
        for (const [name, tool] of [['ours', ours], ['theirs', theirs]] as const) {
          const v = await tool([...args, `--repo=${repo}`, ...VERIFY]);
          expect(v.code, `${name} verify repo${repo}: ${show(v)}`).toBe(0);
          expect(v.stdout, `${name} verify repo${repo}: ${show(v)}`).toContain('status: ok');
        }
        for (const src of segs) {
          const dest = join(dir, `theirs-${repo}-${src.slice(-24)}`);
          const g = await theirs([...args, `--repo=${repo}`, 'archive-get', src.slice(-24), dest]);
          expect(g.code, `theirs archive-get ${src.slice(-24)} repo${repo}: ${show(g)}`).toBe(0);
          expect(sha1(readFileSync(dest)), `theirs archive-get ${src.slice(-24)} repo${repo}`).toBe(sums.get(src));
        }
      }
    });
    finish(row, failures);
  });
});

describe('backup killed at random points', () => {
  it(`${N_BACKUP} kill points: only complete backups are listed, the rerun succeeds and verifies, the last restores`, { timeout: 300_000 }, async () => {
    const row: SummaryRow = { command: 'backup (full, process-max 2)', n: N_BACKUP, mid: 0, after: 0, detail: '', outcome: '' };
    const failures: string[] = [];
    const setDir = join(env.dir, 'repo/backup/demo');
    const cmd = [...env.args, '--type=full', '--log-level-console=detail', 'backup'];
    // Two timed runs, the faster one scaled down a little: the first full backup of a stanza is
    // slower than the later ones, and kills drawn from its span often landed after the finish.
    const cals = [await spawnOurs(cmd, Infinity), await spawnOurs(cmd, Infinity)];
    for (const c of cals) expect(c.code, show(c)).toBe(0);
    const fastest = cals.reduce((a, b) => (a.elapsedMs <= b.elapsedMs ? a : b));
    const ds = calibrated('backup', SEED + 2, N_BACKUP, { ...fastest, elapsedMs: Math.round(fastest.firstOutputMs + 0.9 * (fastest.elapsedMs - fastest.firstOutputMs)) });
    let leftovers = 0;
    let resumed = 0;
    let completedByKilled = 0;

    for (let i = 0; i < N_BACKUP; i++) {
      const t0 = performance.now();
      let phases = '';
      const before = await ourLabels(env.args);
      const k = await spawnOurs(cmd, ds[i]!);
      k.landed === 'mid' ? row.mid++ : row.after++;
      await point(failures, `backup kill ${i} (${ds[i]} ms, ${k.landed})`, async () => {
        if (k.landed === 'after') expect(k.code, show(k)).toBe(0);
        // only complete backups are listed, by us and by pgBackRest 2.45
        const listed = await ourLabels(env.args);
        const added = listed.filter((l) => !before.includes(l));
        expect(added.length).toBeLessThanOrEqual(1);
        if (added.length === 1) completedByKilled++;
        for (const l of listed) expect(existsSync(join(setDir, l, 'backup.manifest')), `${l} listed without manifest`).toBe(true);
        expect((await theirInfo(env))[0]!.backup.map((b) => b.label)).toEqual(listed);
        const dead = readdirSync(setDir).filter((n) => LABEL.test(n) && !listed.includes(n));
        leftovers += dead.length;

        const tRerun = performance.now();
        const again = await ours(cmd, { timeoutMs: 180_000 });
        phases = `, rerun ${((performance.now() - tRerun) / 1000).toFixed(1)} s`;
        expect(again.code, show(again)).toBe(0);
        if (/resumable backup \S+ of same type exists/.test(again.stderr)) resumed++;
        const now = await ourLabels(env.args);
        const newest = now[now.length - 1]!;
        expect(listed, 'the rerun added a new backup').not.toContain(newest);
        expect(existsSync(join(setDir, newest, 'backup.manifest'))).toBe(true);
        // the dead run's set was resumed or removed: every set directory on disk is listed
        expect(readdirSync(setDir).filter((n) => LABEL.test(n)).sort()).toEqual([...now].sort());
        const tVerify = performance.now();
        const v = await ours([...env.args, ...VERIFY], { timeoutMs: 180_000 });
        phases += `, verify ${((performance.now() - tVerify) / 1000).toFixed(1)} s`;
        expect(v.code, show(v)).toBe(0);
        expect(v.stdout, `${badFileTrail(v.stdout, [k, again])}\n${show(v)}`).toContain('status: ok');
      });
      logPoint('backup', i, k, t0, phases);
    }
    row.detail = `killed set left on disk: ${leftovers}, resumed by rerun: ${resumed}, finished before kill: ${completedByKilled}`;

    await point(failures, 'backup final checks', async () => {
      const labels = (await theirInfo(env))[0]!.backup.map((b) => b.label);
      const tv = await theirVerify(env);
      expect(tv.code, show(tv)).toBe(0);
      expect(tv.stdout, show(tv)).toContain('status: ok');
      expect(await restoreAndSnapshot(env, labels[labels.length - 1]!, { tool: 'ours' })).toEqual(snap);
    });
    finish(row, failures);
  });
});

describe('expire killed at random points', () => {
  it(`${N_EXPIRE} kill points: both info copies stay readable, the rerun leaves what a clean expire leaves`, { timeout: 300_000 }, async () => {
    const row: SummaryRow = { command: `expire (retention-full=${EXPIRE_KEEP})`, n: N_EXPIRE, mid: 0, after: 0, detail: '', outcome: '' };
    const failures: string[] = [];
    // The backup loop's repo: full sets of the pgbench cluster and their WAL. Top it up when this
    // test runs alone; the data does not change, so every set restores to the same snapshot.
    // A fresh, unkilled full first: the one the expire keeps does not depend on the backup loop's
    // resumed sets (a fault there must not show up as an expire failure).
    await backup(env, 'full');
    let labels = await ourLabels(env.args);
    while (labels.filter((l) => l.endsWith('F')).length < EXPIRE_FULLS) {
      await backup(env, 'full');
      labels = await ourLabels(env.args);
    }
    const dir = makeTempDir('pgbr-crash-expire-');
    const pristine = join(dir, 'pristine');
    const work = join(dir, 'work');
    execFileSync('cp', ['-a', join(env.dir, 'repo'), pristine]);
    // A hard-linked copy is fast; expire only removes files and replaces the info files through a
    // temp file and rename, and the info files themselves are real copies, so the pristine repo
    // cannot be changed through a link.
    const infoFiles = ['backup/demo/backup.info', 'backup/demo/backup.info.copy', 'archive/demo/archive.info', 'archive/demo/archive.info.copy'];
    const fresh = (): void => {
      execFileSync('rm', ['-rf', work]);
      execFileSync('cp', ['-al', pristine, work]);
      for (const f of infoFiles) {
        rmSync(join(work, f));
        execFileSync('cp', ['-a', join(pristine, f), join(work, f)]);
      }
    };
    const args = [...env.args, `--repo1-path=${work}`];
    const expireCmd = [...args, `--repo1-retention-full=${EXPIRE_KEEP}`, '--log-level-console=info', 'expire'];
    const notTmp = (rel: string) => rel.endsWith('.pgbackrest.tmp');
    const state = () => ({ backup: tree(join(work, 'backup/demo'), notTmp), archive: tree(join(work, 'archive/demo'), notTmp) });
    const infoBytes = () => ({
      info: readFileSync(join(work, 'backup/demo/backup.info'), 'utf8'),
      copy: readFileSync(join(work, 'backup/demo/backup.info.copy'), 'utf8'),
    });

    fresh();
    const before = state();
    const cal = await spawnOurs(expireCmd, Infinity);
    expect(cal.code, show(cal)).toBe(0);
    const clean = { ...state(), labels: await ourLabels(args), ...infoBytes() };
    expect(clean.labels.filter((l) => l.endsWith('F'))).toHaveLength(EXPIRE_KEEP);
    expect(clean.labels.length).toBeLessThan(labels.length);
    expect(clean.archive.length).toBeLessThan(before.archive.length);

    const ds = calibrated('expire', SEED + 3, N_EXPIRE, cal);
    const kinds = { untouched: 0, partial: 0, complete: 0 };
    let lastKind: keyof typeof kinds = 'untouched';
    for (let i = 0; i < N_EXPIRE; i++) {
      const t0 = performance.now();
      const laps: string[] = [];
      let mark = t0;
      const lap = (name: string): void => {
        const now = performance.now();
        laps.push(`${name} ${((now - mark) / 1000).toFixed(1)}`);
        mark = now;
      };
      fresh();
      lap('copy');
      const k = await spawnOurs(expireCmd, ds[i]!);
      lap('killed run');
      k.landed === 'mid' ? row.mid++ : row.after++;
      await point(failures, `expire kill ${i} (${ds[i]} ms, ${k.landed})`, async () => {
        if (k.landed === 'after') expect(k.code, show(k)).toBe(0);
        const s = state();
        const same = (a: typeof s, b: typeof s) => JSON.stringify(a.backup) === JSON.stringify(b.backup) && JSON.stringify(a.archive) === JSON.stringify(b.archive);
        lastKind = same(s, before) ? 'untouched' : same(s, clean) ? 'complete' : 'partial';
        kinds[lastKind]++;
        // an expire that reported success left exactly what a clean expire leaves
        if (k.landed === 'after') expect({ backup: s.backup, archive: s.archive }).toEqual({ backup: clean.backup, archive: clean.archive });
        // crash safety of the info file write: each of backup.info and backup.info.copy loads alone
        const infoDir = join(work, 'backup/demo');
        const t = await theirs([...args, 'info']);
        expect(t.code, show(t)).toBe(0);
        for (const [hide, keep] of [['backup.info', 'backup.info.copy'], ['backup.info.copy', 'backup.info']] as const) {
          expect(existsSync(join(infoDir, keep)), `${keep} missing after kill`).toBe(true);
          renameSync(join(infoDir, hide), join(infoDir, `${hide}.hidden`));
          try {
            const only = await theirs([...args, 'info']);
            expect(only.code, `theirs info from ${keep} alone: ${show(only)}`).toBe(0);
            expect(only.stdout).toContain('full backup:');
          } finally {
            renameSync(join(infoDir, `${hide}.hidden`), join(infoDir, hide));
          }
        }
        lap('info checks');
        const again = await ours(expireCmd);
        lap('rerun');
        expect(again.code, show(again)).toBe(0);
        expect(await ourLabels(args)).toEqual(clean.labels);
        const after = state();
        expect(after.backup).toEqual(clean.backup);
        expect(after.archive).toEqual(clean.archive);
        expect(infoBytes().info).toBe(clean.info);
        expect(infoBytes().copy).toBe(clean.copy);
        const o = await ours([...args, ...VERIFY]);
        lap('ours verify');
        expect(o.code, `ours verify: ${show(o)}`).toBe(0);
        expect(o.stdout, `ours verify: ${show(o)}`).toContain('status: ok');
        const tv = await theirs([...args, ...VERIFY]);
        lap('theirs verify');
        expect(tv.code, `theirs verify: ${show(tv)}`).toBe(0);
        expect(tv.stdout, `theirs verify: ${show(tv)}`).toContain('status: ok');
      });
      logPoint('expire', i, k, t0, `, repo left ${lastKind} (s: ${laps.join(', ')})`);
    }
    row.detail = `repo after kill: untouched ${kinds.untouched}, partial ${kinds.partial}, complete ${kinds.complete}`;

    await point(failures, 'expire final restore', async () => {
      const base = makeTempDir('pgbr-crash-expired-');
      const pg = join(base, 'data');
      const newest = clean.labels[clean.labels.length - 1]!;
      const r = await ours([...args, 'restore', `--set=${newest}`, `--pg1-path=${pg}`, '--type=immediate', '--target-action=promote']);
      expect(r.code, show(r)).toBe(0);
      expect(await withRestoredCluster(env.cluster, pg, snapshotOf)).toEqual(snap);
      removeTempDir(base);
    });
    finish(row, failures);
  });
});

describe('restore killed at random points', () => {
  it(`${N_RESTORE} kill points: the --delta --force rerun succeeds, starts with the right rows or matches a clean restore`, { timeout: 300_000 }, async () => {
    const row: SummaryRow = { command: 'restore (process-max 2)', n: N_RESTORE, mid: 0, after: 0, detail: '', outcome: '' };
    const failures: string[] = [];
    // a fresh, unkilled full of its own, so that a fault of the backup loop's resumed sets does not
    // show up here
    const { label } = await backup(env, 'full');
    const restoreArgs = (pg: string) => [...env.args, '--log-level-console=info', 'restore', `--set=${label}`, `--pg1-path=${pg}`, '--type=immediate', '--target-action=promote'];
    const recoveryFiles = (rel: string) => ['postgresql.auto.conf', 'recovery.signal', 'standby.signal'].includes(rel);

    const base0 = makeTempDir('pgbr-crash-restore-');
    const pg0 = join(base0, 'data');
    const cal = await spawnOurs(restoreArgs(pg0), Infinity);
    expect(cal.code, show(cal)).toBe(0);
    const reference = treeHashes(pg0, recoveryFiles);
    removeTempDir(base0);

    const ds = calibrated('restore', SEED + 4, N_RESTORE, cal);
    let started = 0;
    let compared = 0;
    let leftNothing = 0;
    for (let i = 0; i < N_RESTORE; i++) {
      const t0 = performance.now();
      const base = makeTempDir('pgbr-crash-restore-');
      const pg = join(base, 'data');
      const k = await spawnOurs(restoreArgs(pg), ds[i]!);
      const leftEmpty = !existsSync(pg) || readdirSync(pg).length === 0;
      k.landed === 'mid' ? row.mid++ : row.after++;
      await point(failures, `restore kill ${i} (${ds[i]} ms, ${k.landed})`, async () => {
        if (k.landed === 'after') expect(k.code, show(k)).toBe(0);
        if (leftEmpty) leftNothing++;
        // an interrupted restore must not be startable: pg_control is put in place last
        if (existsSync(join(pg, 'global/pg_control'))) expect(k.stdout, 'killed restore left a startable pg_control').toContain('restore global/pg_control (performed last');
        const again = await ours([...restoreArgs(pg), '--delta', '--force'], { timeoutMs: 180_000 });
        expect(again.code, show(again)).toBe(0);
        expect(existsSync(join(pg, 'global/pg_control.pgbackrest.tmp'))).toBe(false);
        if (i % 2 === 0) {
          expect(await withRestoredCluster(env.cluster, pg, snapshotOf)).toEqual(snap);
          started++;
        } else {
          expect(Object.fromEntries(treeHashes(pg, recoveryFiles))).toEqual(Object.fromEntries(reference));
          compared++;
        }
      });
      logPoint('restore', i, k, t0, leftEmpty ? ', target still empty' : ', target not empty');
      removeTempDir(base);
    }
    row.detail = `started+rows checked: ${started}, hash-compared to clean restore: ${compared}, killed before writing: ${leftNothing}`;
    finish(row, failures);
  });
});
