import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log/logger.js';
import type { Manifest, ManifestFile } from '../../src/repo/manifest.js';
import { selectiveZeroed } from '../../src/restore/selective.js';
import { isPgbrError } from '../../src/error/error.js';

/**
 * A PG15 cluster as pgBackRest 2.45 sees it: template1 (1), template0 (4), postgres (5), and user
 * databases db1 (16385, with a relation in tablespace 16384) and db2 (16386). On PG15
 * datlastsysoid is 4 for every database, so it cannot tell a user database from postgres.
 */
function cluster(): Manifest {
  const file = (name: string): ManifestFile =>
    ({ name, size: 8192, timestamp: 1, checksum: 'x', user: 'postgres', group: 'postgres', mode: 0o600 }) as ManifestFile;
  const dbFiles = (dir: string) => [`${dir}/PG_VERSION`, `${dir}/pg_filenode.map`, `${dir}/1259`].map(file);
  return {
    db: { catalogVersion: 202209061, controlVersion: 1300, id: 1, systemId: 1n, version: '15' },
    targets: [
      { name: 'pg_data', type: 'path', path: '/pg' },
      { name: 'pg_tblspc/16384', type: 'link', path: '/ts1', tablespaceId: 16384, tablespaceName: 'ts1' },
    ],
    databases: [
      { name: 'template1', id: 1, lastSystemId: 4 },
      { name: 'template0', id: 4, lastSystemId: 4 },
      { name: 'postgres', id: 5, lastSystemId: 4 },
      { name: 'db1', id: 16385, lastSystemId: 4 },
      { name: 'db2', id: 16386, lastSystemId: 4 },
    ],
    files: [
      file('pg_data/PG_VERSION'),
      file('pg_data/global/pg_control'),
      ...['1', '4', '5', '16385', '16386'].flatMap((id) => dbFiles(`pg_data/base/${id}`)),
      ...dbFiles('pg_tblspc/16384/PG_15_202209061/16385'),
    ],
  } as unknown as Manifest;
}

function run(include: string[], exclude: string[]): { zeroed: string[]; log: string[] } {
  const log: string[] = [];
  const logger = { detail: (m: string) => log.push(`DETAIL: ${m}`), info: (m: string) => log.push(`INFO: ${m}`) } as unknown as Logger;
  return { zeroed: [...selectiveZeroed(cluster(), include, exclude, logger)].sort(), log };
}

function failure(include: string[], exclude: string[]): string {
  try {
    run(include, exclude);
  } catch (e) {
    if (isPgbrError(e)) return `[${e.code}] ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('selective restore (--db-include, --db-exclude) as pgBackRest 2.45 decides it', () => {
  it('including one user database zeroes the other user databases only, pg_filenode.map too, never PG_VERSION', () => {
    const r = run(['db1'], []);
    expect(r.zeroed).toEqual(['pg_data/base/16386/1259', 'pg_data/base/16386/pg_filenode.map']);
    expect(r.log).toEqual([
      'DETAIL: databases found for selective restore (1, 16385, 16386, 4, 5)',
      'DETAIL: databases excluded (zeroed) from selective restore (16386)',
    ]);
    // by oid the same
    expect(run(['16385'], []).zeroed).toEqual(r.zeroed);
  });

  it('including every user database filters nothing', () => {
    const r = run(['db1', 'db2'], []);
    expect(r.zeroed).toEqual([]);
    expect(r.log.at(-1)).toBe('INFO: nothing to filter - all user databases have been selected');
  });

  it('excluding zeroes just what is excluded, system databases and tablespace files included', () => {
    expect(run([], ['template1']).zeroed).toEqual(['pg_data/base/1/1259', 'pg_data/base/1/pg_filenode.map']);
    expect(run([], ['db1']).zeroed).toEqual([
      'pg_data/base/16385/1259', 'pg_data/base/16385/pg_filenode.map',
      'pg_tblspc/16384/PG_15_202209061/16385/1259', 'pg_tblspc/16384/PG_15_202209061/16385/pg_filenode.map',
    ]);
    // with an include, a system database is zeroed only when excluded by name
    expect(run(['db1'], ['postgres']).zeroed).toContain('pg_data/base/5/1259');
  });

  it('refuses what 2.45 refuses, with its codes and texts', () => {
    expect(failure(['postgres'], [])).toBe('[81] system databases (template0, postgres, etc.) are included by default');
    expect(failure(['db1'], ['db1'])).toBe("[81] database to include '16385' is in the exclude list");
    expect(failure(['nosuch'], [])).toBe("[80] database to include 'nosuch' does not exist");
    expect(failure([], ['nosuch'])).toBe("[80] database to exclude 'nosuch' does not exist");
  });
});
