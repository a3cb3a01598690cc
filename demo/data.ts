/**
 * The demo's data: pgbench tables (or an SQL stand-in when pgbench is not installed), marked rows
 * on both sides of the recovery target, and the check of the restored cluster.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { pgBinaries, type Cluster } from '../test/harness/pg.js';
import { makeTempDir, removeTempDir } from '../test/harness/tmp.js';
import { onCleanup } from './setup.js';
import type { Shell } from './shell.js';

const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';
const SCALE = 1;

interface Conn {
  host: string;
  port: number;
  user: string;
}

export async function queryAt<T>(c: Conn, sql: string): Promise<T[]> {
  const client = new pg.Client({ host: c.host, port: c.port, user: c.user, database: 'postgres' });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

async function sql(shell: Shell, c: Cluster, text: string): Promise<void> {
  shell.say(`SQL> ${text}`);
  await c.query(text);
}

/** `pgbench -i` at a small scale; returns the number of pgbench_accounts rows. */
export async function loadData(shell: Shell, c: Cluster): Promise<number> {
  const bin = [join(c.binDir, 'pgbench'), PGBENCH].find((p) => existsSync(p));
  if (bin !== undefined) {
    await shell.must(`pgbench -i -s ${SCALE} postgres`, bin, ['-i', '-s', String(SCALE), 'postgres'], {
      PGHOST: c.socketDir, PGPORT: String(c.port), PGUSER: c.user,
    });
  } else {
    shell.say('(pgbench is not installed: the same table is made with SQL)');
    await sql(shell, c, `CREATE TABLE pgbench_accounts AS SELECT g AS aid, 0 AS abalance, repeat(' ', 84) AS filler FROM generate_series(1, ${SCALE * 100000}) g`);
  }
  await sql(shell, c, 'CREATE TABLE demo_marks (note text PRIMARY KEY, written timestamptz NOT NULL DEFAULT clock_timestamp())');
  return SCALE * 100000;
}

export async function markRow(shell: Shell, c: Cluster, note: string): Promise<void> {
  await sql(shell, c, `INSERT INTO demo_marks (note) VALUES ('${note}')`);
}

/**
 * Switch WAL and wait until the segment with the last write is in the repository. That segment
 * is named once, from the switch: the current position moves on into the next segment as soon as
 * anything is logged (the background writer's running-transactions record every 15 s), and a
 * name taken from it later would wait for a segment that is not complete yet.
 */
export async function archived(shell: Shell, c: Cluster): Promise<void> {
  shell.say('SQL> SELECT pg_walfile_name(pg_switch_wal())');
  const [{ name }] = await c.query<{ name: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS name');
  shell.say(`(waiting for PostgreSQL to archive ${name} through archive-push)`);
  const done = `SELECT last_archived_wal >= '${name}' AS ok FROM pg_stat_archiver`;
  for (let i = 0; i < 600; i++) {
    if ((await c.query<{ ok: boolean }>(done))[0]?.ok === true) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('WAL was not archived within 60 s');
}

/** Starts the restored data directory on a new port and private socket dir; waits for promotion. */
export async function startRestored(shell: Shell, c: Cluster, pgdata: string, port: number): Promise<Conn> {
  const sock = makeTempDir('pgbr-demo-sock-');
  onCleanup(() => removeTempDir(sock));
  const pgCtl = join(c.binDir, 'pg_ctl');
  const env = pgBinaries(c.version).env;
  const opts = `-p ${port} -k ${sock} -c listen_addresses=''`;
  // Registered before the start so that a server which starts but then fails a check is stopped.
  onCleanup(async () => {
    if (existsSync(join(pgdata, 'postmaster.pid'))) {
      await shell.run(`pg_ctl -D ${pgdata} -m fast stop`, pgCtl, ['-D', pgdata, '-m', 'fast', '-w', 'stop'], env);
    }
  });
  await shell.must(`pg_ctl -D ${pgdata} -o "${opts}" -l ${sock}/server.log -w start`, pgCtl, ['-D', pgdata, '-o', opts, '-l', join(sock, 'server.log'), '-w', '-t', '60', 'start'], env);
  const conn: Conn = { host: sock, port, user: c.user };
  for (let i = 0; ; i++) {
    const rows = await queryAt<{ r: boolean }>(conn, 'SELECT pg_is_in_recovery() AS r').catch(() => [{ r: true }]);
    if (rows[0]?.r === false) break;
    if (i > 600) throw new Error('the restored cluster did not finish recovery within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  shell.say('recovery reached the target time and the cluster was promoted');
  return conn;
}

/** Rows before the target present, rows after it absent, pgbench_accounts complete. */
export async function restoredCheck(
  shell: Shell,
  r: Conn,
  want: { accounts: number; present: string[]; absent: string[] },
): Promise<void> {
  const marks = (await queryAt<{ note: string }>(r, 'SELECT note FROM demo_marks ORDER BY written')).map((x) => x.note);
  const count = Number((await queryAt<{ n: string }>(r, 'SELECT count(*) AS n FROM pgbench_accounts'))[0]!.n);
  shell.say(`SQL> SELECT note FROM demo_marks ORDER BY written   -- on the restored cluster: ${marks.join(', ') || '(none)'}`);
  shell.say(`SQL> SELECT count(*) FROM pgbench_accounts          -- on the restored cluster: ${count}`);
  const missing = want.present.filter((n) => !marks.includes(n));
  const extra = want.absent.filter((n) => marks.includes(n));
  if (missing.length > 0 || extra.length > 0 || count !== want.accounts) {
    throw new Error(
      `data check failed: missing [${missing.join(', ')}], should be absent [${extra.join(', ')}], ` +
        `pgbench_accounts ${count} rows (expected ${want.accounts})`,
    );
  }
  shell.say(
    `data check: passed (${want.present.join(', ')} present; ${want.absent.join(', ')} absent; ` +
      `pgbench_accounts has all ${count} rows)`,
  );
}
