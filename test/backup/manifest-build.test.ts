/**
 * buildManifest against a real PG 15 cluster (tablespace, unlogged table, fake temp relations,
 * junk in excluded places, a file link, user exclusions), compared with the manifest pgBackRest
 * 2.45 writes for a full backup of the same cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildManifest, type BuiltManifest } from '../../src/backup/manifest-build.js';
import { parseManifest, type Manifest } from '../../src/repo/manifest.js';
import { startCluster, type Cluster } from '../harness/pg.js';
import { chownToPostgres, isRoot, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { theirs, writeConf } from '../harness/cli.js';

const STANZA = 'demo';
const EXCLUDES = ['junkdir/', 'junkfile'];
let cluster: Cluster;
let work: string;
let tsDir: string;
let tsOid: number;
let dbOid: number;
let unloggedNode: string;
let theirManifest: Manifest;
let theirExcludeLog: string[];
let built: BuiltManifest;

/** Creates a file (and its parents) owned by postgres. */
function put(path: string, content = 'x'): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content, { mode: 0o600 });
  chownToPostgres(path);
}

async function setUpCluster(): Promise<void> {
  tsDir = join(work, 'ts1');
  mkdirSync(tsDir, { mode: 0o700 });
  chownToPostgres(tsDir);
  await cluster.psql(`CREATE TABLESPACE ts1 LOCATION '${tsDir}'`);
  await cluster.psql('CREATE TABLE plain AS SELECT g AS id FROM generate_series(1, 5000) g');
  await cluster.psql('CREATE TABLE in_ts TABLESPACE ts1 AS SELECT g AS id FROM generate_series(1, 1000) g');
  await cluster.psql('CREATE UNLOGGED TABLE unlogged AS SELECT g AS id FROM generate_series(1, 1000) g');
  await cluster.psql('CHECKPOINT');
  tsOid = Number(await cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'ts1'"));
  dbOid = Number(await cluster.psql("SELECT oid FROM pg_database WHERE datname = 'postgres'"));
  unloggedNode = (await cluster.psql("SELECT pg_relation_filenode('unlogged')")).trim();

  const pg = cluster.pgdata;
  put(join(pg, `base/${dbOid}/t3_99999`));
  put(join(pg, `base/${dbOid}/t3_99999_fsm`));
  put(join(pg, 'base/pgsql_tmp/pgsql_tmp123.0'));
  put(join(pg, `base/${dbOid}/pg_internal.init.4242`));
  put(join(pg, 'pg_stat_tmp/junk.stat'));
  put(join(pg, 'backup_label.old'));
  put(join(pg, 'postgresql.auto.conf.tmp'));
  put(join(pg, 'recovery.done'));
  put(join(pg, 'junkdir/a'));
  put(join(pg, 'junkfile'));
  put(join(work, 'extra/extra.conf'), 'extra = 1\n');
  symlinkSync(join(work, 'extra/extra.conf'), join(pg, 'extra.conf'));
}

async function theirBackup(): Promise<void> {
  const backup = await theirs([`--config=${join(work, 'pgbackrest.conf')}`, `--stanza=${STANZA}`, 'backup', '--type=full',
    '--start-fast', '--log-level-console=info', ...EXCLUDES.map((e) => `--exclude=${e}`)]);
  expect(backup.code, backup.stdout + backup.stderr).toBe(0);
  theirExcludeLog = backup.stdout.split('\n').filter((l) => / INFO: exclude /.test(l)).map((l) => l.replace(/^.*INFO: /, ''));
  const dir = join(work, 'repo', 'backup', STANZA);
  const label = readdirSync(dir).find((d) => /F$/.test(d))!;
  theirManifest = parseManifest(readFileSync(join(dir, label, 'backup.manifest')));
}

async function ourBuild(online = true): Promise<BuiltManifest> {
  const control = await cluster.query<{ system_identifier: string; catalog_version_no: number }>(
    'SELECT system_identifier::text, catalog_version_no FROM pg_control_system()',
  );
  const dbs = await cluster.query<{ oid: number; datname: string; last: number }>(
    "SELECT oid::int, datname, (SELECT oid::int FROM pg_database WHERE datname = 'template0') AS last FROM pg_database",
  );
  const now = Math.floor(Date.now() / 1000);
  return buildManifest({
    pgPath: cluster.pgdata, pgVersion: 150000, catalogVersion: control[0].catalog_version_no,
    systemId: BigInt(control[0].system_identifier), dbId: 1, label: '20300101-000000F', type: 'full',
    delta: false, online, checksumPage: online, compressType: 'gz', compressLevel: 6,
    options: { archiveCheck: true, archiveCopy: false, hardlink: false, processMax: 1 },
    databases: dbs.map((d) => ({ name: d.datname, oid: d.oid, lastSystemOid: d.last })),
    tablespaces: online ? new Map([[tsOid, 'ts1']]) : undefined,
    exclude: EXCLUDES, timestampStart: now, now,
  });
}

beforeAll(async () => {
  work = makeTempDir('pgbr-mbuild-');
  const conf = join(work, 'pgbackrest.conf');
  const archiveCommand = `'/usr/bin/pgbackrest --config=${conf} --stanza=${STANZA} archive-push %p'`;
  cluster = await startCluster({ dataChecksums: true, conf: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica' } });
  writeConf(work, {
    global: { 'repo1-path': join(work, 'repo'), 'lock-path': join(work, 'lock'), 'log-path': join(work, 'log'),
      'log-level-file': 'off', 'repo1-retention-full': '1' },
    [STANZA]: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  });
  await setUpCluster();
  const created = await theirs([`--config=${conf}`, `--stanza=${STANZA}`, 'stanza-create']);
  expect(created.code, created.stderr).toBe(0);
  await theirBackup();
  built = await ourBuild();
}, 180_000);

afterAll(async () => {
  await cluster?.cleanup();
  removeAllTempDirs();
});

const fileNames = (m: Manifest) => new Set(m.files.map((f) => f.name));
const pathNames = (m: Manifest) => new Set(m.paths.map((p) => p.name));
const tsPrefix = () => `pg_tblspc/${tsOid}/PG_15_202209061`;

describe('exclusions on a running cluster', () => {
  it('leaves out excluded files but keeps their directories', () => {
    const files = fileNames(built.manifest);
    const paths = pathNames(built.manifest);
    for (const gone of ['postmaster.pid', 'postmaster.opts', 'pg_stat_tmp/junk.stat', `base/${dbOid}/t3_99999`,
      `base/${dbOid}/t3_99999_fsm`, 'base/pgsql_tmp/pgsql_tmp123.0', `base/${dbOid}/pg_internal.init.4242`,
      'global/pg_internal.init', 'backup_label.old', 'postgresql.auto.conf.tmp', 'junkdir/a', 'junkfile']) {
      expect(files.has(`pg_data/${gone}`), gone).toBe(false);
    }
    expect([...files].filter((f) => f.startsWith('pg_data/pg_wal/'))).toEqual([]);
    for (const kept of ['pg_wal', 'pg_wal/archive_status', 'pg_stat_tmp', 'pg_subtrans', 'pg_notify', 'junkdir']) {
      expect(paths.has(`pg_data/${kept}`), kept).toBe(true);
    }
    expect(paths.has('pg_data/base/pgsql_tmp')).toBe(false);
    expect(files.has('pg_data/recovery.done')).toBe(true); // only excluded before PG 12
    expect(files.has('pg_data/PG_VERSION')).toBe(true);
    expect(files.has('pg_data/global/pg_control')).toBe(true);
  });

  it('keeps only the init fork of an unlogged relation', () => {
    const files = fileNames(built.manifest);
    expect(files.has(`pg_data/base/${dbOid}/${unloggedNode}_init`)).toBe(true);
    expect(files.has(`pg_data/base/${dbOid}/${unloggedNode}`)).toBe(false);
    expect(readdirSync(join(cluster.pgdata, 'base', String(dbOid)))).toContain(unloggedNode);
  });

  it('logs user exclusions exactly like pgBackRest', () => {
    const ours = built.log.filter((l) => l.level === 'info').map((l) => l.message);
    expect(ours).toEqual([
      `exclude contents of '${cluster.pgdata}/junkdir' from backup using 'junkdir/' exclusion`,
      `exclude '${cluster.pgdata}/junkfile' from backup using 'junkfile' exclusion`,
    ]);
    expect(ours).toEqual(theirExcludeLog);
  });
});

describe('entries', () => {
  it('records size, mtime, mode and owner of every file as lstat/stat sees it', () => {
    expect(built.manifest.files.length).toBeGreaterThan(900);
    for (const f of built.manifest.files) {
      const src = f.name.startsWith('pg_data/') ? join(cluster.pgdata, f.name.slice(8)) : join(cluster.pgdata, f.name);
      const st = statSync(src);
      expect({ name: f.name, size: f.size, mode: f.mode }).toEqual({ name: f.name, size: st.size, mode: st.mode & 0o777 });
      expect(f.timestamp).toBe(Math.floor(st.mtimeMs / 1000));
      expect([f.user, f.group]).toEqual(isRoot ? ['postgres', 'postgres'] : [f.user, f.group]);
      expect(f.reference).toBeUndefined();
    }
    const base = built.manifest.paths.find((p) => p.name === 'pg_data')!;
    expect(base.mode).toBe(lstatSync(cluster.pgdata).mode & 0o777);
  });

  it('records the tablespace as target, link and paths', () => {
    const m = built.manifest;
    expect(m.targets.find((t) => t.name === `pg_tblspc/${tsOid}`)).toEqual({
      name: `pg_tblspc/${tsOid}`, type: 'link', path: tsDir, tablespaceId: tsOid, tablespaceName: 'ts1',
    });
    expect(m.links.find((l) => l.name === `pg_data/pg_tblspc/${tsOid}`)?.destination).toBe(tsDir);
    const paths = pathNames(m);
    for (const p of ['pg_tblspc', `pg_tblspc/${tsOid}`, tsPrefix(), `${tsPrefix()}/${dbOid}`]) expect(paths.has(p), p).toBe(true);
    expect([...fileNames(m)].some((f) => f.startsWith(`${tsPrefix()}/${dbOid}/`))).toBe(true);
  });

  it('records a file link as a link target with the file name', () => {
    const m = built.manifest;
    expect(m.targets.find((t) => t.name === 'pg_data/extra.conf')).toEqual({
      name: 'pg_data/extra.conf', type: 'link', path: join(work, 'extra'), file: 'extra.conf',
    });
    expect(m.files.find((f) => f.name === 'pg_data/extra.conf')?.size).toBe(10);
  });
});

describe('same result as pgBackRest 2.45', () => {
  // Made by the backup itself, or WAL that moved on between the two runs.
  const volatile = (name: string) => name === 'pg_data/backup_label' || name === 'pg_data/tablespace_map';

  it('has the same file, path and link names', () => {
    const theirFiles = [...fileNames(theirManifest)].filter((n) => !volatile(n));
    expect([...fileNames(built.manifest)].sort()).toEqual(theirFiles.sort());
    expect([...pathNames(built.manifest)]).toEqual([...pathNames(theirManifest)]);
    expect(built.manifest.links).toEqual(theirManifest.links);
    expect(built.manifest.targets).toEqual(theirManifest.targets);
  });

  it('has the same owner, mode and size for every file that did not change in between', () => {
    const theirs = new Map(theirManifest.files.map((f) => [f.name, f]));
    let compared = 0;
    for (const f of built.manifest.files) {
      const t = theirs.get(f.name)!;
      if (t.timestamp !== f.timestamp) continue;
      expect([f.name, f.size, f.mode, f.user, f.group]).toEqual([t.name, t.size, t.mode, t.user, t.group]);
      compared++;
    }
    expect(compared).toBeGreaterThan(800);
    expect(built.manifest.paths).toEqual(theirManifest.paths);
  });

  it('records the same databases and page-checksum choice', () => {
    expect(built.manifest.databases).toEqual(theirManifest.databases);
    const theirChecked = theirManifest.files.filter((f) => f.checksumPage !== undefined).map((f) => f.name);
    const ourChecked = built.jobs.filter((j) => j.checksumPage).map((j) => j.name);
    expect(ourChecked.sort()).toEqual(theirChecked.sort());
  });
});

describe('copy jobs', () => {
  it('lists every file, largest first, with source path, queue and segment', () => {
    const { jobs, manifest } = built;
    expect(jobs.map((j) => j.name).sort()).toEqual(manifest.files.map((f) => f.name).sort());
    for (let i = 1; i < jobs.length; i++) {
      const [a, b] = [jobs[i - 1], jobs[i]];
      expect(a.size > b.size || (a.size === b.size && a.name > b.name), `${a.name} before ${b.name}`).toBe(true);
    }
    const inTs = jobs.find((j) => j.name.startsWith(`${tsPrefix()}/`))!;
    expect(inTs.queue).toBe(1);
    expect(inTs.pgFile).toBe(join(cluster.pgdata, inTs.name));
    expect(statSync(inTs.pgFile).size).toBe(inTs.size);
    const control = jobs.find((j) => j.name === 'pg_data/global/pg_control')!;
    expect([control.queue, control.checksumPage, control.segmentNo]).toEqual([0, false, 0]);
    expect(jobs.find((j) => j.name === `pg_data/base/${dbOid}/1259`)?.checksumPage).toBe(true);
  });

  it('copy start is one second after now for an online backup', () => {
    expect(built.manifest.backup.timestampCopyStart).toBe(built.manifest.backup.timestampStart + 1);
    expect(built.manifest.options.online).toBe(true);
    expect(built.delta).toBe(false);
  });
});

describe('offline build', () => {
  it('includes pg_wal and archive_status content and names tablespaces ts<oid>', async () => {
    const offline = await ourBuild(false);
    const files = [...fileNames(offline.manifest)];
    expect(files.some((f) => /^pg_data\/pg_wal\/[0-9A-F]{24}$/.test(f))).toBe(true);
    expect(offline.manifest.targets.find((t) => t.tablespaceId === tsOid)?.tablespaceName).toBe(`ts${tsOid}`);
    expect(offline.jobs.every((j) => !j.checksumPage)).toBe(true);
    expect(offline.manifest.backup.timestampCopyStart).toBe(offline.manifest.backup.timestampStart);
  });
});
