/**
 * Issue 6: stanza-upgrade and stanza-delete, each run by us and by pgBackRest 2.45 on copies of the
 * same repo; the resulting files and output must be the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableVersions, startCluster, type Cluster } from '../harness/pg.js';
import { withRestoredCluster } from '../harness/restored.js';
import { chownTreeToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ourArchiveCommand, ours, theirs, writeConf, maskRun } from '../harness/cli.js';
import { type RunResult } from '../harness/run.js';

const PASS = 'StanzaTestPassphrase-0123456789';
const INFO_FILES = ['archive/main/archive.info', 'archive/main/archive.info.copy', 'backup/main/backup.info', 'backup/main/backup.info.copy'];
let old15: Cluster;
let new15: Cluster;
let new17: Cluster | undefined;

beforeAll(async () => {
  [old15, new15, new17] = await Promise.all([
    startCluster(),
    startCluster(),
    availableVersions().includes(17) ? startCluster({ version: 17 }) : Promise.resolve(undefined),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([old15, new15, new17].map((c) => c?.cleanup()));
  removeAllTempDirs();
});

function normalize(r: RunResult, dir: string): string {
  return maskRun(`${r.code}\n${r.stdout}${r.stderr}`, dir);
}

/** A config in a fresh dir for `cluster`; `repos` are repo paths relative to the dir. */
function setup(cluster: Cluster, opts: { encrypted?: boolean; repos?: string[] } = {}) {
  const dir = makeTempDir('pgbr-stanza-');
  const global: Record<string, string> = { 'lock-path': join(dir, 'lock'), 'log-path': join(dir, 'log'), 'log-level-file': 'off' };
  (opts.repos ?? ['repo']).forEach((r, i) => {
    global[`repo${i + 1}-path`] = join(dir, r);
    if (opts.encrypted) Object.assign(global, { [`repo${i + 1}-cipher-type`]: 'aes-256-cbc', [`repo${i + 1}-cipher-pass`]: PASS });
  });
  const pg = { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir };
  const conf = writeConf(dir, { global, main: pg });
  return { dir, args: [`--config=${conf}`, '--stanza=main', '--log-level-console=info'] };
}

/** The same settings pointed at another cluster (the one after the upgrade), in another dir. */
function retarget(from: { dir: string }, cluster: Cluster, opts: { encrypted?: boolean } = {}) {
  const to = setup(cluster, opts);
  cpSync(join(from.dir, 'repo'), join(to.dir, 'repo'), { recursive: true });
  chownTreeToPostgres(join(to.dir, 'repo'));
  return to;
}


async function systemId(c: Cluster): Promise<string> {
  return (await c.psql('SELECT system_identifier FROM pg_control_system()')).trim();
}

function files(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((f) => relative(root, join(root, f)))
    .sort();
}

/** Info file text as pgBackRest decrypts it (repo-get), so encrypted repos compare key for key. */
async function infoText(args: string[], file: string): Promise<string> {
  const r = await theirs([...args, 'repo-get', file]);
  expect(r.code).toBe(0);
  return r.stdout;
}


/** Turn on archiving of `c` through our archive-push into the stanza of `args` (a restart). */
async function archiveTo(c: Cluster, args: string[]): Promise<void> {
  const command = ourArchiveCommand(args.find((a) => a.startsWith('--config='))!.slice('--config='.length), 'main');
  await c.psql("ALTER SYSTEM SET archive_mode = 'on'");
  await c.psql(`ALTER SYSTEM SET archive_command = '${command}'`);
  await c.stop();
  await c.start();
}

/** Our restore of the latest backup into a new directory, started on its own port: `upgraded.answer`. */
async function restoredAnswer(c: Cluster, args: string[]): Promise<string> {
  const pgdata = join(makeTempDir('pgbr-upgraded-restore-'), 'data');
  const restored = await ours([...args, 'restore', `--pg1-path=${pgdata}`, '--type=immediate', '--target-action=promote'], { timeoutMs: 180_000 });
  expect(restored.code, restored.stderr).toBe(0);
  return withRestoredCluster(c, pgdata, (q) => q('SELECT answer FROM upgraded'));
}

describe('stanza-upgrade', () => {
  async function upgradeBoth(target: Cluster, encrypted: boolean) {
    const before = setup(old15, { encrypted });
    expect((await theirs([...before.args, 'stanza-create'])).code).toBe(0);
    const backup = await theirs([...before.args, 'backup', '--type=full', '--start-fast', '--no-archive-check', '--repo1-retention-full=1']);
    expect(backup.code).toBe(0);
    const mine = retarget(before, target, { encrypted });
    const ref = retarget(before, target, { encrypted });
    const ourRun = await ours([...mine.args, 'stanza-upgrade']);
    const refRun = await theirs([...ref.args, 'stanza-upgrade']);
    expect(normalize(ourRun, mine.dir)).toBe(normalize(refRun, ref.dir));
    expect(ourRun.stdout).toContain("P00   INFO: stanza-upgrade for stanza 'main' on repo1\n");
    for (const f of INFO_FILES) expect(await infoText(mine.args, f)).toBe(await infoText(ref.args, f));
    if (!encrypted) for (const f of INFO_FILES) expect(readFileSync(join(mine.dir, 'repo', f), 'utf8')).toBe(readFileSync(join(ref.dir, 'repo', f), 'utf8'));
    return { before, mine, ref };
  }

  it('after a new initdb (same major) appends history id 2 exactly as pgBackRest does, then backs up and restores', async () => {
    const { mine, ref } = await upgradeBoth(new15, false);
    const archiveInfo = readFileSync(join(mine.dir, 'repo/archive/main/archive.info'), 'utf8');
    expect(archiveInfo).toMatch(/\[db\]\ndb-id=2\n/);
    expect(archiveInfo).toContain('2={"db-id":');
    const info = await theirs([...mine.args, 'info']);
    expect(info.stdout).toContain('db (current)');
    expect(info.stdout).toContain('db (prior)');
    expect((await theirs([...mine.args, '--output=json', 'info'])).stdout).toContain('"id":"15-2"');
    expect((await ours([...mine.args, 'info'])).stdout).toBe(info.stdout);

    const again = await ours([...mine.args, 'stanza-upgrade']);
    expect(again.stdout).toContain("P00   INFO: stanza 'main' on repo1 is already up to date\n");
    expect(normalize(again, mine.dir)).toBe(normalize(await theirs([...ref.args, 'stanza-upgrade']), ref.dir));

    // the upgraded stanza takes backups of the new cluster and restores them; the old history stays listed
    await archiveTo(new15, mine.args);
    await new15.psql('CREATE TABLE upgraded AS SELECT 42 AS answer');
    const backup = await ours([...mine.args, 'backup', '--type=full', '--start-fast'], { timeoutMs: 180_000 });
    expect(backup.code, backup.stderr).toBe(0);
    const after = await theirs([...mine.args, 'info']);
    expect(after.stdout).toMatch(/db \(prior\)[\s\S]*full backup: [\s\S]*db \(current\)[\s\S]*full backup: /);
    expect(await restoredAnswer(new15, mine.args)).toBe('42');
  }, 300_000);

  // pgBackRest 2.45 knows PostgreSQL only up to 15 (it rejects 17's pg_control), so only we can
  // upgrade to 17; pgBackRest still has to read the result.
  it.skipIf(!availableVersions().includes(17))('from PG 15 to PG 17, encrypted, keeps cipher passes and backups', async () => {
    const before = setup(old15, { encrypted: true });
    expect((await theirs([...before.args, 'stanza-create'])).code).toBe(0);
    const backup = await theirs([...before.args, 'backup', '--type=full', '--start-fast', '--no-archive-check', '--repo1-retention-full=1']);
    expect(backup.code).toBe(0);
    const mine = retarget(before, new17!, { encrypted: true });
    const run = await ours([...mine.args, 'stanza-upgrade']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const [file, entry] of [
      ['archive/main/archive.info', '2={"db-id":SYS,"db-version":"17"}'],
      ['backup/main/backup.info', '2={"db-catalog-version":202406281,"db-control-version":1700,"db-system-id":SYS,"db-version":"17"}'],
    ] as const) {
      const text = await infoText(mine.args, file);
      const old = await infoText(before.args, file);
      expect(await infoText(mine.args, `${file}.copy`)).toBe(text);
      expect(text).toContain(entry.replace('SYS', await systemId(new17!)));
      expect(text).toMatch(/^db-id=2$/m);
      expect(text.match(/^cipher-pass=.*$/m)?.[0]).toBe(old.match(/^cipher-pass=.*$/m)?.[0]);
      // history entry 1 and every backup stay as they were
      for (const line of old.split('\n').filter((l) => /^1=|^\d{8}-\d{6}F=/.test(l))) expect(text).toContain(line);
    }
    const info = await theirs([...mine.args, 'info']);
    expect(info.stdout).toContain('db (prior)');
    expect(info.stdout).toContain('wal archive min/max (17)');
    expect((await theirs([...mine.args, '--output=json', 'info'])).stdout).toContain('"id":"17-2"');
    const push = await ours([...mine.args, 'archive-push', join(new17!.pgdata, 'pg_wal/000000010000000000000001')]);
    expect(push.code).toBe(0);
    expect(files(join(mine.dir, 'repo/archive/main')).some((f) => f.startsWith('17-2/0000000100000000/000000010000000000000001-'))).toBe(true);
  });

  it('refuses after stop with [062] and leaves the repo alone', async () => {
    const c = setup(old15);
    expect((await ours([...c.args, 'stanza-create'])).code).toBe(0);
    const target = retarget(c, new15);
    expect((await ours([...target.args, 'stop'])).code).toBe(0);
    const r = await ours([...target.args, 'stanza-upgrade']);
    expect(r.code).toBe(62);
    expect(r.stderr).toBe('ERROR: [062]: stop file exists for stanza main\n');
    expect(readFileSync(join(target.dir, 'repo/archive/main/archive.info'), 'utf8')).toContain('db-id=1\n');
  });
});

describe('stanza-delete', () => {
  /** A stanza with a backup, and two copies of it: one for us, one for pgBackRest. */
  async function stanzaPair() {
    const c = setup(old15);
    expect((await theirs([...c.args, 'stanza-create'])).code).toBe(0);
    expect((await theirs([...c.args, 'backup', '--type=full', '--start-fast', '--no-archive-check', '--repo1-retention-full=1'])).code).toBe(0);
    return { mine: retarget(c, old15), ref: retarget(c, old15) };
  }

  async function both(pair: Awaited<ReturnType<typeof stanzaPair>>, args: string[]) {
    const a = await ours([...pair.mine.args, ...args]);
    const b = await theirs([...pair.ref.args, ...args]);
    expect(normalize(a, pair.mine.dir)).toBe(normalize(b, pair.ref.dir));
    expect(files(pair.mine.dir)).toEqual(files(pair.ref.dir));
    return a;
  }

  it('needs the stop file, refuses while PostgreSQL runs, then removes everything like pgBackRest', async () => {
    const pair = await stanzaPair();
    const noStop = await both(pair, ['stanza-delete']);
    expect(noStop.code).toBe(55);
    expect(noStop.stderr).toBe(
      "ERROR: [055]: stop file does not exist for stanza 'main'\n" +
        '       HINT: has the pgbackrest stop command been run on this server for this stanza?\n',
    );
    await both(pair, ['stop']);
    const running = await both(pair, ['stanza-delete']);
    expect(running.code).toBe(38);
    expect(running.stderr).toContain("postmaster.pid exists - looks like PostgreSQL is running. To delete stanza 'main' on repo1");
    expect(files(join(pair.mine.dir, 'repo')).filter((f) => f.endsWith('backup.manifest')).length).toBeGreaterThan(0);

    const forced = await both(pair, ['stanza-delete', '--force']);
    expect(forced.code).toBe(0);
    expect(files(join(pair.mine.dir, 'repo'))).toEqual(['archive', 'backup']);
    expect(existsSync(join(pair.mine.dir, 'lock/main.stop'))).toBe(false);
  });

  it('with PostgreSQL stopped needs no --force; a missing stanza is a no-op', async () => {
    const pair = await stanzaPair();
    const stopped = ['--pg1-path', makeTempDir('pgbr-nopg-')];
    await both(pair, ['stop']);
    expect((await both(pair, [...stopped, 'stanza-delete'])).code).toBe(0);
    expect(files(join(pair.mine.dir, 'repo'))).toEqual(['archive', 'backup']);
    // nothing left to delete: no stop file needed, nothing printed
    const none = await both(pair, [...stopped, 'stanza-delete']);
    expect(none.code).toBe(0);
    expect(none.stderr).toBe('');
  });

  it('with two repos requires --repo', async () => {
    const c = setup(old15, { repos: ['repo', 'repo2'] });
    expect((await ours([...c.args, 'stanza-create'])).code).toBe(0);
    expect((await ours([...c.args, 'stop'])).code).toBe(0);
    const r = await ours([...c.args, 'stanza-delete', '--force']);
    expect(normalize(r, c.dir)).toBe(normalize(await theirs([...c.args, 'stanza-delete', '--force']), c.dir));
    expect(r.code).toBe(37);
    expect((await ours([...c.args, 'stanza-delete', '--force', '--repo=2'])).code).toBe(0);
    expect(files(join(c.dir, 'repo2'))).toEqual(['archive', 'backup']);
    expect(files(join(c.dir, 'repo'))).toContain('archive/main/archive.info');
  });
});
