/**
 * Issue 4, the backup command's behaviour around the copy: console lines against pgBackRest 2.45,
 * process-max workers and one read per file, the backup lock, archive_mode=off, and a backup
 * killed with SIGKILL in the middle of the copy.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ours, theirs } from '../harness/cli.js';
import { ourCli } from '../harness/run.js';
import { postgresUser } from '../harness/tmp.js';
import { backup, sharedBackupEnv, pgbench, theirInfo } from './backup-helpers.js';

const env = sharedBackupEnv(
  { global: { 'compress-type': 'zst' } },
  { setup: () => pgbench(env.cluster, ['-i', '-s', '1', '-q']), timeoutMs: 120_000 },
);

/** INFO lines up to `backup command end`, with times, labels, WAL names, LSNs and sizes masked. */
function infoLines(out: string): { lines: string[]; total: number } {
  const lines: string[] = [];
  let total = -1;
  for (const raw of out.split('\n')) {
    const m = /^\S+ \S+ P00 {3}INFO: (.*)$/.exec(raw);
    if (!m) continue;
    const t = /file total = (\d+)/.exec(m[1]);
    if (t) total = Number(t[1]);
    lines.push(
      m[1]
        .replace(/exec-id=\S+/, 'exec-id=X')
        .replace(/\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?/g, 'LABEL')
        .replace(/[0-9A-F]{24}/g, 'SEG')
        .replace(/lsn = [0-9A-F]+\/[0-9A-F]+/g, 'lsn = LSN')
        .replace(/size = [\d.]+[KMG]?B/, 'size = SIZE')
        .replace(/file total = \d+/, 'file total = N')
        .replace(/\(\d+ms\)/, '(MS)'),
    );
    if (m[1].startsWith('backup command end')) break;
  }
  return { lines, total };
}

/** This run's part of the backup log file. */
function lastLogRun(): string {
  const text = readFileSync(join(env.dir, 'demo-backup.log'), 'utf8');
  return text.slice(text.lastIndexOf('PROCESS START'));
}

describe('backup command', () => {
  it('prints the same INFO lines as pgBackRest for a full and an incr, with the same file totals', async () => {
    const console = ['--log-level-console=info'];
    // the same writes before each backup, so that both tools see the same WAL state
    const run = async (tool: typeof ours, type: string) => {
      await pgbench(env.cluster, ['-t', '100', '-c', '2', '-n']);
      return tool([...env.args, `--type=${type}`, ...console, 'backup']);
    };
    const oursFull = await run(ours, 'full');
    const theirsFull = await run(theirs, 'full');
    const oursIncr = await run(ours, 'incr');
    const theirsIncr = await run(theirs, 'incr');
    for (const r of [oursFull, theirsFull, oursIncr, theirsIncr]) expect(r.code, r.stderr).toBe(0);
    for (const [a, b] of [[oursFull, theirsFull], [oursIncr, theirsIncr]]) {
      const o = infoLines(a.stdout);
      const t = infoLines(b.stdout);
      expect(o.lines).toEqual(t.lines);
      expect(Math.abs(o.total - t.total)).toBeLessThanOrEqual(1);
    }
  }, 240_000);

  it('with process-max=4 uses four workers and reads every file once', async () => {
    const { run } = await backup(env, 'full', ['--process-max=4', '--log-level-console=info']);
    const total = Number(/file total = (\d+)/.exec(run.stdout)?.[1]);
    const log = lastLogRun();
    const copied = [...log.matchAll(/^\S+ \S+ (P\d\d) DETAIL: backup file (\S+) /gm)];
    expect(new Set(copied.map((m) => m[1]))).toEqual(new Set(['P01', 'P02', 'P03', 'P04']));
    const paths = copied.map((m) => m[2]);
    expect(new Set(paths).size).toBe(paths.length);
    // every manifest file but backup_label (written from pg_backup_stop's result) is copied once
    expect(paths.length).toBe(total - 1);
  }, 120_000);

  it('fails with [050] while another process holds the backup lock, like pgBackRest', async () => {
    const lockFile = join(env.dir, 'lock', 'demo-backup.lock');
    // One process that holds the flock itself (flock(1) with a command would leave its child
    // holding it) and says so. Nothing here touches the file as root: a root-owned lock file would
    // fail every later backup with Permission denied instead.
    const holder = spawn('sh', ['-c', `exec 3>>'${lockFile}' && flock 3 && echo locked && exec sleep 30`], {
      ...postgresUser(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const gone = new Promise((r) => holder.on('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        holder.on('exit', (code) => reject(new Error(`lock holder exited (${code}) before it held the lock`)));
      });
      const o = await ours([...env.args, '--type=full', 'backup']);
      const t = await theirs([...env.args, '--type=full', 'backup']);
      expect(o.code).toBe(50);
      expect(t.code).toBe(50);
      expect(o.stderr).toBe(t.stderr);
      expect(o.stderr).toContain(`unable to acquire lock on file '${lockFile}': Resource temporarily unavailable`);
    } finally {
      holder.kill('SIGKILL');
      await gone;
    }
  }, 60_000);

  // needs root to make a lock file the tools (run as postgres) cannot open
  it.skipIf(process.getuid?.() !== 0)('fails with [050] and pgBackRest\'s hint when the lock file belongs to another user', async () => {
    const lockFile = join(env.dir, 'lock', 'demo-backup.lock');
    // root's, so postgres cannot open it for writing (the last test's holder may have left its own)
    rmSync(lockFile, { force: true });
    writeFileSync(lockFile, '', { mode: 0o644 });
    expect(statSync(lockFile).uid).toBe(0);
    try {
      const o = await ours([...env.args, '--type=full', 'backup']);
      const t = await theirs([...env.args, '--type=full', 'backup']);
      expect(o.code).toBe(50);
      expect(t.code).toBe(50);
      expect(o.stderr).toBe(t.stderr);
      expect(o.stderr).toContain(`unable to acquire lock on file '${lockFile}': Permission denied`);
      expect(o.stderr).toContain(`HINT: does 'postgres:postgres' running pgBackRest have permissions on the '${lockFile}' file?`);
    } finally {
      rmSync(lockFile, { force: true });
    }
  }, 60_000);

  it('survives a SIGKILL mid-copy: the killed set is never listed and the next backup and expire work', async () => {
    const before = (await theirInfo(env))[0].backup.map((b) => b.label);
    const cli = ourCli();
    const child = spawn(cli.cmd, [...cli.args, ...env.args, '--type=full', 'backup'], {
      ...postgresUser(),
      env: { ...process.env, HOME: '/var/lib/postgresql' },
      stdio: 'ignore',
    });
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 600; i++) {
      const copied = existsSync(join(env.dir, 'demo-backup.log')) ? lastLogRun().match(/backup file/g)?.length ?? 0 : 0;
      if (copied >= 5) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await exited;
    const setDir = join(env.dir, 'repo', 'backup', 'demo');
    const leftover = readdirSync(setDir).filter((n) => /^\d{8}-\d{6}F$/.test(n) && !before.includes(n));
    expect(leftover).toHaveLength(1);
    expect(existsSync(join(setDir, leftover[0], 'backup.manifest'))).toBe(false);

    const listed = async () => ({
      theirs: (await theirInfo(env))[0].backup.map((b) => b.label),
      ours: JSON.parse((await ours([...env.args, 'info', '--output=json'])).stdout)[0].backup.map((b: { label: string }) => b.label),
    });
    expect(await listed()).toEqual({ theirs: before, ours: before });

    // restart rather than resume (resume has its own test): a new label, the leftover stays unlisted
    const { label } = await backup(env, 'full', ['--no-resume']);
    expect(label).not.toBe(leftover[0]);
    const after = await listed();
    expect(after.theirs).toEqual([...before, label]);
    expect(after.ours).toEqual(after.theirs);

    const expired = await theirs([...env.args, 'expire']);
    expect(expired.code, expired.stderr).toBe(0);
    expect(existsSync(join(setDir, leftover[0]))).toBe(false);
  }, 180_000);

  it('fails with [082] when archiving does not work, before anything of the backup is stored', async () => {
    const setDir = join(env.dir, 'repo', 'backup', 'demo');
    const before = readdirSync(setDir).sort();
    const command = (await env.cluster.psql('SHOW archive_command')).trim();
    // contains "pgbackrest", which both tools require, and always fails
    await env.cluster.psql("ALTER SYSTEM SET archive_command = '/bin/false pgbackrest'");
    await env.cluster.psql('SELECT pg_reload_conf()');
    // a special file the manifest build warns about: 2.45 checks the archive first and never says so
    const fifo = join(env.cluster.pgdata, 'fifo-082');
    execFileSync('mkfifo', [fifo]);
    try {
      const args = [...env.args, '--type=full', '--archive-timeout=3', 'backup'];
      const o = await ours(args);
      const t = await theirs(args);
      expect(o.code, o.stderr).toBe(82);
      expect(t.code, t.stderr).toBe(82);
      // each run waits for its own segment
      const masked = (text: string) => text.replace(/[0-9A-F]{24}/g, 'SEG');
      expect(masked(o.stderr)).toBe(masked(t.stderr));
      expect(o.stderr).toMatch(/^ERROR: \[082\]: WAL segment [0-9A-F]{24} was not archived before the 3000ms timeout\n/);
      // the manifest was built during the wait, but nothing reached the repo
      expect(readdirSync(setDir).sort()).toEqual(before);
    } finally {
      rmSync(fifo, { force: true });
      await env.cluster.psql(`ALTER SYSTEM SET archive_command = '${command.replace(/'/g, "''")}'`);
      await env.cluster.psql('SELECT pg_reload_conf()');
    }
  }, 120_000);

  it('refuses archive_mode=off with pgBackRest\'s [087] and lists nothing new', async () => {
    const before = (await theirInfo(env))[0].backup.length;
    await env.cluster.psql('ALTER SYSTEM SET archive_mode = off');
    await env.cluster.stop();
    await env.cluster.start();
    const args = [...env.args, '--type=full', '--archive-timeout=5', 'backup'];
    const o = await ours(args);
    const t = await theirs(args);
    expect(o.code).toBe(87);
    expect(t.code).toBe(87);
    expect(o.stderr).toBe(t.stderr);
    expect(o.stderr).toContain('archive_mode must be enabled');
    expect((await theirInfo(env))[0].backup.length).toBe(before);
  }, 120_000);
});
