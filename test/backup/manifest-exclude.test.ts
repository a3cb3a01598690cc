/**
 * Exclusion rules (spec backup-procedure.md §8.3) as pure functions, and the walk's errors for
 * bad links and pg_tblspc content on a fake PGDATA.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  isExcludedRootFile, isPageChecksumFile, isPgInternalInit, isTempRelation, userExclusions, withoutUnloggedRelations,
} from '../../src/backup/exclude.js';
import { walkPgData, type WalkOptions } from '../../src/backup/manifest-walk.js';
import { isPgbrError } from '../../src/error/error.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

describe('name rules', () => {
  it('temporary relations', () => {
    for (const n of ['t3_123', 't3_123_fsm', 't3_123_vm', 't3_123.1', 't12_4567_vm.22']) expect(isTempRelation(n), n).toBe(true);
    for (const n of ['t3_abc', '123', 't3_123_init', 't_123', 'x3_123', 't3_123.']) expect(isTempRelation(n), n).toBe(false);
  });

  it('pg_internal.init and its pid-suffixed copies', () => {
    expect(['pg_internal.init', 'pg_internal.init.1234'].map(isPgInternalInit)).toEqual([true, true]);
    expect(['pg_internal.initx', 'pg_internal.init.tmp', 'xpg_internal.init'].map(isPgInternalInit)).toEqual([false, false, false]);
  });

  it('root files depend on the version', () => {
    expect(isExcludedRootFile('backup_label', 150000)).toBe(true);
    expect(isExcludedRootFile('backup_label', 90500)).toBe(false);
    expect(isExcludedRootFile('recovery.conf', 110000)).toBe(true);
    expect(isExcludedRootFile('recovery.conf', 150000)).toBe(false);
    expect(isExcludedRootFile('standby.signal', 150000)).toBe(true);
    expect(isExcludedRootFile('backup_manifest', 120000)).toBe(false);
    expect(isExcludedRootFile('backup_manifest', 130000)).toBe(true);
    expect(isExcludedRootFile('postgresql.conf', 150000)).toBe(false);
  });

  it('page checksum files', () => {
    expect(isPageChecksumFile('pg_data/base/1/1259')).toBe(true);
    expect(isPageChecksumFile('pg_data/base/1/PG_VERSION')).toBe(false);
    expect(isPageChecksumFile('pg_data/global/pg_filenode.map')).toBe(false);
    expect(isPageChecksumFile('pg_data/global/pg_control')).toBe(false);
  });

  it('user exclusions: trailing slash means content', () => {
    const e = userExclusions(['log/', 'junk', 'a/b']);
    expect([...e.content]).toEqual(['pg_data/log']);
    expect([...e.single]).toEqual(['pg_data/junk', 'pg_data/a/b']);
  });

  it('unlogged relations keep only the init fork, per directory', () => {
    const names = ['pg_data/base/1/100', 'pg_data/base/1/100.1', 'pg_data/base/1/100_fsm', 'pg_data/base/1/100_init',
      'pg_data/base/1/101', 'pg_data/base/2/100', 'pg_tblspc/9/PG_15_202209061/1/7', 'pg_tblspc/9/PG_15_202209061/1/7_init',
      'pg_data/pg_xact/100', 'pg_data/pg_xact/100_init'];
    const kept = withoutUnloggedRelations(names.map((name) => ({ name })), 'PG_15_202209061').map((f) => f.name);
    expect(kept).toEqual(['pg_data/base/1/100_init', 'pg_data/base/1/101', 'pg_data/base/2/100',
      'pg_tblspc/9/PG_15_202209061/1/7_init', 'pg_data/pg_xact/100', 'pg_data/pg_xact/100_init']);
  });
});

describe('walk errors and warnings', () => {
  let base: string;
  let pgdata: string;
  const owners = { user: () => 'pg' as const, group: () => false as const };
  const walk = (over: Partial<WalkOptions> = {}) =>
    walkPgData({ pgPath: pgdata, pgVersion: 150000, catalogVersion: 202209061, online: true, checksumPage: false, owners, ...over });
  const put = (path: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'x');
  };
  async function failure(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (e) {
      if (isPgbrError(e)) return `${e.type}: ${e.fullMessage}`;
      throw e;
    }
    return 'no error';
  }

  beforeEach(() => {
    base = makeTempDir('pgbr-walk-');
    pgdata = join(base, 'data');
    put(join(pgdata, 'PG_VERSION'));
    mkdirSync(join(pgdata, 'pg_tblspc'));
  });

  afterAll(() => removeAllTempDirs());

  it('pg_tblspc must hold only symlinks', async () => {
    mkdirSync(join(pgdata, 'pg_tblspc', '1'));
    expect(await failure(walk())).toBe(
      "LinkExpectedError: 'pg_data/pg_tblspc/1' is not a symlink - pg_tblspc should contain only symlinks");
  });

  it('a link may not point into PGDATA or at another link', async () => {
    mkdirSync(join(pgdata, 'inside'));
    symlinkSync(join(pgdata, 'inside'), join(pgdata, 'lnk'));
    expect(await failure(walk())).toBe(`LinkDestinationError: link 'lnk' destination '${pgdata}/inside' is in PGDATA`);
  });

  it('a link to a link is refused', async () => {
    put(join(base, 'real.conf'));
    symlinkSync(join(base, 'real.conf'), join(base, 'hop.conf'));
    symlinkSync(join(base, 'hop.conf'), join(pgdata, 'x.conf'));
    expect(await failure(walk())).toBe(
      `LinkDestinationError: link '${pgdata}/x.conf' cannot reference another link '${base}/hop.conf'`);
  });

  it('two links to the same directory are refused; a missing destination fails', async () => {
    mkdirSync(join(base, 'shared'));
    symlinkSync(join(base, 'shared'), join(pgdata, 'a'));
    symlinkSync(join(base, 'shared'), join(pgdata, 'b'));
    expect(await failure(walk())).toBe(
      `LinkDestinationError: link 'b' (${base}/shared) destination is the same directory as link 'a' (${base}/shared)`);
  });

  it('a link whose destination is missing fails', async () => {
    symlinkSync(join(base, 'nowhere'), join(pgdata, 'gone'));
    expect(await failure(walk())).toBe(`FileOpenError: unable to get info for missing path/file '${pgdata}/gone'`);
  });

  it('a tablespace missing from the database list fails; offline it is named ts<oid>', async () => {
    put(join(base, 'ts', 'PG_15_202209061', '5', '16400'));
    symlinkSync(join(base, 'ts'), join(pgdata, 'pg_tblspc', '16390'));
    expect(await failure(walk({ tablespaces: new Map([[1, 'other']]) }))).toBe(
      'AssertError: tablespace with oid 16390 not found in tablespace map\nHINT: was a tablespace created or dropped during the backup?');
    const offline = await walk({ online: false });
    expect(offline.targets.map((t) => [t.name, t.tablespaceName])).toEqual([['pg_data', undefined], ['pg_tblspc/16390', 'ts16390']]);
    expect(offline.files.map((f) => f.name)).toEqual(['pg_data/PG_VERSION', 'pg_tblspc/16390/PG_15_202209061/5/16400']);
    expect(offline.paths.map((p) => [p.name, p.user, p.group])).toContainEqual(['pg_tblspc', 'pg', false]);
  });

  it('special files are skipped with a warning; path links are walked', async () => {
    execFileSync('mkfifo', [join(pgdata, 'fifo')]);
    put(join(base, 'logs', 'one.log'));
    symlinkSync(join(base, 'logs'), join(pgdata, 'log'));
    const r = await walk();
    expect(r.log).toEqual([{ level: 'warn', message: `exclude special file '${pgdata}/fifo' from backup` }]);
    expect(r.files.map((f) => f.name)).toEqual(['pg_data/PG_VERSION', 'pg_data/log/one.log']);
    expect(r.targets.find((t) => t.name === 'pg_data/log')).toEqual({ name: 'pg_data/log', type: 'link', path: join(base, 'logs') });
    expect(r.links).toEqual([{ name: 'pg_data/log', destination: join(base, 'logs'), user: 'pg', group: false }]);
  });
});
