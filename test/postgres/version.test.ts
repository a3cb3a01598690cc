import { describe, expect, test } from 'vitest';
import {
  PG_VERSIONS,
  pgFunctionNames,
  pgMajorNum,
  pgTablespaceId,
  pgVersionFromStr,
  pgVersionInfo,
  pgVersionToStr,
  pgWalPath,
} from '../../src/postgres/version.js';

describe('version table', () => {
  test('control versions match info-files.md §2.6', () => {
    const byName = Object.fromEntries(PG_VERSIONS.map((v) => [v.name, v.controlVersion]));
    expect(byName).toMatchObject({ '9.4': 942, '9.5': 942, '9.6': 960, '10': 1002, '11': 1100, '12': 1201, '13': 1300, '16': 1300, '17': 1700, '18': 1800 });
    expect(pgVersionInfo(150018)?.catalogVersion).toBe(202209061);
    expect(new Set(PG_VERSIONS.map((v) => v.walMagic)).size).toBe(PG_VERSIONS.length);
    expect(new Set(PG_VERSIONS.map((v) => `${v.controlVersion}/${v.catalogVersion}`)).size).toBe(PG_VERSIONS.length);
  });

  test('version strings', () => {
    expect(pgVersionToStr(90600)).toBe('9.6');
    expect(pgVersionToStr(150000)).toBe('15');
    expect(pgVersionFromStr('9.6')).toBe(90600);
    expect(pgVersionFromStr('15')).toBe(150000);
    expect(() => pgVersionFromStr('x15')).toThrow('version x15 format is invalid');
    expect(pgMajorNum(90624)).toBe(90600);
    expect(pgMajorNum(170010)).toBe(170000);
    expect(pgTablespaceId(150000, 202209061)).toBe('PG_15_202209061');
  });

  test('function and directory names per version (backup-procedure.md §8.2)', () => {
    expect(pgFunctionNames(90600)).toMatchObject({
      backupStart: 'pg_start_backup', backupStop: 'pg_stop_backup', walFileName: 'pg_xlogfile_name',
      currentWalInsertLsn: 'pg_current_xlog_insert_location', switchWal: 'pg_switch_xlog', nonExclusive: true,
    });
    expect(pgFunctionNames(140000)).toMatchObject({ backupStart: 'pg_start_backup', walFileName: 'pg_walfile_name', switchWal: 'pg_switch_wal' });
    expect(pgFunctionNames(150000)).toMatchObject({
      backupStart: 'pg_backup_start', backupStop: 'pg_backup_stop', currentWalInsertLsn: 'pg_current_wal_insert_lsn',
    });
    expect(pgFunctionNames(90500).nonExclusive).toBe(false);
    expect(pgWalPath(90600)).toBe('pg_xlog');
    expect(pgWalPath(100000)).toBe('pg_wal');
  });
});
