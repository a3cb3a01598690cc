/**
 * Issue 4: `resume` of an interrupted full backup. A backup killed with SIGKILL after some files
 * are copied (and the partial manifest saved) is resumed by the next backup, which keeps the copies
 * whose stored bytes still match and copies the rest; the result verifies and restores.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ourCli } from '../harness/run.js';
import { chownToPostgres, isRoot, postgresUser } from '../harness/tmp.js';
import { ours } from '../harness/cli.js';
import { backup, sharedBackupEnv, pgbench, restoreAndSnapshot, snapshot, theirInfo, theirVerify } from './backup-helpers.js';

const env = sharedBackupEnv(
  { global: { 'manifest-save-threshold': '1MiB', 'process-max': '1', 'compress-type': 'gz' } },
  { setup: () => pgbench(env.cluster, ['-i', '-s', '3', '-q']) },
);

/**
 * Start a full backup and SIGKILL it once it has logged `count` copied files and, if given, once
 * `saved` holds for the partial manifest it has written so far (checked every 20 ms: the manifest is
 * saved beside the copy, not at a fixed line of the output).
 */
async function killedBackup(count: number, saved?: (partial: string) => boolean): Promise<string> {
  const cli = ourCli();
  const child = spawn(cli.cmd, [...cli.args, ...env.args, '--type=full', '--log-level-console=detail', 'backup'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(isRoot ? postgresUser() : {}),
  });
  let out = '';
  const exited = new Promise((r) => child.once('exit', r));
  const ready = (): boolean => (out.match(/ backup file /g) ?? []).length >= count && (saved === undefined || saved(partialManifest()));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => ready() && done(), 20);
    const done = (): void => {
      clearInterval(poll);
      resolve();
    };
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready()) done();
    });
    child.once('exit', done);
  });
  child.kill('SIGKILL');
  await exited;
  return out;
}

/** The newest backup directory's partial manifest, or '' while it has none. */
function partialManifest(): string {
  const stanzaDir = join(env.dir, 'repo/backup/demo');
  const label = readdirSync(stanzaDir).filter((n) => /F$/.test(n)).sort().pop();
  try {
    return label === undefined ? '' : readFileSync(join(stanzaDir, label, 'backup.manifest.copy'), 'utf8');
  } catch {
    return '';
  }
}

describe('backup resume', () => {
  it('resumes a killed full backup, keeping valid copies, and the result verifies and restores', { timeout: 300_000 }, async () => {
    const killedOut = await killedBackup(40);
    expect((killedOut.match(/ backup file /g) ?? []).length).toBeGreaterThanOrEqual(40);
    const labels = readdirSync(join(env.dir, 'repo/backup/demo')).filter((n) => /F$/.test(n));
    expect(labels.length).toBe(1);
    const killedLabel = labels[0];

    const snap = await snapshot(env.cluster);
    // a special file: the manifest build warns about it, and 2.45 says so before the resume warning
    const fifo = join(env.cluster.pgdata, 'fifo-resume');
    execFileSync('mkfifo', [fifo]);
    const { label, run } = await backup(env, 'full', ['--log-level-console=detail']).finally(() => rmSync(fifo, { force: true }));
    expect(run.stderr).toContain(
      `WARN: exclude special file '${fifo}' from backup\n` +
        `WARN: resumable backup ${killedLabel} of same type exists -- invalid files will be removed then the backup will resume\n`,
    );
    // files stored after the last save of the partial manifest go, and those changed since, with 2.45's reasons
    const setDir = join(env.dir, 'repo/backup/demo', killedLabel!);
    const removed = [...run.stdout.matchAll(/DETAIL: remove file '([^']+)' from resumed backup \(([^)]+)\)/g)];
    for (const [, path, reason] of removed) {
      expect(path!.startsWith(`${setDir}/pg_data/`), path).toBe(true);
      expect(['no checksum in resumed manifest', 'mismatched timestamp', 'mismatched size']).toContain(reason);
    }
    // each kept copy is checked in the copy's order, with its percent
    expect(run.stdout).toMatch(/P01 DETAIL: checksum resumed file \S+ \(\d[^,]*, \d+\.\d\d%\) checksum [0-9a-f]{40}\n/);
    expect(label).toBe(killedLabel);
    const resumed = (run.stdout.match(/ checksum resumed file /g) ?? []).length;
    const copied = (run.stdout.match(/ backup file /g) ?? []).length;
    expect(resumed).toBeGreaterThan(0);
    expect(copied).toBeGreaterThan(0);

    const info = await theirInfo(env);
    expect(info[0].backup.map((b) => b.label)).toEqual([killedLabel]);
    const verify = await theirVerify(env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('status: ok');
    expect(await restoreAndSnapshot(env, label)).toEqual(snap);
  });

  it('with --delta keeps a copy whose source only got a new mtime, and copies again one changed within the same second', { timeout: 180_000 }, async () => {
    // two files of their own, large enough to be among the first copied, that PostgreSQL ignores
    const files = ['resume-a.dat', 'resume-b.dat'].map((n) => join(env.cluster.pgdata, n));
    for (const f of files) {
      writeFileSync(f, randomBytes(4 << 20));
      chownToPostgres(f);
    }
    try {
      const recorded = (partial: string, f: string): boolean => new RegExp(`^pg_data/${f.replace('.', '\\.')}=\\{"checksum":"[0-9a-f]{40}"`, 'm').test(partial);
      const names = ['resume-a.dat', 'resume-b.dat'];
      await killedBackup(10, (partial) => names.every((f) => recorded(partial, f)));
      const killedLabel = readdirSync(join(env.dir, 'repo/backup/demo')).filter((n) => /F$/.test(n)).sort().pop()!;
      const partial = readFileSync(join(env.dir, 'repo/backup/demo', killedLabel, 'backup.manifest.copy'), 'utf8');
      for (const f of names) expect(recorded(partial, f), f).toBe(true);
      const [a, b] = files as [string, string];
      // a: same bytes, a later mtime; b: one byte changed, same size and mtime
      const later = statSync(a).mtimeMs / 1000 + 60;
      utimesSync(a, later, later);
      const st = statSync(b);
      const bytes = readFileSync(b);
      bytes[1000]! ^= 0xff;
      writeFileSync(b, bytes);
      utimesSync(b, st.atimeMs / 1000, st.mtimeMs / 1000);

      const { label, run } = await backup(env, 'full', ['--delta', '--log-level-console=detail']);
      expect(label).toBe(killedLabel);
      expect(run.stdout).toMatch(new RegExp(`DETAIL: checksum resumed file ${a} \\(4MB, `));
      expect(run.stdout).not.toContain(`resume-a.dat.gz' from resumed backup`);
      expect(run.stdout).toMatch(new RegExp(`DETAIL: backup file ${b} \\(4MB, `));
      // the set holds b as it is now
      const stored = gunzipSync(readFileSync(join(env.dir, 'repo/backup/demo', label, 'pg_data/resume-b.dat.gz')));
      expect(stored.equals(bytes)).toBe(true);
      expect((await theirVerify(env)).code).toBe(0);
    } finally {
      for (const f of files) rmSync(f, { force: true });
    }
  });

  it('does not resume with a different type, and removes the leftover', { timeout: 120_000 }, async () => {
    await killedBackup(10);
    const leftover = readdirSync(join(env.dir, 'repo/backup/demo')).filter((n) => /F$/.test(n)).sort().pop() as string;
    const r = await ours([...env.args, '--type=diff', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`WARN: backup '${leftover}' cannot be resumed: new backup type 'diff' does not match resumable backup type 'full'`);
    expect(readdirSync(join(env.dir, 'repo/backup/demo'))).not.toContain(leftover);
  });

  it('a backup finished but not yet in backup.info is added back by the next backup, which builds on it', { timeout: 180_000 }, async () => {
    const stanzaDir = join(env.dir, 'repo/backup/demo');
    await backup(env, 'full');
    const saved = ['backup.info', 'backup.info.copy'].map((f) => [f, readFileSync(join(stanzaDir, f))] as const);
    const { label: full } = await backup(env, 'full');
    // as if the last backup had been killed between its manifest and backup.info
    for (const [f, bytes] of saved) writeFileSync(join(stanzaDir, f), bytes);
    expect((await theirInfo(env))[0].backup.map((b) => b.label)).not.toContain(full);
    const { label: incr, run } = await backup(env, 'incr');
    expect(run.stderr).toContain(`WARN: backup '${full}' found in repository added to backup.info`);
    const listed = (await theirInfo(env))[0].backup;
    expect(listed.find((b) => b.label === incr)?.prior).toBe(full);
    expect(listed.map((b) => b.label)).toContain(full);
    expect((await theirVerify(env)).code).toBe(0);
  });

  it('a finished backup that cannot be added back is left alone, not taken for a leftover', { timeout: 180_000 }, async () => {
    const stanzaDir = join(env.dir, 'repo/backup/demo');
    const saved = ['backup.info', 'backup.info.copy'].map((f) => [f, readFileSync(join(stanzaDir, f))] as const);
    const { label: full } = await backup(env, 'full');
    const { label: incr } = await backup(env, 'incr');
    // neither is listed any more, and the incr's prior is gone: the incr is finished but invalid
    for (const [f, bytes] of saved) writeFileSync(join(stanzaDir, f), bytes);
    rmSync(join(stanzaDir, full), { recursive: true });
    // (expire, which would remove it as a directory backup.info does not list, is not run here)
    const { run } = await backup(env, 'full', ['--no-expire-auto']);
    expect(run.stderr).toContain(`WARN: invalid backup '${incr}' cannot be added to current backups`);
    expect(run.stderr).not.toContain('cannot be resumed');
    expect(readdirSync(join(stanzaDir, incr))).toContain('backup.manifest');
  });
});
