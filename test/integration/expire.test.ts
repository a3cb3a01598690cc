/**
 * Issue 6: expire against pgBackRest 2.45. The repo is built by 2.45 itself (archive_command and
 * backups) so this suite does not depend on our backup command; each case runs 2.45's expire and
 * ours on identical copies and compares the console output, the repo tree and backup.info bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startCluster, type Cluster } from '../harness/pg.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ours, theirs, writeConf, maskRun } from '../harness/cli.js';
import type { RunResult } from '../harness/run.js';
import { withRestoredCluster } from '../harness/restored.js';

let cluster: Cluster;
let work: string;
let conf: string;
const repo = () => join(work, 'repo');
const orig = () => join(work, 'repo.orig');

beforeAll(async () => {
  work = makeTempDir('pgbr-expire-');
  conf = join(work, 'pgbackrest.conf');
  const archiveCommand = `'pgbackrest --config=${conf} --stanza=demo archive-push %p'`;
  cluster = await startCluster({ conf: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica' } });
  writeConf(work, {
    global: { 'repo1-path': repo(), 'lock-path': join(work, 'lock'), 'log-path': work, 'log-level-file': 'off', 'start-fast': 'y' },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  });
  const base = [`--config=${conf}`, '--stanza=demo'];
  expect((await theirs([...base, 'stanza-create'])).code).toBe(0);
  const types = ['full', 'diff', 'incr', 'full', 'incr', 'diff', 'full', 'incr'];
  for (const [i, type] of types.entries()) {
    // backup.info as it was before the last backup: that backup is then on disk but not listed
    if (i === types.length - 1) for (const f of INFO_FILES) execFileSync('cp', ['-a', join(repo(), 'backup/demo', f), join(work, `before-last.${f}`)]);
    await cluster.psql('CREATE TABLE IF NOT EXISTS t (x int); INSERT INTO t VALUES (1); SELECT pg_switch_wal();');
    const r = await theirs([...base, `--type=${type}`, 'backup']);
    expect(r.code, r.stderr).toBe(0);
    await new Promise((res) => setTimeout(res, 1000));
  }
  await cluster.stop();
  execFileSync('cp', ['-a', repo(), orig()]);
}, 240_000);

afterAll(async () => {
  await cluster?.cleanup();
  removeAllTempDirs();
});

const INFO_FILES = ['backup.info', 'backup.info.copy'];

/** Lines of a run with timestamps, exec-id and elapsed times taken out. */
function normalize(r: RunResult): string {
  return maskRun(`${r.stdout}${r.stderr}`);
}

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      out.push(relative(dir, p));
      if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

interface Outcome { output: string; code: number; tree: string[]; info: Buffer }

async function expireWith(run: typeof ours, args: string[], prep?: () => void): Promise<Outcome> {
  execFileSync('rm', ['-rf', repo()]);
  execFileSync('cp', ['-a', orig(), repo()]);
  prep?.();
  const r = await run([`--config=${conf}`, '--stanza=demo', '--log-level-console=detail', ...args, 'expire']);
  return { output: normalize(r), code: r.code, tree: tree(repo()), info: readFileSync(join(repo(), 'backup/demo/backup.info')) };
}

/** Both implementations on the same starting repo; everything observable must match. */
async function compare(args: string[], prep?: () => void): Promise<Outcome> {
  const want = await expireWith(theirs, args, prep);
  const got = await expireWith(ours, args, prep);
  expect(got.output).toBe(want.output);
  expect(got.code).toBe(want.code);
  expect(got.tree).toEqual(want.tree);
  expect(got.info.equals(want.info)).toBe(true);
  return got;
}

/** Fake WAL below every backup's range, in whole directories (2.45 removes them with the path). */
function addOldWalDirs(): void {
  for (const dir of ['00000000000000AA', '00000000000000AB']) {
    const p = join(repo(), 'archive/demo/15-1', dir);
    mkdirSync(p);
    writeFileSync(join(p, `${dir}00000001-${'a'.repeat(40)}.gz`), 'x');
    chownToPostgres(p);
  }
  writeFileSync(join(repo(), 'archive/demo/15-1/00000000.history'), 'x');
}

describe('info on a repo with several full, diff and incr backups', () => {
  it('prints exactly what pgBackRest 2.45 prints, text and JSON', async () => {
    const args = [`--config=${conf}`, '--stanza=demo'];
    for (const output of ['text', 'json']) {
      const want = await theirs([...args, `--output=${output}`, 'info']);
      const got = await ours([...args, `--output=${output}`, 'info']);
      expect(want.code).toBe(0);
      expect(got.stderr).toBe('');
      expect(got.stdout).toBe(want.stdout);
    }
    const json = (await ours([...args, '--output=json', 'info'])).stdout;
    expect((json.match(/"type":"full"/g) ?? []).length).toBe(3);
    expect((json.match(/"type":"diff"/g) ?? []).length).toBe(2);
    expect((json.match(/"type":"incr"/g) ?? []).length).toBe(3);
  });
});

describe('expire compared with pgBackRest 2.45', () => {
  it('count retention: full sets, their WAL, old WAL directories and history files go', async () => {
    const r = await compare(['--repo1-retention-full=2'], addOldWalDirs);
    expect(r.output).toContain('repo1: expire full backup set ');
    expect(r.output).toContain('remove archive, start = ');
  });

  it('dry-run prints the same lines with [DRY-RUN] and changes nothing', async () => {
    const r = await compare(['--dry-run', '--repo1-retention-full=1']);
    expect(r.output).toContain('[DRY-RUN] repo1: remove expired backup ');
    expect(r.tree).toEqual(tree(orig()));
  });

  it('no retention set: the warning, and WAL is not expired', async () => {
    const r = await compare([]);
    expect(r.output).toContain("option 'repo1-retention-full' is not set for 'repo1-retention-full-type=count'");
  });

  it('diff retention expires diffs with their incrs', async () => {
    const r = await compare(['--repo1-retention-full=3', '--repo1-retention-diff=1']);
    expect(r.output).toContain('repo1: expire diff backup set ');
  });

  it('archive retention by incr keeps only each backup range before the newest', async () => {
    await compare(['--repo1-retention-full=2', '--repo1-retention-archive=1', '--repo1-retention-archive-type=incr']);
  });

  it('archive retention by diff with no diff retention warns', async () => {
    await compare(['--repo1-retention-archive-type=diff', '--repo1-retention-archive=2']);
  });

  it('--set expires one backup and its dependents; aborted backup dirs go too', async () => {
    const labels = tree(join(orig(), 'backup/demo')).filter((l) => /^\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?$/.test(l));
    const aborted = () => {
      mkdirSync(join(repo(), 'backup/demo/20000101-000000F'));
    };
    const r = await compare([`--set=${labels[0]}`, '--repo1-retention-full=2'], aborted);
    expect(r.output).toContain('repo1: expire adhoc backup set ');
    expect(r.output).toContain('repo1: remove expired backup 20000101-000000F');
  });

  it('--set of the newest backup warns about PITR and moves latest', async () => {
    const labels = tree(join(orig(), 'backup/demo')).filter((l) => /^\d{8}-\d{6}F_\d{8}-\d{6}I$/.test(l));
    await compare([`--set=${labels[labels.length - 1]}`]);
  });

  it('--set errors match: bad label, unknown label', async () => {
    await compare(['--set=bogus']);
    await compare(['--set=20000101-000000F']);
  });

  it('an unknown --set is warned of before the WAL lines, and even when the archive then fails', async () => {
    // all on stdout, so the order of the warning and the INFO lines shows
    await compare(['--log-level-stderr=off', '--set=20000101-000000F', '--repo1-retention-full=9'], addOldWalDirs);
    await compare(['--log-level-stderr=off', '--set=20000101-000000F'], () => {
      for (const f of ['archive.info', 'archive.info.copy']) rmSync(join(repo(), 'archive/demo', f));
    });
  });

  it('time-based retention with nothing old enough, and history retention', async () => {
    await compare(['--repo1-retention-full-type=time', '--repo1-retention-full=1']);
    const oldHistory = () => {
      const dir = join(repo(), 'backup/demo/backup.history/2020');
      mkdirSync(dir);
      writeFileSync(join(dir, '20200101-000000F.manifest.gz'), 'x');
      chownToPostgres(dir);
    };
    await compare(['--repo1-retention-full=2', '--repo1-retention-history=0'], oldHistory);
  });
});

describe('backup.info reconstructed by expire, compared with pgBackRest 2.45', () => {
  const labels = () => tree(join(orig(), 'backup/demo')).filter((l) => /^\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?$/.test(l));
  const beforeLast = () => {
    for (const f of INFO_FILES) execFileSync('cp', ['-a', join(work, `before-last.${f}`), join(repo(), 'backup/demo', f)]);
  };

  it('a listed backup whose manifest is gone is dropped with the backups that depend on it', async () => {
    const diff = labels().find((l) => l.endsWith('D'))!;
    const r = await compare(['--repo1-retention-full=3'], () => execFileSync('rm', [join(repo(), 'backup/demo', diff, 'backup.manifest')]));
    expect(r.output).toContain(`backup '${diff}' missing manifest removed from backup.info`);
    // the first diff has an incr on top of it
    const incr = labels().find((l) => l.startsWith(diff.slice(0, 16)) && l.endsWith('I') && l > diff)!;
    expect(r.output).toContain(`backup '${incr}' missing manifest removed from backup.info`);
    expect(r.tree.some((p) => p.endsWith(incr))).toBe(false);
  });

  it('a finished backup that backup.info lacks is added back', async () => {
    const last = labels().at(-1)!;
    const r = await compare(['--repo1-retention-full=3'], beforeLast);
    expect(r.output).toContain(`backup '${last}' found in repository added to backup.info`);
    expect(r.tree).toContain(`backup/demo/${last}/backup.manifest`);
  });

  it('one whose manifest cannot be read fails the expire, and no backup is removed', async () => {
    const last = labels().at(-1)!;
    const r = await compare(['--repo1-retention-full=1'], () => {
      beforeLast();
      for (const f of ['backup.manifest', 'backup.manifest.copy']) writeFileSync(join(repo(), 'backup/demo', last, f), '[backup]\nnot a manifest\n');
    });
    expect(r.code).not.toBe(0);
    expect(r.tree).toEqual(tree(orig()));
  });

  it('--set beside a resumable backup whose manifest cannot be read fails, and the resumable backup is kept', async () => {
    const full = labels().filter((l) => l.endsWith('F')).at(-1)!;
    const resumable = `${full}_20991231-000000I`;
    const r = await compare([`--set=${full}`], () => {
      const dir = join(repo(), 'backup/demo', resumable);
      mkdirSync(dir);
      writeFileSync(join(dir, 'backup.manifest.copy'), '[backup]\nnot a manifest\n');
      chownToPostgres(dir);
    });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`unable to load backup manifest file '${repo()}/backup/demo/${resumable}/backup.manifest' or `);
    // the set's manifests are gone (it no longer counts as a backup), its files and the resumable one are still there
    expect(r.tree).toContain(`backup/demo/${resumable}/backup.manifest.copy`);
    expect(r.tree).toContain(`backup/demo/${full}/pg_data/PG_VERSION.gz`);
  });
});

describe('after expire', () => {
  it('every backup that remains still restores and starts, its WAL still in the archive', async () => {
    const expired = await expireWith(ours, ['--repo1-retention-full=2']);
    expect(expired.code).toBe(0);
    const info = JSON.parse((await ours([`--config=${conf}`, '--stanza=demo', '--output=json', 'info'])).stdout);
    const labels = (info[0].backup as Array<{ label: string }>).map((b) => b.label);
    expect(labels.length).toBeGreaterThan(1);
    expect(labels.length).toBeLessThan(8);
    for (const label of labels) {
      const pgdata = join(makeTempDir('pgbr-after-expire-'), 'data');
      const r = await ours([`--config=${conf}`, '--stanza=demo', 'restore', `--set=${label}`, `--pg1-path=${pgdata}`, '--type=immediate', '--target-action=promote'], {
        timeoutMs: 180_000,
      });
      expect(r.code, `${label}: ${r.stderr}`).toBe(0);
      // each backup added a row before it was taken: the restored table has at least one
      expect(Number(await withRestoredCluster(cluster, pgdata, (q) => q('SELECT count(*) FROM t')))).toBeGreaterThan(0);
    }
  }, 300_000);
});
