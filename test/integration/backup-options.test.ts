/**
 * backup options this tool once took and did nothing with: --annotation is recorded as 2.45
 * records it, archive-copy and repo-hardlink work as in 2.45, and backup-standby, which would
 * change where the files come from, fails the backup instead of being recorded as done.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskRun, ours, theirs } from '../harness/cli.js';
import { chownTreeToPostgres } from '../harness/tmp.js';
import { backupEnv, sharedBackupEnv, type BackupEnv } from './backup-helpers.js';

const env = sharedBackupEnv({}, { timeoutMs: 180_000 });

const listed = async (): Promise<string[]> => {
  const r = await ours([...env.args, '--output=json', 'info']);
  return (JSON.parse(r.stdout)[0].backup as Array<{ label: string }>).map((b) => b.label);
};

describe('backup options', () => {
  it('--annotation goes into the manifest and backup.info, and 2.45 shows it', async () => {
    // an empty value is left out, as 2.45 leaves it out
    const r = await ours([...env.args, '--type=full', '--annotation=ticket=T-1', '--annotation=key 2=val two', '--annotation=empty=', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    const [label] = (await listed()).slice(-1);
    const manifest = readFileSync(join(env.dir, 'repo', 'backup', 'demo', label!, 'backup.manifest'), 'utf8');
    // keys sorted, as pgBackRest renders JSON
    expect(manifest).toContain('\n[metadata]\nannotation={"key 2":"val two","ticket":"T-1"}\n');
    const info = readFileSync(join(env.dir, 'repo', 'backup', 'demo', 'backup.info'), 'utf8');
    expect(info).toContain(`${label}={"backrest-format":5,"backrest-version":"2.45","backup-annotation":{"key 2":"val two","ticket":"T-1"},`);
    const theirInfo = await theirs([...env.args, `--set=${label}`, 'info']);
    expect(theirInfo.code, theirInfo.stderr).toBe(0);
    expect(theirInfo.stdout).toMatch(/ {12}annotation\(s\)\n {16}key 2: val two\n {16}ticket: T-1\n/);
  });

  it('annotate changes backup.info as 2.45 does, on each repo that has the set', async () => {
    const [label] = (await listed()).slice(-1);
    const copies = { ours: join(env.dir, 'annotate-ours'), theirs: join(env.dir, 'annotate-theirs') };
    for (const to of Object.values(copies)) {
      cpSync(join(env.dir, 'repo'), to, { recursive: true, verbatimSymlinks: true });
      chownTreeToPostgres(to);
    }
    const info = (repo: string): string => readFileSync(join(repo, 'backup', 'demo', 'backup.info'), 'utf8');
    const change = [`--set=${label}`, '--annotation=ticket=', '--annotation=b=2', '--annotation=a=1', '--log-level-console=info', 'annotate'];
    const mine = await ours([...env.args, `--repo1-path=${copies.ours}`, ...change]);
    const ref = await theirs([...env.args, `--repo1-path=${copies.theirs}`, ...change]);
    expect(mine.code, mine.stderr).toBe(0);
    expect(ref.code, ref.stderr).toBe(0);
    expect(maskRun(mine.stdout, copies.ours)).toBe(maskRun(ref.stdout, copies.theirs));
    expect(mine.stdout).toContain(`INFO: backup set '${label}' to annotate found in repo1\n`);
    // byte for byte, checksum included: the removed key is gone, the new ones sorted in
    expect(info(copies.ours)).toBe(info(copies.theirs));
    expect(info(copies.ours)).toContain(`${label}={"backrest-format":5,"backrest-version":"2.45","backup-annotation":{"a":"1","b":"2","key 2":"val two"},`);

    // errors as 2.45: no such set, a label that is none, a missing annotation
    for (const [args, code, text] of [
      [['--set=20200101-000000F', '--annotation=a=1'], 75, 'ERROR: [075]: no backup set to annotate found\n'],
      [['--set=bogus', '--annotation=a=1'], 32, "ERROR: [032]: 'bogus' is not a valid backup label format\n"],
      [[`--set=${label}`], 37, 'ERROR: [037]: annotate command requires option: annotation\n'],
    ] as const) {
      const o = await ours([...env.args, `--repo1-path=${copies.ours}`, ...args, 'annotate']);
      const t = await theirs([...env.args, `--repo1-path=${copies.theirs}`, ...args, 'annotate']);
      expect([o.code, o.stderr]).toEqual([code, text]);
      expect([t.code, t.stderr]).toEqual([code, text]);
    }

    // two repos, repo1 unreadable: repo2 is annotated, repo1 left alone, the command fails [104]
    // (2.45 writes repo2's backup.info into repo1 here; we do not follow it)
    rmSync(join(copies.ours, 'backup', 'demo', 'backup.info'));
    rmSync(join(copies.ours, 'backup', 'demo', 'backup.info.copy'));
    const second = join(env.dir, 'annotate-second');
    cpSync(copies.theirs, second, { recursive: true, verbatimSymlinks: true });
    chownTreeToPostgres(second);
    const two = await ours([...env.args, `--repo1-path=${copies.ours}`, `--repo2-path=${second}`, `--set=${label}`, '--annotation=c=3', 'annotate']);
    expect(two.code).toBe(104);
    expect(two.stderr).toMatch(/^ERROR: \[055\]: repo1: unable to load info file '.*annotate-ours\/backup\/demo\/backup.info' or/);
    expect(two.stderr).toContain('ERROR: [104]: annotate command encountered 1 error(s), check the log file for details\n');
    expect(existsSync(join(copies.ours, 'backup', 'demo', 'backup.info'))).toBe(false);
    expect(info(second)).toContain(`${label}={"backrest-format":5,"backrest-version":"2.45","backup-annotation":{"a":"1","b":"2","c":"3","key 2":"val two"},`);
    // and pgBackRest reads what we wrote
    const shown = await theirs([...env.args, `--repo1-path=${second}`, `--set=${label}`, 'info']);
    expect(shown.stdout).toMatch(/ {12}annotation\(s\)\n {16}a: 1\n {16}b: 2\n {16}c: 3\n {16}key 2: val two\n/);
  });

  it('exclusions are logged before a backup without pg_control fails [055], as 2.45 logs them', async () => {
    const args = [...env.args, '--type=full', '--exclude=global/pg_control', '--exclude=postgresql.auto.conf', '--log-level-console=info', 'backup'];
    const mine = await ours(args);
    const ref = await theirs(args);
    const lines = (r: { stdout: string; stderr: string }): string[] =>
      maskRun(r.stdout + r.stderr, env.cluster.pgdata).split('\n').filter((l) => /INFO: exclude|ERROR|HINT/.test(l));
    expect(mine.code).toBe(55);
    expect(lines(mine)).toEqual(lines(ref));
    expect(lines(mine)).toEqual([
      "P00   INFO: exclude '<dir>/global/pg_control' from backup using 'global/pg_control' exclusion",
      "P00   INFO: exclude '<dir>/postgresql.auto.conf' from backup using 'postgresql.auto.conf' exclusion",
      'ERROR: [055]: pg_control must be present in all online backups',
      '       HINT: is something wrong with the clock or filesystem timestamps?',
    ]);
  });

  it('--backup-standby fails with [067] and lists no backup', async () => {
    const before = await listed();
    const r = await ours([...env.args, '--type=full', '--backup-standby', 'backup']);
    expect(r.code, r.stderr).toBe(67);
    expect(r.stderr).toMatch(/ERROR: \[067\]: .* is not implemented yet in pgbackrest-ts/);
    expect(await listed()).toEqual(before);
  });

  it('--archive-copy stores the backup\'s WAL in it, and 2.45 restores it from there', async () => {
    const r = await ours([...env.args, '--type=full', '--archive-copy', '--log-level-console=detail', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    const copied = [...r.stdout.matchAll(/DETAIL: copy segment ([0-9A-F]{24}) to backup/g)].map((x) => x[1]!);
    expect(copied.length).toBeGreaterThan(0);
    const label = (await listed()).at(-1)!;
    const manifest = readFileSync(join(env.dir, 'repo', 'backup', 'demo', label, 'backup.manifest'), 'utf8');
    expect(manifest).toContain('\noption-archive-copy=true\n');
    const target = join(env.dir, `restore-${label}`);
    const restored = await theirs([...env.args, `--set=${label}`, `--pg1-path=${target}`, 'restore']);
    expect(restored.code, restored.stderr).toBe(0);
    for (const seg of copied) {
      const entry = new RegExp(`\\npg_data/pg_wal/${seg}=\\{"checksum":"([0-9a-f]{40})","repo-size":\\d+,"size":(\\d+),"timestamp":\\d+\\}\\n`).exec(manifest);
      expect(entry, seg).not.toBeNull();
      const bytes = readFileSync(join(target, 'pg_wal', seg));
      expect(bytes.length).toBe(Number(entry![2]));
      expect(createHash('sha1').update(bytes).digest('hex')).toBe(entry![1]);
    }
  });

  it('an incr asked for another compress-type or checksum-page keeps its prior\'s, with 2.45\'s warnings', async () => {
    // ask for the opposite of what the newest backup recorded
    const newest = (await listed()).at(-1)!;
    const manifest = readFileSync(join(env.dir, 'repo', 'backup', 'demo', newest, 'backup.manifest'), 'utf8');
    const pagePrior = /\noption-checksum-page=(true|false)\n/.exec(manifest)![1] === 'true';
    const warnings = async (run: typeof ours) => {
      const r = await run([...env.args, '--type=incr', '--compress-type=lz4', pagePrior ? '--no-checksum-page' : '--checksum-page', 'backup']);
      expect(r.code, r.stderr).toBe(0);
      return r.stderr.split('\n').filter((l) => /cannot alter|checksum-page option/.test(l)).map((l) => l.replace(/\d{8}-\d{6}F\S*$/, '<prior>'));
    };
    const mine = await warnings(ours);
    expect(mine).toContain("WARN: incr backup cannot alter compress-type option to 'lz4', reset to value in <prior>");
    // 2.45 on the same repo, its prior ours
    expect(await warnings(theirs)).toEqual(mine);
  });

  it('--checksum-page on a cluster without page checksums is reset to false with 2.45\'s warning, not a page error per page', async () => {
    const r = await ours([...env.args, '--type=full', '--checksum-page', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('WARN: checksum-page option set to true but checksums are not enabled on the cluster, resetting to false\n');
    expect(r.stderr).not.toContain('invalid page checksums');
    const newest = (await listed()).at(-1)!;
    expect(readFileSync(join(env.dir, 'repo', 'backup', 'demo', newest, 'backup.manifest'), 'utf8')).toContain('\noption-checksum-page=false\n');
  });

  it('repo-hardlink links an incremental\'s unchanged files to the prior\'s copies, as 2.45 does, and 2.45 verifies it', async () => {
    const full = await ours([...env.args, '--type=full', '--repo1-hardlink', 'backup']);
    expect(full.code, full.stderr).toBe(0);
    await env.cluster.psql('CREATE TABLE hardlink_probe (id int); INSERT INTO hardlink_probe VALUES (1)');
    const r = await ours([...env.args, '--type=incr', '--repo1-hardlink', '--log-level-console=detail', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    const [fullLabel, label] = (await listed()).slice(-2);
    const dir = (l: string): string => join(env.dir, 'repo', 'backup', 'demo', l);
    const text = readFileSync(join(dir(label!), 'backup.manifest'), 'utf8');
    expect(text).toContain('\noption-hardlink=true\n');
    const referenced = [...text.matchAll(/^(pg_data\/[^=]+)=\{[^\n]*"reference":"([^"]+)"/gm)];
    expect(referenced.length).toBeGreaterThan(100);
    for (const [, name, ref] of referenced) {
      expect(r.stdout).toContain(`DETAIL: hardlink ${name} to ${ref}\n`);
      // the same file, not a copy
      expect(statSync(join(dir(label!), `${name}.gz`)).ino).toBe(statSync(join(dir(ref!), `${name}.gz`)).ino);
    }
    expect(referenced.every(([, , ref]) => ref === fullLabel)).toBe(true);
    expect(r.stdout).not.toContain('DETAIL: reference ');
    const verified = await theirs([...env.args, 'verify', '--log-level-console=info', '--verbose']);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).not.toMatch(/(missing|checksum invalid|size invalid|other): [1-9]|status: invalid/);
  });
});

describe('--archive-copy on an encrypted repo, recompressed for the backup', () => {
  let enc: BackupEnv;
  beforeAll(async () => {
    enc = await backupEnv({ global: { 'repo1-cipher-type': 'aes-256-cbc', 'repo1-cipher-pass': 'ArchiveCopyPassphrase-0123456789' } });
  }, 180_000);
  afterAll(async () => {
    await enc?.cluster.cleanup();
  });

  it('decrypts with the archive\'s passphrase, recompresses gz to zst, encrypts with the backup\'s; 2.45 restores it', async () => {
    const r = await ours([...enc.args, '--type=full', '--archive-copy', '--compress-type=zst', '--log-level-console=detail', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    const seg = /DETAIL: copy segment ([0-9A-F]{24}) to backup/.exec(r.stdout)![1]!;
    const info = await ours([...enc.args, '--output=json', 'info']);
    const label = (JSON.parse(info.stdout)[0].backup as Array<{ label: string }>).at(-1)!.label;
    expect(readFileSync(join(enc.dir, 'repo', 'backup', 'demo', label, 'pg_data', 'pg_wal', `${seg}.zst`)).subarray(0, 8).toString()).toBe('Salted__');
    const target = join(enc.dir, 'restored');
    const restored = await theirs([...enc.args, `--set=${label}`, `--pg1-path=${target}`, 'restore']);
    expect(restored.code, restored.stderr).toBe(0);
    const got = await ours([...enc.args, 'archive-get', seg, join(enc.dir, 'from-archive')]);
    expect(got.code, got.stderr).toBe(0);
    expect(readFileSync(join(target, 'pg_wal', seg)).equals(readFileSync(join(enc.dir, 'from-archive')))).toBe(true);
  });
});
