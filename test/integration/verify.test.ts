/**
 * verify against pgBackRest 2.45 on repos it wrote: same log lines (modulo timestamps) on healthy
 * repos and after each planted corruption, plain, encrypted and bundled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ours, theirs, maskRun } from '../harness/cli.js';
import { removeAllTempDirs } from '../harness/tmp.js';
import { buildRepoFixture, givePostgres, type RepoFixture } from '../verify/repo-fixture.js';

let fx: RepoFixture;

beforeAll(async () => {
  fx = await buildRepoFixture();
}, 300_000);

afterAll(async () => {
  await fx?.cluster.cleanup();
  removeAllTempDirs();
});

/** Drops what differs from run to run: timestamps, exec id, elapsed time. */
function normalize(out: string): string {
  return maskRun(out);
}

async function both(repo: number, extra: string[] = []): Promise<{ mine: string; their: string }> {
  const args = [`--config=${fx.conf}`, '--stanza=demo', `--repo=${repo}`, '--log-level-console=detail', ...extra, 'verify'];
  const [t, o] = [await theirs(args), await ours(args)];
  expect(t.code, t.stderr).toBe(0);
  expect(o.code, o.stderr).toBe(0);
  return { mine: normalize(o.stdout + o.stderr), their: normalize(t.stdout + t.stderr) };
}

function flipByte(path: string, at?: number): void {
  const b = readFileSync(path);
  const i = at ?? Math.floor(b.length / 2);
  b[i] = b[i]! ^ 0xff;
  writeFileSync(path, b);
}

describe('verify on healthy repos', () => {
  for (const repo of [1, 2, 3]) {
    it(`repo${repo}: same output as pgBackRest, verbose and --output=text`, async () => {
      const quiet = await both(repo);
      expect(quiet.mine).toBe(quiet.their);
      expect(quiet.mine).toMatch(/DETAIL: archiveId: 15-1, wal start: 000000010000000000000001, wal stop: /);
      const verbose = await both(repo, ['--verbose', '--output=text']);
      expect(verbose.mine).toBe(verbose.their);
      expect(verbose.mine).toContain('status: ok\n');
      expect(verbose.mine).toMatch(/backup: \S+F, status: valid, total files checked: (\d+), total valid files: \1\n/);
    });
  }
});

describe('verify finds planted corruption like pgBackRest', () => {
  it('flipped byte, truncated file, deleted WAL and deleted backup file (plain gz repo)', async () => {
    const [full, incr] = fx.labels[1]!;
    const path = fx.copyRepo(1, 'corrupt1');
    const b = join(path, 'backup/demo');
    flipByte(join(b, full!, 'pg_data/PG_VERSION.gz'), 12);
    truncateSync(join(b, full!, 'pg_data/global/pg_control.gz'), 20);
    rmSync(join(b, incr!, 'pg_data/backup_label.gz'));
    const walDir = join(path, 'archive/demo/15-1/0000000100000000');
    const wal = readdirSync(walDir).filter((f) => /^[0-F]{24}-/.test(f)).sort();
    rmSync(join(walDir, wal[1]!));
    await givePostgres(path);
    const r = await both(1, [`--repo1-path=${path}`, '--process-max=2']);
    // which worker reports which file depends on scheduling: compare the lines as a set, worker ids aside
    // and pgBackRest may report a file of the full twice when the incr starts before the full is done
    const sortLines = (s: string) => [...new Set(s.replace(/^P0[1-9]/gm, 'P0n').split('\n'))].sort().join('\n');
    expect(sortLines(r.mine)).toBe(sortLines(r.their));
    expect(r.mine).toContain(`invalid checksum '${full}/pg_data/PG_VERSION.gz'`);
    expect(r.mine).toContain(`invalid checksum '${full}/pg_data/global/pg_control.gz'`);
    expect(r.mine).toContain(`file missing '${incr}/pg_data/backup_label.gz'`);
    expect(r.mine.match(/DETAIL: archiveId: 15-1, wal start/g)?.length).toBe(2);
    expect(r.mine).toContain('status: error');
  });

  it('flipped byte in an encrypted repo (checked on the stored bytes)', async () => {
    const [full] = fx.labels[2]!;
    const path = fx.copyRepo(2, 'corrupt2');
    flipByte(join(path, 'backup/demo', full!, 'pg_data/PG_VERSION.gz'), 20);
    await givePostgres(path);
    const r = await both(2, [`--repo2-path=${path}`, '--verbose']);
    expect(r.mine).toBe(r.their);
    expect(r.mine).toContain(`invalid checksum '${full}/pg_data/PG_VERSION.gz'`);
  });

  it('flipped byte inside a bundle (uncompressed, checked after reading the range)', async () => {
    const [full] = fx.labels[3]!;
    const path = fx.copyRepo(3, 'corrupt3');
    flipByte(join(path, 'backup/demo', full!, 'bundle/1'));
    await givePostgres(path);
    const r = await both(3, [`--repo3-path=${path}`]);
    expect(r.mine).toBe(r.their);
    expect(r.mine).toMatch(/P01 {3}INFO: invalid checksum '/);
  });

  it('a newer backup without a manifest is reported as in progress', async () => {
    const path = fx.copyRepo(1, 'inprogress');
    const label = `${fx.labels[1]![0]}_29990101-000000I`;
    mkdirSync(join(path, 'backup/demo', label, 'pg_data'), { recursive: true });
    await givePostgres(path);
    const r = await both(1, [`--repo1-path=${path}`, '--verbose']);
    expect(r.mine).toBe(r.their);
    expect(r.mine).toContain(`backup '${label}' appears to be in progress, skipping`);
  });
});
