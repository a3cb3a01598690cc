/**
 * Issue 5: our restore from an S3 repo (encrypted) of our diff/incr chain, and a standby restore
 * that follows a live primary by streaming replication and archive-get.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PSQL, freePort } from '../harness/pg.js';
import { ours, s3RepoConf } from '../harness/cli.js';
import { runCmd } from '../harness/run.js';
import { s3Target } from '../harness/s3.js';
import { makeTempDir } from '../harness/tmp.js';
import { backup, sharedBackupEnv, pgbench, restoreAndSnapshot, snapshot } from './backup-helpers.js';

const PASS = 'RestoreS3Passphrase-0123456789';
const env = sharedBackupEnv(
  {
    repo: (dir) => ({ ...s3RepoConf(s3Target(), dir), 'repo1-cipher-type': 'aes-256-cbc', 'repo1-cipher-pass': PASS }),
    global: { 'compress-type': 'gz', 'process-max': '2' },
  },
  { setup: () => pgbench(env.cluster, ['-i', '-s', '1', '-q']), timeoutMs: 120_000 },
);

describe('restore from S3', () => {
  it('restores our encrypted incr from S3 to the data as it was at its end', async () => {
    await backup(env, 'full');
    await pgbench(env.cluster, ['-t', '100', '-c', '2', '-n']);
    const { label } = await backup(env, 'incr');
    const snap = await snapshot(env.cluster);
    expect(await restoreAndSnapshot(env, label, { tool: 'ours' })).toEqual(snap);
  }, 300_000);
});

describe('standby restore', () => {
  it('restores a standby that replays from the archive and then streams from the live primary', async () => {
    const base = makeTempDir('pgbr-standby-');
    const pgdata = join(base, 'data');
    const c = env.cluster;
    const conninfo = `host=${c.socketDir} port=${c.port} user=${c.user}`;
    const r = await ours([...env.args, 'restore', '--type=standby', `--pg1-path=${pgdata}`, `--recovery-option=primary_conninfo=${conninfo}`], {
      timeoutMs: 180_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const port = await freePort();
    const pgCtl = (args: string[]) =>
      runCmd(join(c.binDir, 'pg_ctl'), ['-D', pgdata, ...args], { asPostgres: true, timeoutMs: 90_000 });
    const opts = `-p ${port} -k ${c.socketDir} -c archive_mode=off -c listen_addresses='' -c hot_standby=on`;
    const started = await pgCtl(['-l', join(base, 'server.log'), '-o', opts, '-w', '-t', '90', 'start']);
    expect(started.code, started.stderr).toBe(0);
    const standby = async (sql: string) =>
      (await runCmd(PSQL, ['-AtX', '-h', c.socketDir, '-p', String(port), '-U', c.user, '-d', 'postgres', '-c', sql], { asPostgres: true })).stdout.trim();
    try {
      expect(await standby('SELECT pg_is_in_recovery()')).toBe('t');
      await c.psql("CREATE TABLE IF NOT EXISTS follow (v text); INSERT INTO follow VALUES ('after-restore')");
      let seen = '';
      for (let i = 0; i < 300 && seen !== 'after-restore'; i++) {
        seen = await standby("SELECT coalesce((SELECT v FROM follow LIMIT 1), '')").catch(() => '');
        if (seen !== 'after-restore') await new Promise((res) => setTimeout(res, 100));
      }
      expect(seen).toBe('after-restore');
      expect(await standby('SELECT status FROM pg_stat_wal_receiver')).toBe('streaming');
    } finally {
      await pgCtl(['-m', 'immediate', '-w', 'stop']);
    }
  }, 300_000);
});
