/**
 * Repositories written by Debian's pgBackRest 2.45 itself, for comparing our read-side commands
 * (verify, repo-ls, repo-get, info --set) with theirs: a PG 15 cluster with a tablespace and a user
 * database archives through pgBackRest's archive-push into repo1 (plain, gz), repo2 (encrypted)
 * and repo3 (bundled, uncompressed); each repo gets a full and an incremental backup.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startCluster, type Cluster } from '../harness/pg.js';
import { theirs, writeConf } from '../harness/cli.js';
import { runCmd, type RunResult } from '../harness/run.js';
import { chownToPostgres, makeTempDir } from '../harness/tmp.js';

export const PASS = 'VerifyTestPassphrase-0123456789';

export interface RepoFixture {
  dir: string;
  conf: string;
  cluster: Cluster;
  /** Backup labels per repo index, oldest first. */
  labels: Record<number, string[]>;
  /** Copy of a repo into a fresh dir (for planting corruption); returns its path. */
  copyRepo(idx: number, name: string): string;
}

export async function buildRepoFixture(): Promise<RepoFixture> {
  const dir = makeTempDir('pgbr-verify-');
  const conf = join(dir, 'pgbackrest.conf');
  const ts = join(dir, 'ts1');
  mkdirSync(ts);
  chownToPostgres(ts);
  const archiveCommand = `'/usr/bin/pgbackrest --config=${conf} --stanza=demo archive-push %p'`;
  const cluster = await startCluster({ conf: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica' } });
  writeConf(dir, {
    global: {
      'repo1-path': join(dir, 'repo1'),
      'repo2-path': join(dir, 'repo2'),
      'repo2-cipher-type': 'aes-256-cbc',
      'repo2-cipher-pass': PASS,
      'repo3-path': join(dir, 'repo3'),
      'repo3-bundle': 'y',
      'lock-path': join(dir, 'lock'),
      'log-path': join(dir, 'log'),
      'log-level-file': 'off',
      'log-level-console': 'error',
      'start-fast': 'y',
      'compress-type': 'gz',
    },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  });
  const args = [`--config=${conf}`, '--stanza=demo'];
  const ok = (r: RunResult) => expect(r.code, r.stderr + r.stdout).toBe(0);
  await cluster.psql(`CREATE TABLESPACE ts1 LOCATION '${ts}'`);
  await cluster.psql('CREATE DATABASE app TABLESPACE ts1');
  await cluster.psql('CREATE TABLE t AS SELECT g FROM generate_series(1, 5000) g');
  ok(await theirs([...args, 'stanza-create']));
  const repo3 = ['--compress-type=none'];
  for (const idx of [1, 2, 3]) ok(await theirs([...args, `--repo=${idx}`, '--type=full', ...(idx === 3 ? repo3 : []), 'backup']));
  await cluster.psql('INSERT INTO t SELECT g FROM generate_series(1, 1000) g');
  for (const idx of [1, 2, 3]) ok(await theirs([...args, `--repo=${idx}`, '--type=incr', ...(idx === 3 ? repo3 : []), 'backup']));
  const labels: Record<number, string[]> = {};
  for (const idx of [1, 2, 3]) {
    const ls = await theirs([...args, `--repo=${idx}`, 'repo-ls', 'backup/demo', '--filter=^[0-9]']);
    labels[idx] = ls.stdout.trim().split('\n');
  }
  return {
    dir, conf, cluster, labels,
    copyRepo(idx, name) {
      const dest = join(dir, name);
      cpSync(join(dir, `repo${idx}`), dest, { recursive: true, verbatimSymlinks: true });
      return dest;
    },
  };
}

/** chown -R to postgres after planting files as root. */
export async function givePostgres(path: string): Promise<void> {
  if (process.getuid?.() === 0) await runCmd('chown', ['-R', 'postgres:postgres', path]);
}
