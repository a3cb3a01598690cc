/**
 * Issue 5: restore. One PG 15 cluster archives into two stanzas at once: `demo` through our
 * archive-push (plain repo, our backups) and `other` through pgBackRest 2.45 (encrypted repo, its
 * backups). Restores to every target kind are started and checked row by row; interop both ways;
 * delta; bad input with pgBackRest's codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, existsSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { freePort, PSQL, startCluster, waitArchived, type Cluster } from '../harness/pg.js';
import { execFileSync } from 'node:child_process';
import { chownToPostgres, isRoot, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ours, theirs, writeConf } from '../harness/cli.js';
import { ourCli, runCmd } from '../harness/run.js';

const PASS = 'RestoreTestPassphrase-0123456789';
let cluster: Cluster;
let work: string;
let conf: string;
const marks: { time: string; xid: string; lsn: string } = { time: '', xid: '', lsn: '' };
const started: string[] = [];

const demo = () => [`--config=${conf}`, '--stanza=demo'];
const other = () => [`--config=${conf}`, '--stanza=other'];

beforeAll(async () => {
  work = makeTempDir('pgbr-restore-');
  conf = join(work, 'pgbackrest.conf');
  const cli = ourCli();
  const archiveCommand =
    `'${cli.cmd} ${cli.args[0]} --config=${conf} --stanza=demo archive-push %p && ` +
    `/usr/bin/pgbackrest --config=${conf} --stanza=other archive-push %p'`;
  cluster = await startCluster({ conf: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica' } });
  const pg = { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir };
  writeConf(work, {
    global: { 'lock-path': join(work, 'lock'), 'log-path': join(work, 'log'), 'log-level-file': 'off', 'repo1-retention-full': '9' },
    demo: { ...pg, 'repo1-path': join(work, 'repo-ours') },
    other: { ...pg, 'repo1-path': join(work, 'repo-theirs'), 'repo1-cipher-type': 'aes-256-cbc', 'repo1-cipher-pass': PASS },
  });
  expect((await ours([...demo(), 'stanza-create'])).code).toBe(0);
  expect((await theirs([...other(), 'stanza-create'])).code).toBe(0);
  await cluster.psql('CREATE TABLE t (id int)');
  const full = await ours([...demo(), 'backup', '--type=full']);
  expect(full.code, full.stderr).toBe(0);
  await writeMarkedRows();
  const their = await theirs([...other(), 'backup', '--type=full']);
  expect(their.code, their.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  for (const dir of started) await pgCtl(dir, ['-m', 'immediate', 'stop']).catch(() => undefined);
  await cluster?.cleanup();
  removeAllTempDirs();
});

/** Rows 1..5, with a time, xid, restore point and LSN between them; all WAL archived. */
async function writeMarkedRows(): Promise<void> {
  await cluster.psql('INSERT INTO t VALUES (1)');
  marks.time = (await cluster.psql(
    "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'",
  )).trim();
  await new Promise((r) => setTimeout(r, 1100));
  marks.xid = (await cluster.psql('INSERT INTO t VALUES (2) RETURNING txid_current()')).trim().split('\n')[0]!;
  await cluster.psql('INSERT INTO t VALUES (3)');
  await cluster.psql("SELECT pg_create_restore_point('rp1')");
  await cluster.psql('INSERT INTO t VALUES (4)');
  marks.lsn = (await cluster.psql('SELECT pg_current_wal_lsn()')).trim();
  await cluster.psql('INSERT INTO t VALUES (5)');
  // wait for the segment the switch closed (later WAL, e.g. running-xacts records, may follow it)
  const closed = (await cluster.psql('SELECT pg_walfile_name(pg_switch_wal())')).trim();
  await waitArchived(cluster, closed, 60_000);
}

function pgCtl(dir: string, args: string[]) {
  return runCmd(join(cluster.binDir, 'pg_ctl'), ['-D', dir, ...args], { asPostgres: true, timeoutMs: 90_000 });
}

/** Starts a restored cluster on a fresh port, waits for the end of recovery, returns its rows. */
async function startAndRead(dir: string): Promise<number[]> {
  const port = await freePort();
  const sock = makeTempDir('pgbr-rsock-');
  const r = await pgCtl(dir, ['-o', `-p ${port} -k ${sock}`, '-l', join(sock, 'log'), '-w', '-t', '60', 'start']);
  started.push(dir);
  expect(r.code, `${r.stderr}${existsSync(join(sock, 'log')) ? readFileSync(join(sock, 'log'), 'utf8') : ''}`).toBe(0);
  const sql = (q: string) => runCmd(PSQL, ['-AtX', '-h', sock, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', q], { asPostgres: true });
  for (let i = 0; i < 300 && (await sql('SELECT pg_is_in_recovery()')).stdout.trim() !== 'f'; i++) {
    await new Promise((res) => setTimeout(res, 100));
  }
  const rows = (await sql('SELECT id FROM t ORDER BY id')).stdout.trim();
  await pgCtl(dir, ['-m', 'fast', '-w', 'stop']);
  started.splice(started.indexOf(dir), 1);
  return rows === '' ? [] : rows.split('\n').map(Number);
}

function target(name: string): string {
  const dir = join(work, name);
  return dir;
}

describe('point-in-time restore of our backup with our restore', () => {
  const cases: Array<[string, () => string[], number[]]> = [
    ['immediate', () => ['--type=immediate'], []],
    ['time', () => ['--type=time', `--target=${marks.time}`], [1]],
    ['xid', () => ['--type=xid', `--target=${marks.xid}`], [1, 2]],
    ['name', () => ['--type=name', '--target=rp1'], [1, 2, 3]],
    ['lsn', () => ['--type=lsn', `--target=${marks.lsn}`], [1, 2, 3, 4]],
  ];
  for (const [kind, args, rows] of cases) {
    it(`--type=${kind} stops at the target`, async () => {
      const dir = target(`pitr-${kind}`);
      const r = await ours([...demo(), 'restore', `--pg1-path=${dir}`, ...args(), '--target-action=promote', '--archive-mode=off', '--process-max=2']);
      expect(r.code, r.stderr).toBe(0);
      expect(await startAndRead(dir)).toEqual(rows);
    }, 120_000);
  }

  it('--type=default replays all WAL; the settings match what pgBackRest writes', async () => {
    const dir = target('pitr-default');
    const r = await ours([...demo(), 'restore', `--pg1-path=${dir}`, '--archive-mode=off', '--log-level-console=info']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/INFO: repo1: restore backup set \d{8}-\d{6}F, recovery will start at /);
    expect(r.stdout).toContain(`INFO: write updated ${dir}/postgresql.auto.conf`);
    expect(r.stdout).toMatch(/INFO: restore size = [\d.]+MB, file total = \d+\n/);
    const cli = ourCli();
    const auto = readFileSync(join(dir, 'postgresql.auto.conf'), 'utf8');
    expect(auto).toMatch(/\n\n# Recovery settings generated by pgBackRest restore on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n/);
    expect(auto.split('# Recovery settings')[1]!.split('\n').slice(1).join('\n')).toBe(
      "archive_mode = 'off'\n" +
        `restore_command = '${cli.cmd} ${cli.args[0]} --config=${conf} --pg1-path=${dir} --stanza=demo archive-get %f "%p"'\n`,
    );
    expect(existsSync(join(dir, 'recovery.signal'))).toBe(true);
    expect(await startAndRead(dir)).toEqual([1, 2, 3, 4, 5]);
  }, 120_000);
});

describe('interop with pgBackRest 2.45', () => {
  it('our restore of its encrypted backup starts and has every row', async () => {
    const dir = target('interop-ours');
    const r = await ours([...other(), 'restore', `--pg1-path=${dir}`, '--archive-mode=off']);
    expect(r.code, r.stderr).toBe(0);
    expect(await startAndRead(dir)).toEqual([1, 2, 3, 4, 5]);
  }, 120_000);

  it('its restore of our backup starts and reaches the target', async () => {
    const dir = target('interop-theirs');
    const r = await theirs([...demo(), 'restore', `--pg1-path=${dir}`, '--type=name', '--target=rp1', '--target-action=promote', '--archive-mode=off']);
    expect(r.code, r.stderr).toBe(0);
    expect(await startAndRead(dir)).toEqual([1, 2, 3]);
  }, 120_000);
});

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else {
        const text = readFileSync(join(d, e.name));
        const norm = e.name === 'postgresql.auto.conf'
          ? Buffer.from(text.toString().replace(/on \d{4}-[\d-]+ [\d:]+/g, 'on TS').replaceAll(dir, 'PGDATA'))
          : text;
        out.set(r, createHash('sha1').update(norm).digest('hex'));
      }
    }
  };
  walk(dir, '');
  return out;
}

describe('delta', () => {
  it('rewrites only changed and missing files and removes the rest', async () => {
    const args = (dir: string) => [...demo(), 'restore', `--pg1-path=${dir}`, '--type=immediate', '--log-level-console=detail'];
    const clean = target('delta-clean');
    const dir = target('delta');
    expect((await ours(args(clean))).code).toBe(0);
    expect((await ours(args(dir))).code).toBe(0);
    appendFileSync(join(dir, 'PG_VERSION'), 'x'); // grown, same leading bytes: kept and truncated
    writeFileSync(join(dir, 'pg_hba.conf'), 'changed'); // smaller: rewritten
    unlinkSync(join(dir, 'base/1/1259'));
    writeFileSync(join(dir, 'extra'), 'x');
    cpSync(join(dir, 'pg_stat'), join(dir, 'extra-dir'), { recursive: true });
    writeFileSync(join(dir, 'base/1/extra'), 'x');
    chownToPostgres(dir);
    const r = await ours([...args(dir), '--delta']);
    expect(r.code, r.stderr).toBe(0);
    const rewritten = r.stdout.split('\n').filter((l) => /restore file /.test(l) && !/ - exists and /.test(l)).map((l) => /restore file (\S+)/.exec(l)![1]);
    expect(rewritten.sort()).toEqual(
      [`${dir}/base/1/1259`, `${dir}/global/pg_control.pgbackrest.tmp`, `${dir}/pg_hba.conf`],
    );
    expect(r.stdout).toContain(`restore file ${dir}/PG_VERSION - exists and matches backup (3B, `);
    expect(r.stdout).toContain(`restore file ${dir}/postgresql.auto.conf - exists and matches backup (`);
    expect(r.stdout).toContain(`remove invalid file '${dir}/extra'`);
    expect(r.stdout).toContain(`remove invalid path '${dir}/extra-dir'`);
    expect(r.stdout).toContain(`remove invalid file '${dir}/base/1/extra'`);
    expect(r.stdout).toContain("remove 'global/pg_control' so cluster will not start if restore does not complete");
    expect(tree(dir)).toEqual(tree(clean));
  }, 120_000);
});

describe('bad input (same codes as pgBackRest)', () => {
  const both = async (args: string[], env?: Record<string, string>) => {
    const a = await ours(args, { addEnv: env });
    const b = await theirs(args, { addEnv: env });
    return { a, b };
  };

  it('non-empty target without --delta is [040]; running cluster is [038]', async () => {
    const dir = target('nonempty');
    rmSync(dir, { recursive: true, force: true });
    expect((await ours([...demo(), 'restore', `--pg1-path=${dir}`])).code).toBe(0);
    const { a, b } = await both([...demo(), 'restore', `--pg1-path=${dir}`]);
    expect(a.code).toBe(40);
    expect(a.stderr).toBe(b.stderr);
    const running = await both([...demo(), 'restore', `--pg1-path=${cluster.pgdata}`]);
    expect(running.a.code).toBe(38);
    expect(running.a.stderr).toBe(running.b.stderr);
  }, 120_000);

  it('a time target before every backup and an unknown set are [075]', async () => {
    const t = await both([...demo(), 'restore', `--pg1-path=${target('x1')}`, '--type=time', '--target=2000-01-01 00:00:00+00']);
    expect(t.a.code).toBe(75);
    expect(t.a.stderr).toBe(t.b.stderr);
    const s = await both([...demo(), 'restore', `--pg1-path=${target('x2')}`, '--set=20000101-000000F']);
    expect(s.a.code).toBe(75);
    expect(s.a.stderr).toBe(s.b.stderr);
  });

  /** A copy of our repo, named `name`, whose full backup lacks `file` (relative to the backup set). */
  const repoWithout = (name: string, file: string): { repo: string; label: string } => {
    const repo = join(work, name);
    cpSync(join(work, 'repo-ours'), repo, { recursive: true });
    if (isRoot) execFileSync('chown', ['-R', 'postgres:postgres', repo]);
    const label = readdirSync(join(repo, 'backup/demo')).find((x) => /F$/.test(x))!;
    unlinkSync(join(repo, 'backup/demo', label, file));
    return { repo, label };
  };

  it('a missing repo file is an error naming it; a wrong passphrase fails like pgBackRest', async () => {
    // pg_control: a file no other file of the backup has the content of (see the next test)
    const { repo, label } = repoWithout('repo-broken', 'pg_data/global/pg_control.gz');
    const r = await ours([...demo(), 'restore', `--pg1-path=${target('x3')}`, `--repo1-path=${repo}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${repo}/backup/demo/${label}/pg_data/global/pg_control.gz`);
    const wrong = await both([...other(), 'restore', `--pg1-path=${target('x4')}`], { PGBACKREST_REPO1_CIPHER_PASS: 'wrong' });
    // the decryption failure underneath is worded differently (CryptoError here, FormatError there)
    for (const out of [wrong.a.stderr, wrong.b.stderr]) {
      expect(out).toMatch(/^WARN: repo1: \[\w+Error\] unable to load info file '.*\/backup\/other\/backup.info' or /);
      expect(out).toContain('HINT: has a stanza-create been performed?');
      expect(out).toMatch(/ERROR: \[075\]: no backup set found to restore\n$/);
    }
    expect(wrong.a.code).toBe(75);
    expect(wrong.b.code).toBe(75);
  }, 120_000);

  it('a missing repo file whose content another file of the backup has is restored from that file', async () => {
    // PG_VERSION is the same in each database directory; pgBackRest 2.45 fails on the missing object
    const { repo } = repoWithout('repo-broken-shared', 'pg_data/PG_VERSION.gz');
    const dest = target('x5');
    const r = await ours([...demo(), 'restore', `--pg1-path=${dest}`, `--repo1-path=${repo}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dest, 'PG_VERSION'), 'utf8')).toBe(readFileSync(join(cluster.pgdata, 'PG_VERSION'), 'utf8'));
  }, 120_000);
});
