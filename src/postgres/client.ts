/**
 * A small PostgreSQL client over `pg`, loaded on first use so commands that never talk to the
 * database do not pay for it. Connection and query errors carry pgBackRest's wording:
 *   [056] unable to connect to 'dbname='postgres' port=5432 host='/tmp'': <libpq-style message>
 *   [057] unable to execute query '<sql>': ERROR:  <message>
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { err } from '../error/error.js';

/** libpq's compiled-in socket directory on Debian, used when pgN-socket-path is not set. */
export const DEFAULT_SOCKET_DIR = '/var/run/postgresql';

export interface PgConnectOptions {
  port: number;
  database: string;
  /** pgN-socket-path: a Unix socket directory (or a host name). */
  socketPath?: string;
  user?: string;
  /** Command name for `application_name = 'pgBackRest [<command>]'`. */
  command?: string;
  /** Connect timeout in ms (pgBackRest uses db-timeout); default 30 s. */
  timeoutMs?: number;
}

export type PgRow = Record<string, unknown>;

export interface PgConnection {
  query<T extends PgRow = PgRow>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const quote = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The conninfo text pgBackRest shows in its connect error (host only when set). */
export function connInfoText(opts: PgConnectOptions): string {
  let text = `dbname=${quote(opts.database)} port=${opts.port}`;
  if (opts.user !== undefined) text += ` user=${quote(opts.user)}`;
  if (opts.socketPath !== undefined) text += ` host=${quote(opts.socketPath)}`;
  return text;
}

/** Rewrites node-pg/socket errors in libpq's words, which is what pgBackRest prints. */
export function libpqMessage(e: unknown, host: string, port: number): string {
  const where = host.startsWith('/')
    ? `connection to server on socket "${join(host, `.s.PGSQL.${port}`)}" failed`
    : `connection to server at "${host}", port ${port} failed`;
  const errno = (e as NodeJS.ErrnoException).code;
  const hint = host.startsWith('/')
    ? 'Is the server running locally and accepting connections on that socket?'
    : 'Is the server running on that host and accepting TCP/IP connections?';
  if (errno === 'ENOENT') return `${where}: No such file or directory\n\t${hint}`;
  if (errno === 'ECONNREFUSED') return `${where}: Connection refused\n\t${hint}`;
  const pgErr = e as { severity?: string; message?: string };
  if (pgErr.severity !== undefined) return `${where}: ${pgErr.severity}:  ${pgErr.message}`;
  return `${where}: ${(e as Error).message}`;
}

export async function connectPg(opts: PgConnectOptions): Promise<PgConnection> {
  const { default: pg } = await import('pg');
  const host = opts.socketPath ?? DEFAULT_SOCKET_DIR;
  const client = new pg.Client({
    host,
    port: opts.port,
    database: opts.database,
    user: opts.user ?? userInfo().username,
    application_name: opts.command === undefined ? undefined : `pgBackRest [${opts.command}]`,
    connectionTimeoutMillis: opts.timeoutMs ?? 30_000,
  });
  // A server going away between queries must not crash the process; the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    throw err('DbConnectError', `unable to connect to '${connInfoText(opts)}': ${libpqMessage(e, host, opts.port)}`, { cause: e });
  }
  return {
    async query<T extends PgRow>(sql: string, params?: unknown[]): Promise<T[]> {
      try {
        return (await client.query(sql, params)).rows as T[];
      } catch (e) {
        const pgErr = e as { severity?: string; message?: string };
        const msg = pgErr.severity === undefined ? String(pgErr.message) : `${pgErr.severity}:  ${pgErr.message}`;
        throw err('DbQueryError', `unable to execute query '${sql}': ${msg}`, { cause: e });
      }
    },
    async close(): Promise<void> {
      await client.end().catch(() => undefined);
    },
  };
}
