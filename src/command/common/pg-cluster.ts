import type { Config } from '../../config/config.js';
import { err, toPgbrError } from '../../error/error.js';
import type { Logger } from '../../log/logger.js';
import { readPgControl, type PgControl } from '../../postgres/control.js';
import { connectPg, type PgConnection, type PgConnectOptions } from '../../postgres/client.js';
import { pgMajorNum, pgVersionToStr } from '../../postgres/version.js';

/** pg1's connection settings from the configuration. */
export function pgConnectOptions(cfg: Config, idx = 1): PgConnectOptions {
  return {
    port: cfg.intOpt(`pg${idx}-port`) ?? 5432,
    socketPath: cfg.strOpt(`pg${idx}-socket-path`),
    user: cfg.strOpt(`pg${idx}-user`),
    database: cfg.strOpt(`pg${idx}-database`) ?? 'postgres',
    command: cfg.command,
    timeoutMs: Number(cfg.get('db-timeout') ?? 1800) * 1000,
  };
}

/**
 * Connect to the primary named by pg1 (pgBackRest's dbGet for one configured cluster): a failed
 * connection is a warning and then "unable to find primary cluster", a standby is not a primary.
 */
export async function connectPrimary(cfg: Config, log: Logger, opts: { check?: boolean } = {}): Promise<PgConnection> {
  let conn: PgConnection;
  try {
    conn = await connectPg(pgConnectOptions(cfg));
  } catch (e) {
    const pe = toPgbrError(e);
    log.warn(`unable to check pg1: [${pe.type}] ${pe.message}`);
    // check asks for any cluster (2.45's dbGet without a primary required): none at all is a config error
    if (opts.check === true) throw err('ConfigError', 'no database found', { hints: [CHECK_CONFIG_HINT] });
    throw noPrimary();
  }
  const [row] = await conn.query<{ recovery: boolean }>('select pg_catalog.pg_is_in_recovery() as recovery');
  if (row?.recovery) {
    await conn.close();
    // check found a cluster, a standby: 2.45 blames the configuration there
    if (opts.check === true) throw err('ConfigError', 'primary database not found', { hints: [CHECK_CONFIG_HINT] });
    throw noPrimary();
  }
  return conn;
}

const CHECK_CONFIG_HINT = 'check indexed pg-path/pg-host configurations';

function noPrimary() {
  return err('DbConnectError', 'unable to find primary cluster - cannot proceed', {
    hints: ['are all available clusters in recovery?'],
  });
}

/**
 * pg_control of pg1-path, checked against the running cluster when online: the version and data
 * directory the server reports must be the ones read from pg1-path.
 */
export async function clusterControl(cfg: Config, log: Logger, opts: { online: boolean; check?: boolean }): Promise<PgControl> {
  const pgPath = cfg.str('pg1-path');
  if (!opts.online) return readPgControl(pgPath);
  const conn = await connectPrimary(cfg, log, { check: opts.check });
  try {
    return await controlOf(conn, pgPath);
  } finally {
    await conn.close();
  }
}

/**
 * pg_control of `pgPath`, once the cluster `conn` is connected to has been seen to run from that
 * directory with that major version ([060] otherwise).
 */
export async function controlOf(conn: PgConnection, pgPath: string): Promise<PgControl> {
  const control = await readPgControl(pgPath);
  const [row] = await conn.query<{ version: string; dir: string }>(
    "select current_setting('server_version_num') as version, current_setting('data_directory') as dir",
  );
  const serverVersion = pgVersionToStr(pgMajorNum(Number(row?.version)));
  if (serverVersion !== control.version || row?.dir !== pgPath) {
    throw err(
      'DbMismatchError',
      `version '${serverVersion}' and path '${row?.dir}' queried from cluster do not match version '${control.version}'` +
        ` and '${pgPath}' read from '${pgPath}/global/pg_control'`,
      { hints: [`the pg1-path and pg1-port settings likely reference different clusters.`] },
    );
  }
  return control;
}
