/**
 * Shared by the backup integration tests: a cluster whose archive_command is our archive-push,
 * pgbench load, data snapshots, and restore-then-compare with a freshly started restored cluster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PSQL, pgBinaries, startCluster, freePort, type Cluster } from '../harness/pg.js';
import { ourArchiveCommand, ours, theirs, writeConf, type ConfSections } from '../harness/cli.js';
import { runCmd, type RunResult } from '../harness/run.js';
import { afterAll, beforeAll } from 'vitest';
import { makeTempDir, removeAllTempDirs, removeTempDir } from '../harness/tmp.js';

export const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';

export interface BackupEnv {
  cluster: Cluster;
  dir: string;
  conf: string;
  args: string[];
}

/** A cluster archiving through our archive-push into the repo(s) of `repo`, stanza `demo` created. */
export type BackupEnvOptions = Parameters<typeof backupEnv>[0];

export async function backupEnv(opts: {
  version?: number;
  /** Repo options; default a posix repo1 in the env's dir. */
  repo?: (dir: string) => Record<string, string>;
  global?: Record<string, string>;
}): Promise<BackupEnv> {
  const dir = makeTempDir('pgbr-backup-');
  const conf = join(dir, 'pgbackrest.conf');
  const archiveCommand = `'${ourArchiveCommand(conf, 'demo')}'`;
  const cluster = await startCluster({
    version: opts.version,
    conf: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica' },
  });
  const sections: ConfSections = {
    global: {
      ...(opts.repo ?? ((d: string) => ({ 'repo1-path': join(d, 'repo') })))(dir),
      'lock-path': join(dir, 'lock'),
      'log-path': dir,
      'log-level-file': 'detail',
      'repo1-retention-full': '9',
      'start-fast': 'y',
      'archive-timeout': '60',
      ...opts.global,
    },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  };
  writeConf(dir, sections);
  const env = { cluster, dir, conf, args: [`--config=${conf}`, '--stanza=demo'] };
  const created = await ours([...env.args, 'stanza-create']);
  if (created.code !== 0) throw new Error(`stanza-create failed: ${created.stderr}`);
  return env;
}

/**
 * The backupEnv shared by the tests of a file (or of the describe block that calls this): made
 * before them (then `setup`, which may use the returned object), its cluster stopped and the temp
 * dirs removed after them. The object is filled in when the tests start; `timeoutMs` is the setup
 * hook's (vitest's hookTimeout when left out).
 */
export function sharedBackupEnv(opts: BackupEnvOptions, more: { setup?: () => Promise<void>; timeoutMs?: number } = {}): BackupEnv {
  const env = {} as BackupEnv;
  beforeAll(async () => {
    Object.assign(env, await backupEnv(opts));
    await more.setup?.();
  }, more.timeoutMs);
  afterAll(async () => {
    await env.cluster?.cleanup();
    removeAllTempDirs();
  });
  return env;
}

export async function pgbench(c: Cluster, args: string[]): Promise<void> {
  const r = await runCmd(PGBENCH, ['-h', c.socketDir, '-p', String(c.port), '-U', c.user, ...args, 'postgres'], {
    asPostgres: true,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`pgbench ${args.join(' ')} failed: ${r.stderr}`);
}

export interface Snapshot {
  accounts: string;
  history: string;
}

const SNAPSHOT_SQL = [
  "SELECT md5(string_agg(a::text, ',' ORDER BY aid)) FROM pgbench_accounts a",
  'SELECT count(*) || \'/\' || coalesce(sum(delta), 0) FROM pgbench_history',
];

async function snapshotVia(psql: (sql: string) => Promise<string>): Promise<Snapshot> {
  const [accounts, history] = await Promise.all(SNAPSHOT_SQL.map((q) => psql(q)));
  return { accounts: accounts.trim(), history: history.trim() };
}

export const snapshot = (c: Cluster): Promise<Snapshot> => snapshotVia((sql) => c.psql(sql));

/** Runs a backup; throws with its output when it fails. Returns the new label (from `info`). */
export async function backup(env: BackupEnv, type: string, extra: string[] = []): Promise<{ label: string; run: RunResult }> {
  const run = await ours([...env.args, `--type=${type}`, ...extra, 'backup'], { timeoutMs: 180_000 });
  if (run.code !== 0) throw new Error(`backup --type=${type} failed (${run.code}): ${run.stdout}${run.stderr}`);
  const infos = await theirInfo(env);
  const labels = infos[0].backup.map((b) => b.label);
  return { label: labels[labels.length - 1], run };
}

export interface InfoBackup {
  label: string;
  type: string;
  prior: string | null;
  reference: string[] | null;
  info: { size: number; delta: number; repository: { size: number; delta: number } };
}

export async function theirInfo(env: BackupEnv): Promise<Array<{ backup: InfoBackup[]; status: { code: number } }>> {
  const r = await theirs([...env.args, 'info', '--output=json']);
  if (r.code !== 0) throw new Error(`info failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<{ backup: InfoBackup[]; status: { code: number } }>;
}

/**
 * Restores `label` (pgBackRest 2.45 for the majors it supports, ours otherwise, or as `opts.tool` says) with
 * `--type=immediate --target-action=promote`, starts the result on a new port, waits for promotion,
 * takes a snapshot, and removes everything again.
 */
export async function restoreAndSnapshot(
  env: BackupEnv,
  label: string,
  opts: {
    tool?: 'ours' | 'theirs';
    /** Tablespaces into the restore's own temp dir. */
    mapTablespaces?: boolean;
    /** `none` for an offline backup: it needs no recovery, and PostgreSQL ends an immediate target there unreached. */
    recovery?: 'immediate' | 'none';
  } = {},
): Promise<Snapshot> {
  const base = makeTempDir('pgbr-restored-');
  const pgdata = join(base, 'data');
  const tool = (opts.tool ?? (env.cluster.version <= 15 ? 'theirs' : 'ours')) === 'theirs' ? theirs : ours;
  const tsMap = opts.mapTablespaces === true ? [`--tablespace-map-all=${join(base, 'ts')}`] : [];
  const bins = pgBinaries(env.cluster.version);
  const port = await freePort();
  const pgCtl = (args: string[]): Promise<RunResult> =>
    runCmd(join(bins.binDir, 'pg_ctl'), ['-D', pgdata, ...args], { asPostgres: true, addEnv: bins.env, timeoutMs: 90_000 });
  try {
    const recovery = opts.recovery === 'none' ? ['--type=none'] : ['--type=immediate', '--target-action=promote'];
    const r = await tool([...env.args, 'restore', `--set=${label}`, `--pg1-path=${pgdata}`, ...tsMap, ...recovery], {
      timeoutMs: 180_000,
    });
    if (r.code !== 0) throw new Error(`restore of ${label} failed (${r.code}): ${r.stdout}${r.stderr}`);
    const serverOpts = `-p ${port} -k ${env.cluster.socketDir} -c archive_mode=off -c listen_addresses=''`;
    const started = await pgCtl(['-l', join(base, 'server.log'), '-o', serverOpts, '-w', '-t', '90', 'start']);
    if (started.code !== 0) {
      const log = existsSync(join(base, 'server.log')) ? readFileSync(join(base, 'server.log'), 'utf8').slice(-3000) : '';
      throw new Error(`restored cluster did not start: ${started.stderr}${started.stdout}\n${log}`);
    }
    try {
      const psql = async (sql: string): Promise<string> => {
        const q = await runCmd(PSQL, ['-AtX', '-h', env.cluster.socketDir, '-p', String(port), '-U', env.cluster.user, '-d', 'postgres', '-c', sql], {
          asPostgres: true,
        });
        if (q.code !== 0) throw new Error(`psql on restored cluster: ${q.stderr}`);
        return q.stdout;
      };
      for (let i = 0; (await psql('SELECT pg_is_in_recovery()')).trim() !== 'f'; i++) {
        if (i > 300) throw new Error('restored cluster was not promoted');
        await new Promise((res) => setTimeout(res, 100));
      }
      return await snapshotVia(psql);
    } finally {
      await pgCtl(['-m', 'immediate', '-w', 'stop']);
    }
  } finally {
    removeTempDir(base);
  }
}

/** `theirs verify` with --log-level-console=info --verbose: prints its per-backup block even when all is well. */
export async function theirVerify(env: BackupEnv): Promise<RunResult> {
  return theirs([...env.args, 'verify', '--log-level-console=info', '--verbose'], { timeoutMs: 180_000 });
}
