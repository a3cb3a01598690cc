/**
 * Issue 3, asynchronous archiving and crash safety: PostgreSQL archiving through archive-async=y
 * (spool status files, look-ahead), async archive-get prefetch, the queue-max drop, and a kill -9
 * of archive-push in the middle of an S3 upload followed by a retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../harness/pg.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs, postgresUser, isRoot } from '../harness/tmp.js';
import { ourArchiveCommand, ours, writeConf, s3RepoConf } from '../harness/cli.js';
import { ourCli } from '../harness/run.js';
import { s3Target } from '../harness/s3.js';

let cluster: Cluster;
let work: string;
let conf: string;
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

beforeAll(async () => {
  work = makeTempDir('pgbr-async-');
  conf = join(work, 'pgbackrest.conf');
  const archiveCommand = `'${ourArchiveCommand(conf, 'demo')}'`;
  cluster = await startCluster({ conf: { archive_mode: 'on', archive_command: archiveCommand } });
  writeConf(work, {
    global: {
      'repo1-path': join(work, 'repo'),
      'lock-path': join(work, 'lock'),
      'log-path': work,
      'spool-path': join(work, 'spool'),
      'archive-async': 'y',
      'process-max': '2',
      'compress-type': 'lz4',
    },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  });
  expect((await ours([`--config=${conf}`, '--stanza=demo', 'stanza-create'])).code).toBe(0);
});

afterAll(async () => {
  await cluster?.cleanup();
  removeAllTempDirs();
});

async function archiverStats(): Promise<{ archived: number; failed: number }> {
  const [row] = await cluster.query<{ archived_count: string; failed_count: string }>('SELECT archived_count, failed_count FROM pg_stat_archiver');
  return { archived: Number(row.archived_count), failed: Number(row.failed_count) };
}

function storedSegments(): Map<string, string> {
  const out = new Map<string, string>();
  const idDir = join(work, 'repo/archive/demo/15-1');
  if (!existsSync(idDir)) return out;
  for (const d of readdirSync(idDir).filter((x) => /^[0-F]{16}$/.test(x))) {
    for (const f of readdirSync(join(idDir, d))) {
      const m = /^([0-F]{24})-([0-9a-f]{40})\.lz4$/.exec(f);
      if (m) out.set(m[1], m[2]);
    }
  }
  return out;
}

describe('archive-async=y', () => {
  it('archives through the spool with status files and no failures', async () => {
    for (let i = 0; i < 6; i++) {
      await cluster.psql(`CREATE TABLE a${i} AS SELECT g FROM generate_series(1, 5000) g`);
      await cluster.psql('SELECT pg_switch_wal()');
    }
    let stats = await archiverStats();
    for (let i = 0; i < 300 && stats.archived < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      stats = await archiverStats();
    }
    expect(stats.failed).toBe(0);
    expect(stats.archived).toBeGreaterThanOrEqual(6);
    const stored = storedSegments();
    expect(stored.size).toBeGreaterThanOrEqual(6);
    // the async process logged to its own file; the spool holds .ok files only
    expect(existsSync(join(work, 'demo-archive-push-async.log'))).toBe(true);
    const out = readdirSync(join(work, 'spool/archive/demo/out'));
    expect(out.every((f) => f.endsWith('.ok'))).toBe(true);

    // async archive-get prefetches: the first call fetches ahead, the next ones come from the queue
    const segs = [...stored.keys()].sort().slice(0, 3);
    const dest = join(work, 'got');
    mkdirSync(dest);
    chownToPostgres(dest);
    for (const seg of segs) {
      const r = await ours([`--config=${conf}`, '--stanza=demo', '--log-level-console=info', 'archive-get', seg, join(dest, seg)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`found ${seg} in the archive asynchronously`);
      expect(sha1(readFileSync(join(dest, seg)))).toBe(stored.get(seg));
    }
    const missing = await ours([`--config=${conf}`, '--stanza=demo', 'archive-get', '0000000100000000000000FE', join(dest, 'x')]);
    expect(missing.code).toBe(1);
  });

  it('drops segments over archive-push-queue-max with a warning and reports success', async () => {
    // a copy of the data directory's control file and one ready segment: enough for the queue check
    const dir = makeTempDir('pgbr-qmax-');
    const pgdata = join(dir, 'pgdata');
    const seg = [...storedSegments().keys()].sort()[0];
    mkdirSync(join(pgdata, 'global'), { recursive: true });
    mkdirSync(join(pgdata, 'pg_wal/archive_status'), { recursive: true });
    copyFileSync(join(cluster.pgdata, 'global/pg_control'), join(pgdata, 'global/pg_control'));
    const got = await ours([`--config=${conf}`, '--stanza=demo', '--no-archive-async', 'archive-get', seg, join(dir, seg)]);
    expect(got.code).toBe(0);
    copyFileSync(join(dir, seg), join(pgdata, 'pg_wal', seg));
    writeFileSync(join(pgdata, 'pg_wal/archive_status', `${seg}.ready`), '');
    const file = writeConf(dir, {
      global: { 'repo1-path': join(dir, 'repo'), 'lock-path': join(dir, 'lock'), 'log-level-file': 'off', 'archive-push-queue-max': '1MiB' },
      demo: { 'pg1-path': pgdata },
    });
    const r = await ours([`--config=${file}`, '--stanza=demo', 'archive-push', join(pgdata, 'pg_wal', seg)], { asRoot: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`WARN: dropped WAL file '${seg}' because archive queue exceeded 1MB\n`);
    expect(existsSync(join(dir, 'repo/archive/demo'))).toBe(false);
  });

  it('pushes from worker threads and still refuses a wrong-cluster segment (44) and a changed duplicate (45)', async () => {
    // A copy of the control file and three ready segments, pushed to the suite's repo at process-max 2:
    // a new one (on a timeline PostgreSQL here never reaches), one from another system, and a stored
    // one with a changed byte.
    const dir = makeTempDir('pgbr-asyncerr-');
    const pgdata = join(dir, 'pgdata');
    mkdirSync(join(pgdata, 'global'), { recursive: true });
    mkdirSync(join(pgdata, 'pg_wal/archive_status'), { recursive: true });
    copyFileSync(join(cluster.pgdata, 'global/pg_control'), join(pgdata, 'global/pg_control'));
    const stored = [...storedSegments().keys()].sort()[0];
    const got = await ours([`--config=${conf}`, '--stanza=demo', '--no-archive-async', 'archive-get', stored, join(dir, 'src')]);
    expect(got.code).toBe(0);
    const src = readFileSync(join(dir, 'src'));
    const fresh = '0000000F0000000000000001';
    const foreign = '0000000F0000000000000002';
    const ready = (name: string, data: Buffer) => {
      writeFileSync(join(pgdata, 'pg_wal', name), data);
      writeFileSync(join(pgdata, 'pg_wal/archive_status', `${name}.ready`), '');
    };
    ready(fresh, src);
    const otherSystem = Buffer.from(src);
    otherSystem.writeBigUInt64LE(otherSystem.readBigUInt64LE(24) ^ 1n, 24); // xlp_sysid of the long page header
    ready(foreign, otherSystem);
    const changed = Buffer.from(src);
    changed[changed.length - 1] ^= 0xff;
    ready(stored, changed);
    if (isRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
    const file = writeConf(dir, {
      global: {
        'repo1-path': join(work, 'repo'), 'lock-path': join(dir, 'lock'), 'spool-path': join(dir, 'spool'), 'log-level-file': 'off',
        'archive-async': 'y', 'process-max': '2', 'compress-type': 'lz4',
      },
      demo: { 'pg1-path': pgdata },
    });
    const push = (name: string) => ours([`--config=${file}`, '--stanza=demo', 'archive-push', join(pgdata, 'pg_wal', name)]);
    const ok = await push(fresh);
    expect(ok.code, ok.stderr).toBe(0);
    expect(storedSegments().has(fresh)).toBe(true);
    const restored = join(dir, 'fresh');
    expect((await ours([`--config=${conf}`, '--stanza=demo', '--no-archive-async', 'archive-get', fresh, restored])).code).toBe(0);
    expect(readFileSync(restored).equals(src)).toBe(true);
    const mismatch = await push(foreign);
    expect(mismatch.code, mismatch.stderr).toBe(44);
    expect(mismatch.stderr).toContain(`WAL file '${join(pgdata, 'pg_wal', foreign)}' version 15, system-id`);
    expect(storedSegments().has(foreign)).toBe(false);
    const duplicate = await push(stored);
    expect(duplicate.code, duplicate.stderr).toBe(45);
    expect(duplicate.stderr).toContain(`WAL file '${stored}' already exists in the repo1 archive with a different checksum`);
    expect(storedSegments().get(stored)).toBe(sha1(src));
  });
});

describe('crash safety', () => {
  it('a kill -9 mid-upload leaves nothing that looks archived, and the retry succeeds', async () => {
    const dir = makeTempDir('pgbr-kill-');
    const t = s3Target();
    const file = writeConf(dir, {
      global: { ...s3RepoConf(t, dir), 'lock-path': join(dir, 'lock'), 'log-level-file': 'off', 'compress-type': 'none', 'repo1-storage-upload-chunk-size': '5MiB' },
      demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
    });
    const args = [`--config=${file}`, '--stanza=demo'];
    expect((await ours([...args, 'stanza-create'])).code).toBe(0);
    const seg = [...storedSegments().keys()].sort()[0];
    const src = join(dir, seg);
    const got = await ours([`--config=${conf}`, '--stanza=demo', '--no-archive-async', 'archive-get', seg, src]);
    expect(got.code).toBe(0);
    const expected = sha1(readFileSync(src));
    for (const delayMs of [30, 120, 250]) {
      const cli = ourCli();
      const child = spawn(cli.cmd, [...cli.args, ...args, 'archive-push', src], {
        stdio: 'ignore',
        ...(isRoot ? postgresUser() : {}),
      });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await exited;
      // whatever the kill interrupted, a segment that is listed must be complete
      const dest = join(dir, `after-kill-${delayMs}`);
      const r = await ours([...args, 'archive-get', seg, dest]);
      if (r.code === 0) expect(sha1(readFileSync(dest))).toBe(expected);
      else expect(r.code).toBe(1);
    }
    const retry = await ours([...args, 'archive-push', src]);
    expect(retry.code, retry.stderr).toBe(0);
    const final = join(dir, 'final');
    const fetched = await ours([...args, '--log-level-console=detail', 'archive-get', seg, final]);
    expect(fetched.code, `${retry.stdout}${retry.stderr}${fetched.stdout}${fetched.stderr}`).toBe(0);
    expect(sha1(readFileSync(final))).toBe(expected);
  });
});
