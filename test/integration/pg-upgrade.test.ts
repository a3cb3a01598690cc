/**
 * A real major-version upgrade: PostgreSQL 14 (embedded) → 15 (Debian) with pg_upgrade, then our
 * stanza-upgrade, a backup and a restore on 15, with the 14 history still listed (and restorable).
 * pgBackRest 2.45 does the same steps on a byte copy of the repo, or reads ours, for comparison.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableVersions, startCluster, type Cluster } from '../harness/pg.js';
import { pgUpgrade } from '../harness/pg-upgrade.js';
import { withRestoredCluster } from '../harness/restored.js';
import { chownTreeToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ourArchiveCommand, ours, theirs, writeConf, maskRun } from '../harness/cli.js';
import { runCmd, type RunResult } from '../harness/run.js';

const canRun = availableVersions().includes(14) && availableVersions().includes(15);
const INFO_FILES = ['archive/main/archive.info', 'archive/main/archive.info.copy', 'backup/main/backup.info', 'backup/main/backup.info.copy'];
const CATALOG = { 14: 202107181, 15: 202209061 } as const;

let pg14: Cluster;
let pg15: Cluster;
/** Our config + repo; `ref` is a copy of the repo taken before stanza-upgrade, for pgBackRest. */
let mine: { dir: string; args: string[] };
let ref: { dir: string; args: string[] };
let sysId14: string;
let sysId15: string;
let fullLabel14: string;
let fullLabel15: string;

function confFor(dir: string, c: Cluster): { dir: string; args: string[] } {
  const global = {
    'repo1-path': join(dir, 'repo'),
    'repo1-retention-full': '9',
    'compress-type': 'lz4',
    'lock-path': join(dir, 'lock'),
    'log-path': join(dir, 'log'),
    'log-level-file': 'off',
  };
  const conf = writeConf(dir, { global, main: { 'pg1-path': c.pgdata, 'pg1-port': String(c.port), 'pg1-socket-path': c.socketDir } });
  return { dir, args: [`--config=${conf}`, '--stanza=main', '--log-level-console=info'] };
}

function archiveCommand(args: string[]): string {
  return ourArchiveCommand(args.find((a) => a.startsWith('--config='))!.slice('--config='.length), 'main');
}

function normalize(r: RunResult, dir: string): string {
  return maskRun(`${r.code}\n${r.stdout}${r.stderr}`, dir);
}


async function systemId(c: Cluster): Promise<string> {
  return (await c.psql('SELECT system_identifier FROM pg_control_system()')).trim();
}

/** The system identifier in a stopped cluster's pg_control. */
async function controlSystemId(c: Cluster): Promise<string> {
  const r = await runCmd(join(c.binDir, 'pg_controldata'), [c.pgdata], { asPostgres: true, addEnv: { LC_ALL: 'C' } });
  expect(r.code, r.stderr).toBe(0);
  return /^Database system identifier:\s+(\d+)$/m.exec(r.stdout)?.[1] ?? '';
}

function repoFile(dir: string, f: string): string {
  return readFileSync(join(dir, 'repo', f), 'utf8');
}

/** Our restore of backup `set` into a new dir, started with `binaries`' server; returns `fn`'s answer. */
async function restoreAndQuery<T>(binaries: Cluster, set: string, fn: (q: (sql: string) => Promise<string>) => Promise<T>): Promise<T> {
  const pgdata = join(makeTempDir('pgbr-upgrade-restore-'), 'data');
  const r = await ours([...mine.args, 'restore', `--set=${set}`, `--pg1-path=${pgdata}`, '--type=immediate', '--target-action=promote'], {
    timeoutMs: 120_000,
  });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`P00   INFO: repo1: restore backup set ${set}, recovery will start at `);
  return withRestoredCluster(binaries, pgdata, fn);
}

async function rows(q: (sql: string) => Promise<string>): Promise<string> {
  return q("SELECT version, count(*), sum(n) FROM history GROUP BY version ORDER BY version");
}

beforeAll(async () => {
  if (!canRun) return;
  const dir = makeTempDir('pgbr-pg-upgrade-');
  // archive_command needs the config path, which needs the cluster: write it after the start
  const archive = { archive_mode: 'on', archive_command: `'${archiveCommand([`--config=${join(dir, 'pgbackrest.conf')}`])}'` };
  [pg14, pg15] = await Promise.all([
    startCluster({ version: 14, dataChecksums: true, conf: archive }),
    // the target of pg_upgrade: a fresh initdb with the same options, no archiving yet
    startCluster({ version: 15, dataChecksums: true }),
  ]);
  mine = confFor(dir, pg14);
}, 120_000);

afterAll(async () => {
  await Promise.all([pg14, pg15].map((c) => c?.cleanup()));
  removeAllTempDirs();
});

describe.skipIf(!canRun)('pg_upgrade 14 → 15', () => {
  it('on 14: stanza-create, rows and a full backup', async () => {
    expect((await pg14.psql('SHOW server_version_num')).trim()).toMatch(/^14\d{4}$/);
    const created = await ours([...mine.args, 'stanza-create']);
    expect(created.code, created.stderr).toBe(0);
    await pg14.psql("CREATE TABLE history (version int, n int, note text); INSERT INTO history SELECT 14, g, 'before upgrade' FROM generate_series(1, 1000) g");
    const backup = await ours([...mine.args, 'backup', '--type=full', '--start-fast'], { timeoutMs: 120_000 });
    expect(backup.code, backup.stderr).toBe(0);
    fullLabel14 = /new backup label = (\d{8}-\d{6}F)\n/.exec(backup.stdout)?.[1] ?? '';
    expect(fullLabel14).not.toBe('');
    const info = await ours([...mine.args, 'info']);
    expect(info.stdout).toContain('    db (current)\n        wal archive min/max (14): 000000010000000000000001/');
    expect(info.stdout).toContain(`        full backup: ${fullLabel14}\n`);
    expect(info.stdout).not.toContain('db (prior)');
    sysId14 = await systemId(pg14);
    sysId15 = await systemId(pg15);
  });

  it('pg_upgrade moves the data to 15; the stanza then no longer matches the database', async () => {
    const up = await pgUpgrade(pg14, pg15);
    expect(up.code, `${up.stdout}${up.stderr}${up.logs}`).toBe(0);
    expect(up.stdout).toContain('Performing Upgrade');
    expect(up.stdout).toContain('Copying user relation files');
    expect(up.stdout).toContain('Upgrade Complete');
    expect(readFileSync(join(pg15.pgdata, 'PG_VERSION'), 'utf8')).toBe('15\n');
    // pg_upgrade does not carry the system identifier over: the new cluster keeps its initdb one
    expect(await controlSystemId(pg15)).toBe(sysId15);
    expect(sysId15).not.toBe(sysId14);

    // as in pgBackRest's user guide: with the new cluster still down, point the config at it ...
    mine = confFor(mine.dir, pg15);
    ref = confFor(makeTempDir('pgbr-pg-upgrade-ref-'), pg15);
    cpSync(join(mine.dir, 'repo'), join(ref.dir, 'repo'), { recursive: true });
    chownTreeToPostgres(join(ref.dir, 'repo'));
    // ... where WAL of the new cluster is refused until stanza-upgrade (nothing is written)
    const wal = readdirSync(join(pg15.pgdata, 'pg_wal')).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort()[0]!;
    const ourPush = await ours([...mine.args, 'archive-push', join(pg15.pgdata, 'pg_wal', wal)]);
    const refPush = await theirs([...ref.args, 'archive-push', join(pg15.pgdata, 'pg_wal', wal)]);
    expect(ourPush.code, `${ourPush.stderr}\n---\n${refPush.stderr}`).toBe(103);
    expect(ourPush.stderr).toBe(
      'ERROR: [103]: unable to find a valid repository:\n' +
        `       repo1: [ArchiveMismatchError] PostgreSQL version 15, system-id ${sysId15} do not match repo1 stanza version 14, system-id ${sysId14}\n` +
        '       HINT: are you archiving to the correct stanza?\n',
    );
    expect(normalize(ourPush, mine.dir)).toBe(normalize(refPush, ref.dir));
    expect(readdirSync(join(mine.dir, 'repo/archive/main'))).toEqual(['14-1', 'archive.info', 'archive.info.copy']);
  });

  it('stanza-upgrade adds history id 2 (15) and keeps id 1 (14), byte for byte like pgBackRest', async () => {
    const ourRun = await ours([...mine.args, '--no-online', 'stanza-upgrade']);
    const refRun = await theirs([...ref.args, '--no-online', 'stanza-upgrade']);
    expect(ourRun.code, ourRun.stderr).toBe(0);
    expect(ourRun.stderr).toBe('');
    expect(ourRun.stdout).toContain("P00   INFO: stanza-upgrade for stanza 'main' on repo1\n");
    expect(normalize(ourRun, mine.dir)).toBe(normalize(refRun, ref.dir));
    for (const f of INFO_FILES) expect(repoFile(mine.dir, f), f).toBe(repoFile(ref.dir, f));

    const archiveInfo = repoFile(mine.dir, 'archive/main/archive.info');
    expect(archiveInfo).toMatch(/\[db\]\ndb-id=2\ndb-system-id=(\d+)\ndb-version="15"\n/);
    expect(archiveInfo).toContain(`\n[db:history]\n1={"db-id":${sysId14},"db-version":"14"}\n2={"db-id":${sysId15},"db-version":"15"}\n`);
    const backupInfo = repoFile(mine.dir, 'backup/main/backup.info');
    expect(backupInfo).toContain(
      `\n[db:history]\n1={"db-catalog-version":${CATALOG[14]},"db-control-version":1300,"db-system-id":${sysId14},"db-version":"14"}\n` +
        `2={"db-catalog-version":${CATALOG[15]},"db-control-version":1300,"db-system-id":${sysId15},"db-version":"15"}\n`,
    );
    expect(backupInfo).toContain(`\n${fullLabel14}={`);

    const again = await ours([...mine.args, '--no-online', 'stanza-upgrade']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("P00   INFO: stanza 'main' on repo1 is already up to date\n");

    // start 15 archiving into 15-2 and let our check command prove the path works
    appendFileSync(join(pg15.pgdata, 'postgresql.conf'), `archive_mode = on\narchive_command = '${archiveCommand(mine.args)}'\n`);
    await pg15.start();
    expect((await pg15.psql('SHOW server_version_num')).trim()).toMatch(/^15\d{4}$/);
    expect((await pg15.psql('SELECT count(*) FROM history WHERE version = 14')).trim()).toBe('1000');
    const check = await ours([...mine.args, 'check']);
    expect(check.code, check.stderr).toBe(0);
  });

  it('an incr backup on 15 becomes full (no prior backup of this db), as in pgBackRest', async () => {
    await pg15.psql("INSERT INTO history SELECT 15, g, 'after upgrade' FROM generate_series(1, 500) g");
    // pgBackRest on its copy of the upgraded repo (WAL goes to ours, so no archive check there)
    // (one after the other: both hold a PostgreSQL advisory lock while they back up)
    const refBackup = await theirs([...ref.args, 'backup', '--type=incr', '--start-fast', '--no-archive-check'], { timeoutMs: 120_000 });
    const backup = await ours([...mine.args, 'backup', '--type=incr', '--start-fast'], { timeoutMs: 120_000 });
    const warn = 'WARN: no prior backup exists, incr backup has been changed to full\n';
    for (const r of [refBackup, backup]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe(warn);
      expect(r.stdout).toMatch(/P00   INFO: new backup label = \d{8}-\d{6}F\n/);
      expect(r.stdout).not.toContain('last backup label');
    }
    fullLabel15 = /new backup label = (\d{8}-\d{6}F)\n/.exec(backup.stdout)?.[1] ?? '';
    expect(fullLabel15 > fullLabel14).toBe(true);
  });

  it('info lists the 14 backup under db (prior) and the 15 one under db (current), like pgBackRest', async () => {
    const info = await ours([...mine.args, 'info']);
    expect(info.code).toBe(0);
    expect(info.stdout).toBe((await theirs([...mine.args, 'info'])).stdout);
    const text = info.stdout;
    expect(text).toMatch(/^stanza: main\n    status: ok\n    cipher: none\n\n    db \(prior\)\n        wal archive min\/max \(14\): 000000010000000000000001\/\w{24}\n\n/);
    const prior = text.slice(text.indexOf('db (prior)'), text.indexOf('db (current)'));
    const current = text.slice(text.indexOf('db (current)'));
    expect(prior).toContain(`        full backup: ${fullLabel14}\n`);
    expect(current).toMatch(/^db \(current\)\n        wal archive min\/max \(15\): \w{24}\/\w{24}\n/);
    expect(current).toContain(`        full backup: ${fullLabel15}\n`);
    expect(current).not.toContain(fullLabel14);

    const json = await ours([...mine.args, '--output=json', 'info']);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe((await theirs([...mine.args, '--output=json', 'info'])).stdout);
    const [stanza] = JSON.parse(json.stdout) as Array<{
      archive: Array<{ database: { id: number }; id: string; min: string; max: string }>;
      backup: Array<{ label: string; type: string; database: { id: number } }>;
      db: Array<{ id: number; version: string }>;
      status: { code: number };
    }>;
    expect(stanza!.status.code).toBe(0);
    expect(stanza!.db.map((d) => [d.id, d.version])).toEqual([
      [1, '14'],
      [2, '15'],
    ]);
    // system ids exceed 2^53: look at the JSON text rather than the parsed numbers
    expect(json.stdout).toContain(`{"id":1,"repo-key":1,"system-id":${sysId14},"version":"14"}`);
    expect(json.stdout).toContain(`{"id":2,"repo-key":1,"system-id":${sysId15},"version":"15"}`);
    expect(stanza!.archive.map((a) => [a.id, a.database.id])).toEqual([
      ['14-1', 1],
      ['15-2', 2],
    ]);
    expect(stanza!.backup.map((b) => [b.label, b.type, b.database.id])).toEqual([
      [fullLabel14, 'full', 1],
      [fullLabel15, 'full', 2],
    ]);
  });

  it('restores the 15 backup with rows from before and after the upgrade, and the 14 one on 14', async () => {
    const query = async (q: (sql: string) => Promise<string>) => [await q('SHOW server_version_num'), await rows(q)];
    // the old history is not just listed: its backup still restores on 14, with 14's WAL from 14-1
    const [on15, on14] = await Promise.all([restoreAndQuery(pg15, fullLabel15, query), restoreAndQuery(pg14, fullLabel14, query)]);
    expect(on15[0]).toMatch(/^15\d{4}$/);
    expect(on15[1]).toBe('14|1000|500500\n15|500|125250');
    expect(on14[0]).toMatch(/^14\d{4}$/);
    expect(on14[1]).toBe('14|1000|500500');
  });

  it('verify (pgBackRest and ours, same output) finds both histories sound', async () => {
    const args = [...mine.args, '--verbose', 'verify'];
    const [r, o] = await Promise.all([theirs(args, { timeoutMs: 120_000 }), ours(args, { timeoutMs: 120_000 })]);
    expect(r.code, r.stderr).toBe(0);
    const pad = ' '.repeat(36);
    expect(r.stdout).toContain(`P00   INFO: stanza: main\n${pad}status: ok\n`);
    expect(r.stdout).toMatch(new RegExp(`\n${pad}  archiveId: 14-1, total WAL checked: (\\d+), total valid WAL: \\1\n`));
    expect(r.stdout).toMatch(new RegExp(`\n${pad}  archiveId: 15-2, total WAL checked: (\\d+), total valid WAL: \\1\n`));
    for (const label of [fullLabel14, fullLabel15]) {
      expect(r.stdout).toMatch(new RegExp(`\n${pad}  backup: ${label}, status: valid, total files checked: (\\d+), total valid files: \\1\n`));
    }
    expect(r.stdout).not.toMatch(/missing: [1-9]|invalid: [1-9]|other: [1-9]/);
    expect(normalize(o, mine.dir)).toBe(normalize(r, mine.dir));
  });
});
