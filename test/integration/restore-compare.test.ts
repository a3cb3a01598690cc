/**
 * Restore options where pgbackrest-ts once differed from pgBackRest 2.45 in what it wrote or
 * kept: each case prepares two identical targets, restores 2.45's backup into one with 2.45 and
 * into the other with ours, and compares exit code, console output (detail level), the trees
 * (names, types, sizes, modes, link destinations) and the content of files a case changed.
 *
 * The cluster has a tablespace, pg_wal linked out of PGDATA and a linked pg_ident.conf, both
 * pointing into the live cluster's own directories, and two user databases.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, lstatSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../harness/pg.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ours, theirs, writeConf } from '../harness/cli.js';
import { execFileSync } from 'node:child_process';

let cluster: Cluster;
let work: string;
let conf: string;
let reference: string;

beforeAll(async () => {
  work = makeTempDir('pgbr-restore-cmp-');
  chownToPostgres(work);
  conf = join(work, 'pgbackrest.conf');
  cluster = await startCluster({
    conf: { archive_mode: 'on', archive_command: `'/usr/bin/pgbackrest --config=${conf} --stanza=demo archive-push %p'`, wal_level: 'replica' },
  });
  writeConf(work, {
    global: { 'repo1-path': join(work, 'repo'), 'lock-path': join(work, 'lock'), 'log-path': join(work, 'log'), 'log-level-file': 'off', 'start-fast': 'y' },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  });
  // pg_wal and pg_ident.conf linked out of PGDATA
  await cluster.stop();
  const linked = join(work, 'linked');
  mkdirSync(linked);
  renameSync(join(cluster.pgdata, 'pg_wal'), join(linked, 'wal'));
  symlinkSync(join(linked, 'wal'), join(cluster.pgdata, 'pg_wal'));
  renameSync(join(cluster.pgdata, 'pg_ident.conf'), join(linked, 'pg_ident.conf'));
  symlinkSync(join(linked, 'pg_ident.conf'), join(cluster.pgdata, 'pg_ident.conf'));
  execFileSync('chown', ['-R', 'postgres:postgres', linked]);
  await cluster.start();
  const ts = join(work, 'ts1');
  mkdirSync(ts);
  chownToPostgres(ts);
  await cluster.psql(`CREATE TABLESPACE ts1 LOCATION '${ts}'`);
  // larger than most of pg_data's files, so a largest-first order would not restore it last
  await cluster.psql('CREATE TABLE in_ts1 TABLESPACE ts1 AS SELECT g AS i FROM generate_series(1, 20000) g');
  await cluster.psql('CREATE DATABASE db1');
  await cluster.psql('CREATE DATABASE db2');
  expect((await theirs([`--config=${conf}`, '--stanza=demo', 'stanza-create'])).code).toBe(0);
  const b = await theirs([`--config=${conf}`, '--stanza=demo', '--type=full', 'backup']);
  expect(b.code, b.stderr).toBe(0);
  // a plain restore by 2.45 is the starting point of the cases that restore over an existing target
  reference = join(work, 'reference');
  mkdirSync(reference);
  chownToPostgres(reference);
  const r = await theirs(restoreArgs(join(reference, 'pg'), join(reference, 'ts')));
  expect(r.code, r.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await cluster?.cleanup();
  removeAllTempDirs();
});

function restoreArgs(pg: string, ts: string, extra: string[] = []): string[] {
  return [`--config=${conf}`, '--stanza=demo', `--pg1-path=${pg}`, `--tablespace-map-all=${ts}`, '--log-level-console=detail', ...extra, 'restore'];
}

interface Outcome {
  code: number;
  out: string;
  tree: string[];
  root: string;
}

/**
 * Runs `args` by one tool in a fresh `<case>/<tool>` directory that `prepare` filled. Unless
 * `ordered`, file lines are compared as a set and without their percentages.
 */
async function restoreBy(tool: 'ours' | 'theirs', name: string, prepare: (dir: string) => void, args: (dir: string) => string[], ordered = false): Promise<Outcome> {
  const root = join(work, name, tool);
  mkdirSync(root, { recursive: true });
  prepare(root);
  execFileSync('chown', ['-R', 'postgres:postgres', join(work, name)]);
  const r = await (tool === 'ours' ? ours : theirs)(restoreArgs(join(root, 'pg'), join(root, 'ts'), args(root)));
  const lines = (r.stdout + r.stderr)
    .split(root).join('<T>')
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} P\d\d +/gm, '')
    .replace(/--exec-id=\S+/, '')
    .replace(/\(\d+ms\)/, '')
    .split('\n');
  if (ordered) return { code: r.code, out: lines.join('\n'), tree: tree(root), root };
  const out = lines
    // files go in parallel: their lines are compared as a set
    .sort((a, b) => Number(/restore (zeroed )?file/.test(a)) - Number(/restore (zeroed )?file/.test(b)) || (/restore (zeroed )?file/.test(a) ? (a < b ? -1 : 1) : 0))
    .map((l) => l.replace(/, \d+\.\d\d%\)/, ')'));
  return { code: r.code, out: out.join('\n'), tree: tree(root), root };
}

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir).sort()) {
      const abs = join(dir, e);
      const st = lstatSync(abs);
      const kind = st.isSymbolicLink() ? `-> ${readlinkSync(abs).split(root).join('<T>')}` : st.isDirectory() ? 'dir' : `${st.size}`;
      out.push(`${relative(root, abs)} ${kind} ${(st.mode & 0o7777).toString(8)}`);
      if (st.isDirectory() && !st.isSymbolicLink()) walk(abs);
    }
  };
  walk(root);
  // the restore_command names the tool
  return out.filter((l) => !l.startsWith('pg/postgresql.auto.conf '));
}

async function compare(name: string, prepare: (dir: string) => void, args: (dir: string) => string[], ordered = false): Promise<[Outcome, Outcome]> {
  const mine = await restoreBy('ours', name, prepare, args, ordered);
  const ref = await restoreBy('theirs', name, prepare, args, ordered);
  expect(mine.code, mine.out).toBe(ref.code);
  expect(mine.out).toBe(ref.out);
  expect(mine.tree).toEqual(ref.tree);
  return [mine, ref];
}

/** A copy of the reference restore, tablespace link pointed at the copy. */
function copyReference(dir: string): void {
  cpSync(join(reference, 'pg'), join(dir, 'pg'), { recursive: true, verbatimSymlinks: true });
  cpSync(join(reference, 'ts'), join(dir, 'ts'), { recursive: true, verbatimSymlinks: true });
  const tsLink = join(dir, 'pg', 'pg_tblspc', readdirSync(join(dir, 'pg', 'pg_tblspc'))[0]!);
  const dest = readlinkSync(tsLink);
  execFileSync('ln', ['-sfn', dest.replace(reference, dir), tsLink]);
}

/** Changes one byte of `file`, keeping its size and mtime. */
function changeInPlace(file: string): void {
  const st = lstatSync(file);
  const bytes = readFileSync(file);
  bytes[20]! ^= 0x01;
  writeFileSync(file, bytes);
  execFileSync('touch', ['-d', `@${st.mtimeMs / 1000}`, file]);
}

describe('restore options compared with pgBackRest 2.45', () => {
  it('--db-include of one user database zeroes only the other user database, never postgres', async () => {
    const [mine] = await compare('db-include', () => undefined, () => ['--db-include=db1']);
    expect(mine.out).toMatch(/databases excluded \(zeroed\) from selective restore \(\d+\)\n/);
    // postgres (oid 5) keeps its catalog
    expect(readFileSync(join(mine.root, 'pg', 'base', '5', '1259')).some((b) => b !== 0)).toBe(true);
  });

  it('--force alone rewrites every file; --delta --force rewrites a changed backup_label', async () => {
    const changed = ['pg/backup_label', 'pg/PG_VERSION'];
    const [mine, ref] = await compare('force', (d) => {
      copyReference(d);
      changed.forEach((f) => changeInPlace(join(d, f)));
    }, () => ['--force']);
    for (const f of changed) expect(readFileSync(join(mine.root, f)).equals(readFileSync(join(ref.root, f))), f).toBe(true);
    expect(readFileSync(join(mine.root, 'pg/PG_VERSION'), 'utf8')).toBe(readFileSync(join(cluster.pgdata, 'PG_VERSION'), 'utf8'));

    const [mine2, ref2] = await compare('delta-force', (d) => {
      copyReference(d);
      changeInPlace(join(d, 'pg/backup_label'));
    }, () => ['--delta', '--force']);
    expect(readFileSync(join(mine2.root, 'pg/backup_label')).equals(readFileSync(join(ref2.root, 'pg/backup_label')))).toBe(true);
    expect(readFileSync(join(mine2.root, 'pg/backup_label'), 'utf8')).toMatch(/^START WAL LOCATION/);
  });

  it('--type=preserve --delta keeps standby.signal and the existing postgresql.auto.conf', async () => {
    const [mine] = await compare('preserve', (d) => {
      copyReference(d);
      writeFileSync(join(d, 'pg', 'standby.signal'), '');
    }, () => ['--type=preserve', '--delta']);
    expect(existsSync(join(mine.root, 'pg', 'standby.signal'))).toBe(true);
  });

  it("--link-all into the live cluster's linked directories fails [093] before writing anything", async () => {
    const before = readFileSync(join(work, 'linked', 'pg_ident.conf'));
    const [mine] = await compare('link-all', () => undefined, () => ['--link-all']);
    expect(mine.code).toBe(93);
    expect(readFileSync(join(work, 'linked', 'pg_ident.conf')).equals(before)).toBe(true);
  });

  it('--link-map to a missing directory creates it, so pg_wal is a working link', async () => {
    const [mine] = await compare('link-map', () => undefined, (d) => ['--link-all', `--link-map=pg_wal=${join(d, 'wal')}`, `--link-map=pg_ident.conf=${join(d, 'conf', 'pg_ident.conf')}`]);
    expect(mine.code).toBe(0);
    expect(lstatSync(join(mine.root, 'pg', 'pg_wal', 'archive_status')).isDirectory()).toBe(true);
  });

  it('a tablespace directory that cannot be created fails [047], naming the directory that could not be made', async () => {
    const [mine] = await compare('ts-locked', (d) => mkdirSync(join(d, 'ts'), { mode: 0o555 }), () => []);
    expect(mine.code).toBe(47);
    expect(mine.out).toMatch(/ERROR: \[047\]: unable to create path '<T>\/ts\/[^/']+': \[13\] Permission denied/);
  });

  it("at process-max 1 restores files in 2.45's order: pg_data's largest first, then the tablespace's", async () => {
    const [mine] = await compare('order', () => undefined, () => ['--process-max=1'], true);
    const files = mine.out.split('\n').filter((l) => l.includes('restore file '));
    expect(files.length).toBeGreaterThan(900);
    expect(files.at(-1)).toMatch(/restore file <T>\/pg\/pg_tblspc\/\d+\/PG_\d+_\d+\/\d+\/\d+ \(\d+KB, 100\.00%\)/);
  });

  it('a relative link destination inside PGDATA fails [070]', async () => {
    const [mine] = await compare('link-relative', () => undefined, () => ['--link-map=pg_wal=relative']);
    expect(mine.code).toBe(70);
  });
});
