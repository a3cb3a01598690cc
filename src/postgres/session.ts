/**
 * The queries pgBackRest runs on a PostgreSQL connection (backup-procedure.md §8.1 step 4 and
 * §8.2), with function names chosen for the server's major.
 */
import { err } from '../error/error.js';
import type { PgConnection } from './client.js';
import { pgFunctionNames, pgMajorNum, PG_VERSION_96 } from './version.js';

export interface PgSessionInfo {
  /** server_version_num, e.g. 150018. */
  versionNum: number;
  /** Major as server_version_num style: 150000. */
  majorNum: number;
  dataDirectory: string;
  archiveMode: string;
  archiveCommand: string;
  checkpointTimeoutSec: number;
  inRecovery: boolean;
}

/** Session setup as pgBackRest does it, then the settings it needs. */
export async function initSession(db: PgConnection, command: string): Promise<PgSessionInfo> {
  await db.query("set search_path = 'pg_catalog'");
  await db.query("set client_encoding = 'UTF8'");
  const rows = await db.query<{ name: string; setting: string }>(
    "select name, setting from pg_catalog.pg_settings where name in ('server_version_num', 'data_directory'," +
      " 'archive_mode', 'archive_command', 'checkpoint_timeout')",
  );
  const setting = (name: string): string => {
    const row = rows.find((r) => r.name === name);
    if (row === undefined) throw err('DbQueryError', `unable to read setting '${name}'`);
    return row.setting;
  };
  const versionNum = Number(setting('server_version_num'));
  await db.query(`set application_name = 'pgBackRest [${command}]'`);
  if (versionNum >= PG_VERSION_96) await db.query('set max_parallel_workers_per_gather = 0');
  return {
    versionNum,
    majorNum: pgMajorNum(versionNum),
    dataDirectory: setting('data_directory'),
    archiveMode: setting('archive_mode'),
    archiveCommand: setting('archive_command'),
    checkpointTimeoutSec: Number(setting('checkpoint_timeout')),
    inRecovery: await isInRecovery(db),
  };
}

export async function isInRecovery(db: PgConnection): Promise<boolean> {
  const [row] = await db.query<{ r: boolean }>('select pg_catalog.pg_is_in_recovery() as r');
  return row!.r;
}

/** Current WAL insert position and its segment name (step 6 of the backup). */
export async function currentWal(db: PgConnection, versionNum: number): Promise<{ lsn: string; segment: string }> {
  const fn = pgFunctionNames(versionNum);
  const [row] = await db.query<{ lsn: string; segment: string }>(
    `select lsn::text as lsn, pg_catalog.${fn.walFileName}(lsn)::text as segment` +
      ` from pg_catalog.${fn.currentWalInsertLsn}() as lsn`,
  );
  return row!;
}

/** Forces a WAL switch; returns the name of the segment that was closed (pg_walfile_name of the switch LSN). */
export async function switchWal(db: PgConnection, versionNum: number): Promise<string> {
  const fn = pgFunctionNames(versionNum);
  const [row] = await db.query<{ segment: string }>(
    `select pg_catalog.${fn.walFileName}(pg_catalog.${fn.switchWal}())::text as segment`,
  );
  return row!.segment;
}

export async function systemIdentifier(db: PgConnection): Promise<bigint> {
  const [row] = await db.query<{ id: string }>('select system_identifier::text as id from pg_catalog.pg_control_system()');
  return BigInt(row!.id);
}

/**
 * What archiving must look like for check and for a backup with archive-check: archive_mode on
 * (`always` only without archive-mode-check) and an archive_command that runs pgbackrest (ours is
 * a path ending in it).
 */
export function checkArchiveSettings(session: PgSessionInfo, archiveModeCheck: boolean): void {
  if (session.archiveMode === 'off') throw err('ArchiveDisabledError', 'archive_mode must be enabled');
  if (archiveModeCheck && session.archiveMode === 'always') {
    throw err('FeatureNotSupportedError', 'archive_mode=always not supported');
  }
  if (!session.archiveCommand.includes('pgbackrest')) {
    throw err('ArchiveCommandInvalidError', `archive_command '${session.archiveCommand}' must contain pgbackrest`);
  }
}
