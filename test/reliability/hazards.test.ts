/**
 * Issue 9, operational hazards on real clusters, each compared with pgBackRest 2.45 where it has an
 * observable behaviour:
 *  1. a posix repo that fills up (a small tmpfs) during archive-push and during a backup, and a repo
 *     the postgres user may not write to;
 *  2. the local clock going backwards between backups (a timezone change): labels must increase;
 *  3. two backups of the same stanza at once: exactly one gets the lock;
 *  4. archive-push (PostgreSQL's archiver) racing backups and `expire --repo1-retention-full=1`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newBackupLabel } from '../../src/backup/label.js';
import { lockStatus } from '../../src/lock/lock.js';
import { labelTimestamp } from '../../src/repo/layout.js';
import { PosixStorage } from '../../src/storage/posix.js';
import { withRestoredCluster } from '../harness/restored.js';
import type { RunResult } from '../harness/run.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import {
  archiveDirFiles, fillUntil, hazardEnv, infoJson, labels, mountTmpfs, nextSegment, ours, postgresOwned, rootOwned,
  storedSegments, switchWal, theirs, tmpfsUnavailable, unmountAll, waitArchived, type HazardEnv,
} from './hazards-helpers.js';

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const LABEL = /\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?/g;
const normLabels = (s: string) => s.replace(LABEL, 'LABEL');
/** No JavaScript stack trace in what a user sees. */
const noStack = (r: RunResult) => expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
const full = (env: HazardEnv, extra: string[] = []) => [...env.args, '--type=full', ...extra, 'backup'];

const noTmpfs = tmpfsUnavailable();
if (noTmpfs !== undefined) console.warn(`hazards: disk-full cases skipped: ${noTmpfs}`);

afterAll(() => {
  unmountAll();
  removeAllTempDirs();
});

describe.skipIf(noTmpfs !== undefined)('a posix repo that is full or not writable', () => {
  let env: HazardEnv;
  let repo: string;
  let segDir: string;
  /** A real segment of the cluster, copied aside (archive-get from stanza demo) under its own name. */
  async function realSegment(): Promise<string> {
    const seg = await switchWal(env.cluster);
    await waitArchived(env.cluster, seg);
    const got = await ours([...env.args, 'archive-get', seg, join(segDir, seg)]);
    expect(got.code, got.stderr).toBe(0);
    return seg;
  }

  beforeAll(async () => {
    env = await hazardEnv({
      repos: (d) => {
        repo = join(d, 'repo');
        mountTmpfs(repo, 64);
        return { 'repo1-path': repo };
      },
      // stanza `push` (same cluster) receives segments pushed by hand: demo is fed by archive_command
      stanzas: ['push'],
      global: { 'repo1-retention-full': '9', 'job-retry': '0' },
    });
    segDir = join(env.dir, 'segs');
    mkdirSync(segDir);
    chownToPostgres(segDir);
  }, 60_000);
  afterAll(async () => {
    await env?.cluster.cleanup();
  });

  it('archive-push into a full repo: [104] like 2.45, no segment stored, the retry stores identical bytes', async () => {
    const seg = await realSegment();
    const bytes = readFileSync(join(segDir, seg));
    // uncompressed, so that the 16 MiB write runs out of space part way through
    const push = [`--config=${env.conf}`, '--stanza=push', '--compress-type=none', 'archive-push', join(segDir, seg)];
    const filler = fillUntil(repo, 2 << 20);

    const o = await ours(push);
    const storedName = `${seg}-${sha1(bytes)}`;
    const tmpPath = `${repo}/archive/push/15-1/${seg.slice(0, 16)}/${storedName}.pgbackrest.tmp`;
    expect(o.code, o.stderr).toBe(104);
    expect(o.stderr).toBe(
      `ERROR: [104]: archive-push command encountered error(s):\n` +
        `       repo1: [FileWriteError] unable to write '${tmpPath}': [28] No space left on device\n`,
    );
    noStack(o);
    // nothing stored under the segment's name, and our temp file is gone too
    expect(archiveDirFiles(repo, 'push', seg)).toEqual([]);

    // pgBackRest 2.45 in the same situation: the same code and text (it leaves its temp file behind)
    const t = await theirs(push);
    expect(t.code).toBe(104);
    expect(t.stderr).toBe(o.stderr);
    expect(archiveDirFiles(repo, 'push', seg)).toEqual([`${storedName}.pgbackrest.tmp`]);
    expect((await ours([`--config=${env.conf}`, '--stanza=push', 'archive-get', seg, join(segDir, 'nope')])).code).toBe(1);

    rmSync(filler);
    const retry = await ours(push);
    expect(retry.code, retry.stderr).toBe(0);
    // 2.45's leftover temp file had the same name: it was overwritten and renamed, nothing else is there
    expect(archiveDirFiles(repo, 'push', seg)).toEqual([storedName]);
    const back = join(segDir, `${seg}.back`);
    const got = await ours([`--config=${env.conf}`, '--stanza=push', 'archive-get', seg, back]);
    expect(got.code, got.stderr).toBe(0);
    expect(sha1(readFileSync(back))).toBe(sha1(bytes));
    const theirGet = await theirs([`--config=${env.conf}`, '--stanza=push', 'archive-get', seg, `${back}.theirs`]);
    expect(theirGet.code, theirGet.stderr).toBe(0);
    expect(sha1(readFileSync(`${back}.theirs`))).toBe(sha1(bytes));
  });

  it('a full backup that runs out of space: [064] like 2.45, nothing listed; after freeing space it resumes and verifies', async () => {
    // a table whose file alone (compressed) is larger than the space left
    await env.cluster.psql('CREATE TABLE big AS SELECT g, md5(g::text) || md5((g * 7)::text) AS t FROM generate_series(1, 60000) g');
    await waitArchived(env.cluster, await switchWal(env.cluster));
    const setDir = join(repo, 'backup/demo');
    const backupInfo = readFileSync(join(setDir, 'backup.info'));
    let filler = fillUntil(repo, 1 << 20);

    const t = await theirs(full(env));
    expect(t.code, t.stderr).toBe(64);
    const theirLeft = readdirSync(setDir).filter((n) => /^\d{8}-\d{6}F$/.test(n));
    expect(theirLeft).toHaveLength(1);
    // the same starting point for ours: 2.45's partial set removed, the space refilled
    rmSync(join(setDir, theirLeft[0]), { recursive: true });
    filler = fillUntil(repo, 1 << 20);

    const o = await ours(full(env));
    expect(o.code, o.stderr).toBe(64);
    noStack(o);
    const errLine = (r: RunResult) => r.stderr.split('\n').find((l) => l.startsWith('ERROR:')) ?? '';
    const file = (r: RunResult) => normLabels(/unable to write '([^']+)'/.exec(errLine(r))?.[1] ?? 'none');
    // 2.45: "ERROR: [064]: raised from local-1 protocol: unable to write '<file>'"
    expect(errLine(t)).toMatch(/^ERROR: \[064\]: raised from local-1 protocol: unable to write '[^']+'$/);
    // ours: "ERROR: [064]: unable to write '<file>': [28] No space left on device", the same file
    expect(errLine(o)).toMatch(/^ERROR: \[064\]: unable to write '[^']+': \[28\] No space left on device$/);
    expect(file(o)).toBe(file(t));
    expect(file(o)).toMatch(new RegExp(`^${repo}/backup/demo/LABEL/pg_data/base/\\d+/\\d+\\.lz4$`));

    // not listed by either tool; backup.info untouched and still read by 2.45
    expect(labels(await infoJson(ours, env))).toEqual([]);
    expect(labels(await infoJson(theirs, env))).toEqual([]);
    expect(readFileSync(join(setDir, 'backup.info'))).toEqual(backupInfo);
    const ourLeft = readdirSync(setDir).filter((n) => /^\d{8}-\d{6}F$/.test(n));
    expect(ourLeft).toHaveLength(1);
    expect(existsSync(join(setDir, ourLeft[0], 'backup.manifest'))).toBe(false);

    rmSync(filler);
    const again = await ours(full(env));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`resumable backup ${ourLeft[0]} of same type exists`);
    expect(labels(await infoJson(ours, env))).toEqual(ourLeft);
    expect(labels(await infoJson(theirs, env))).toEqual(ourLeft);
    const v = await ours([...env.args, 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const tv = await theirs([...env.args, 'verify']);
    expect(tv.code, tv.stdout + tv.stderr).toBe(0);
  }, 90_000);

  it('a repo directory the postgres user cannot write: the same codes and messages as 2.45', async () => {
    const before = labels(await infoJson(ours, env));
    // archive-push: the segment's archive directory is root's, mode 0755
    const seg = await realSegment();
    const walDir = join(repo, 'archive/push/15-1', seg.slice(0, 16));
    rootOwned(walDir);
    const push = [`--config=${env.conf}`, '--stanza=push', 'archive-push', join(segDir, seg)];
    const o = await ours(push);
    const t = await theirs(push);
    expect(o.code, o.stderr).toBe(104);
    expect(t.code).toBe(104);
    noStack(o);
    // both name the final file, not the temp file that was opened
    expect(o.stderr).toBe(t.stderr);
    expect(t.stderr).toMatch(
      /^ERROR: \[104\]: archive-push command encountered error\(s\):\n {7}repo1: \[FileOpenError\] unable to open file '[^']+' for write: \[13\] Permission denied\n$/,
    );
    expect(archiveDirFiles(repo, 'push', seg).filter((f) => f.startsWith(seg))).toEqual([]);
    postgresOwned(walDir);
    expect((await ours(push)).code).toBe(0);

    // backup: the stanza's backup directory is root's
    const setDir = join(repo, 'backup/demo');
    rootOwned(setDir);
    try {
      const ob = await ours(full(env));
      const tb = await theirs(full(env));
      expect(ob.code, ob.stderr).toBe(47);
      expect(tb.code).toBe(47);
      noStack(ob);
      const errOnly = (r: RunResult) => normLabels(r.stderr.slice(r.stderr.indexOf('ERROR:')));
      expect(errOnly(ob)).toBe(errOnly(tb));
      expect(errOnly(ob)).toBe(`ERROR: [047]: unable to create path '${setDir}/LABEL': [13] Permission denied\n`);
    } finally {
      postgresOwned(setDir);
    }
    expect(labels(await infoJson(ours, env))).toEqual(before);
  }, 60_000);
});

describe('the clock going backwards between backups (a timezone change)', () => {
  const EAST = { TZ: 'Pacific/Kiritimati' }; // UTC+14
  const WEST = { TZ: 'Pacific/Pago_Pago' }; // UTC-11: the local clock reads 25 h earlier
  let env: HazardEnv;
  beforeAll(async () => {
    // repo1 for our backups, repo2 for 2.45's; archive_command pushes every segment to both
    env = await hazardEnv({
      repos: (d) => ({ 'repo1-path': join(d, 'repo1'), 'repo2-path': join(d, 'repo2') }),
      global: { 'repo1-retention-full': '9', 'repo2-retention-full': '9' },
    });
  }, 60_000);
  afterAll(async () => {
    await env?.cluster.cleanup();
  });

  it('refuses a label earlier than the latest with ClockError [106] like 2.45, lists nothing, and later backups increase', async () => {
    const run = (tool: typeof ours, repo: string, tz: Record<string, string>) => tool(full(env, [`--repo=${repo}`]), { addEnv: tz });
    const listed = async (repo: string) => ({
      ours: labels(await infoJson(ours, env, [`--repo=${repo}`])),
      theirs: labels(await infoJson(theirs, env, [`--repo=${repo}`])),
    });
    const setDirs = (repo: string) => readdirSync(join(env.dir, `repo${repo}`, 'backup/demo')).filter((n) => /^\d{8}-\d{6}F/.test(n));

    const o1 = await run(ours, '1', EAST);
    const t1 = await run(theirs, '2', EAST);
    expect(o1.code, o1.stderr).toBe(0);
    expect(t1.code, t1.stderr).toBe(0);
    const [first] = (await listed('1')).ours;
    const [theirFirst] = (await listed('2')).theirs;

    const o2 = await run(ours, '1', WEST);
    const t2 = await run(theirs, '2', WEST);
    expect(o2.code, o2.stderr).toBe(106);
    expect(t2.code, t2.stderr).toBe(106);
    noStack(o2);
    const message = (latest: string) =>
      new RegExp(
        `^ERROR: \\[106\\]: new backup label '(\\d{8}-\\d{6}F)' is not later than latest backup label '${latest}'\\n` +
          ` {7}HINT: has the timezone changed\\?\\n {7}HINT: is there clock skew\\?\\n$`,
      );
    const oursNew = message(first).exec(o2.stderr)?.[1];
    expect(oursNew, o2.stderr).toBeDefined();
    expect(t2.stderr).toMatch(message(theirFirst));
    expect(normLabels(o2.stderr)).toBe(normLabels(t2.stderr));
    // the refused label is the west local time: about 25 h before the first
    const hours = (Date.parse(labelIso(first)) - Date.parse(labelIso(oursNew!))) / 3_600_000;
    expect(hours).toBeGreaterThan(24.9);
    expect(hours).toBeLessThan(25.1);

    // nothing left listed, and no directory for the refused attempt
    expect(await listed('1')).toEqual({ ours: [first], theirs: [first] });
    expect(await listed('2')).toEqual({ ours: [theirFirst], theirs: [theirFirst] });
    expect(setDirs('1')).toEqual([first]);
    expect(setDirs('2')).toEqual([theirFirst]);

    // back in the first timezone: the next backup gets a later label
    const o3 = await run(ours, '1', EAST);
    expect(o3.code, o3.stderr).toBe(0);
    const after = await listed('1');
    expect(after.ours).toHaveLength(2);
    expect(after.ours[1] > first).toBe(true);
    expect(after.theirs).toEqual(after.ours);
  }, 90_000);

  it('in the same second the label moves one second on; one more is ClockError (label.ts on a real posix repo)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pgbr-label-'));
    try {
      const storage = new PosixStorage(root);
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const later = new Date(now.getTime() + 1000);
      mkdirSync(join(root, 'backup/demo', `${labelTimestamp(now)}F`), { recursive: true });
      const next = await newBackupLabel({ storage, stanza: 'demo', type: 'full', start: now });
      expect(next).toBe(`${labelTimestamp(later)}F`);
      // an incr of the latest full in the same second is later too
      mkdirSync(join(root, 'backup/demo', next));
      const incr = await newBackupLabel({ storage, stanza: 'demo', type: 'incr', prior: next, start: later });
      expect(incr).toBe(`${next}_${labelTimestamp(new Date(later.getTime() + 1000))}I`);
      mkdirSync(join(root, 'backup/demo', incr));
      // the latest label's time is two seconds ahead of the clock: refused, naming the latest label
      await expect(newBackupLabel({ storage, stanza: 'demo', type: 'full', start: now })).rejects.toThrow(
        `new backup label '${labelTimestamp(later)}F' is not later than latest backup label '${incr}'`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** `YYYYMMDD-HHMMSS…` → an ISO time (as if UTC) for differences between labels. */
function labelIso(label: string): string {
  const t = label.slice(-16, -1);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`;
}

describe('two backups at once, then archive-push racing backups and expire', () => {
  let env: HazardEnv;
  let repo: string;
  let lockFile: string;
  beforeAll(async () => {
    env = await hazardEnv({ repos: (d) => ({ 'repo1-path': (repo = join(d, 'repo')) }), global: { 'repo1-retention-full': '9' } });
    lockFile = join(env.dir, 'lock', 'demo-backup.lock');
    await env.cluster.psql('CREATE TABLE race (v int PRIMARY KEY, at timestamptz DEFAULT now())');
  }, 60_000);
  afterAll(async () => {
    await env?.cluster.cleanup();
  });

  // lockStatus opens the file without O_CREAT, so root never creates a lock file postgres cannot open
  const lockHeld = () => lockStatus(join(env.dir, 'lock'), 'demo', 'backup').held;
  async function whenLocked(): Promise<void> {
    for (let i = 0; i < 200 && !lockHeld(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(lockHeld()).toBe(true);
  }
  const lockMessage = () =>
    `ERROR: [050]: unable to acquire lock on file '${lockFile}': Resource temporarily unavailable\n` +
    '       HINT: is another pgBackRest process running?\n';

  it('exactly one of two concurrent backups runs; the other, and 2.45 meanwhile, fail with [050] and the same text', async () => {
    const both = Promise.all([ours(full(env)), ours(full(env))]);
    // while one of ours holds the lock, 2.45 tries too
    await whenLocked();
    const t = await theirs(full(env));
    const [a, b] = await both;
    const codes = [a.code, b.code].sort((x, y) => x - y);
    expect(codes, `${a.stderr}\n${b.stderr}`).toEqual([0, 50]);
    const loser = a.code === 50 ? a : b;
    expect(loser.stderr).toBe(lockMessage());
    expect(t.code, t.stderr).toBe(50);
    expect(t.stderr).toBe(loser.stderr);

    const listed = labels(await infoJson(ours, env));
    expect(listed).toHaveLength(1);
    expect(labels(await infoJson(theirs, env))).toEqual(listed);
    expect(readdirSync(join(repo, 'backup/demo')).filter((n) => /^\d{8}-\d{6}F$/.test(n))).toEqual(listed);
    const v = await ours([...env.args, 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 90_000);

  it('while PostgreSQL archives through our archive-push, backups and expire keep every needed segment', async () => {
    let stop = false;
    let rows = 0;
    let pushed = 0;
    // one segment at a time, each switched as soon as the previous one is archived: archive-push runs
    // back to back, all through the backups and expires below, without a backlog
    const writer = (async () => {
      while (!stop) {
        rows++;
        await env.cluster.psql(`INSERT INTO race (v) VALUES (${rows})`);
        await waitArchived(env.cluster, await switchWal(env.cluster), 60_000);
        pushed++;
      }
    })();
    writer.catch(() => undefined); // awaited below; this only keeps an early failure from being reported as unhandled
    const expired: string[][] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const b = await ours(full(env), { timeoutMs: 90_000 });
        expect(b.code, b.stderr).toBe(0);
        const before = labels(await infoJson(ours, env));
        const e = await ours([...env.args, '--repo1-retention-full=1', 'expire']);
        expect(e.code, e.stderr).toBe(0);
        const after = labels(await infoJson(ours, env));
        expect(after).toEqual(before.slice(-1));
        expired.push(before.slice(0, -1));
      }
    } finally {
      stop = true;
      await writer;
    }
    // the full from the test above, then the first of the two made here
    expect(expired.map((e) => e.length)).toEqual([1, 1]);
    expect(pushed).toBeGreaterThan(3);

    // one last row, then its segment archived: the archive must carry it to a restore
    rows++;
    await env.cluster.psql(`INSERT INTO race (v) VALUES (${rows})`);
    const last = await switchWal(env.cluster);
    await waitArchived(env.cluster, last);
    const [{ failed }] = await env.cluster.query<{ failed: string }>('SELECT failed_count AS failed FROM pg_stat_archiver');

    const info = await infoJson(ours, env);
    expect(info.backup).toHaveLength(1);
    const start = info.backup[0].archive.start;
    const stored = [...storedSegments(repo, 'demo').keys()].sort();
    // expire removed what only the expired backups needed...
    expect(stored[0]).toBe(start);
    // ...and every segment from the remaining backup's start to the newest pushed is there, no gaps
    expect(stored[stored.length - 1]).toBe(last);
    const wanted: string[] = [];
    for (let s = start; s <= last; s = nextSegment(s)) wanted.push(s);
    expect(stored).toEqual(wanted);
    expect(Number(failed)).toBe(0);

    const v = await ours([...env.args, 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const tv = await theirs([...env.args, 'verify']);
    expect(tv.code, tv.stdout + tv.stderr).toBe(0);

    // the last backup restores (replaying the archive to its end) and has every row
    const base = makeTempDir('pgbr-hazard-restore-');
    const pgdata = join(base, 'data');
    const r = await ours([...env.args, 'restore', `--pg1-path=${pgdata}`, '--archive-mode=off'], { timeoutMs: 90_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const got = await withRestoredCluster(env.cluster, pgdata, (q) => q('SELECT count(*) || \'/\' || max(v) FROM race'));
    expect(got).toBe(`${rows}/${rows}`);
  }, 120_000);
});
