/**
 * Diff/incr references and delta decisions of buildManifest on a small fake PGDATA whose mtimes
 * are set by hand, against prior manifests built the same way and filled in as a copy would.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildManifest, type BuildManifestOptions, type BuiltManifest } from '../../src/backup/manifest-build.js';
import { isPgbrError } from '../../src/error/error.js';
import { parseManifest, renderManifest, type Manifest } from '../../src/repo/manifest.js';
import type { CompressType } from '../../src/repo/layout.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

const T0 = 1_700_000_000;
const FULL = '20231114-221320F';
const INCR1 = '20231114-221320F_20231114-230000I';
const INCR2 = '20231114-221320F_20231115-000000I';
const owners = { user: () => 'pg' as const, group: () => 'pg' as const };
let pgdata: string;

function put(rel: string, size: number, mtime = T0): void {
  const path = join(pgdata, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.alloc(size, 1), { mode: 0o600 });
  utimesSync(path, mtime, mtime);
}

beforeEach(() => {
  pgdata = join(makeTempDir('pgbr-incr-'), 'data');
  put('PG_VERSION', 3);
  put('global/pg_control', 8192);
  put('base/1/1259', 16384);
  put('base/1/112', 8192);
  put('base/1/113', 8192);
  put('base/1/13394', 0);
  mkdirSync(join(pgdata, 'pg_wal'));
  mkdirSync(join(pgdata, 'pg_tblspc'));
  chmodSync(pgdata, 0o700);
});

afterAll(() => removeAllTempDirs());

function options(over: Partial<BuildManifestOptions>): BuildManifestOptions {
  return {
    pgPath: pgdata, pgVersion: 150000, catalogVersion: 202209061, systemId: 7n, dbId: 1, label: FULL, type: 'full',
    delta: false, online: true, checksumPage: true, compressType: 'gz', timestampStart: T0 + 100, now: T0 + 100,
    archiveStart: '000000010000000000000003', owners, ...over,
  };
}

/** What the copy step would have written into the manifest (stop keys and per-file results). */
function completed(b: BuiltManifest): Manifest {
  const m = structuredClone(b.manifest);
  m.backup.archiveStop = '000000010000000000000004';
  for (const f of m.files) {
    if (f.reference !== undefined) continue;
    Object.assign(f, { checksum: `sum-${f.name}-${m.backup.label}`, rck: `rck-${f.name}`, repoSize: 20 + Math.round(f.size / 100) });
  }
  return m;
}

async function full(): Promise<Manifest> {
  return completed(await buildManifest(options({ cipherPass: 'set-pass' })));
}

const file = (m: Manifest, name: string) => m.files.find((f) => f.name === `pg_data/${name}`)!;
const jobNames = (b: BuiltManifest) => b.jobs.map((j) => j.name.slice(8)).sort();

async function failure(p: Promise<unknown>): Promise<{ type: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isPgbrError(e)) return { type: e.type, message: e.fullMessage };
    throw e;
  }
  throw new Error('expected a failure');
}

describe('full', () => {
  it('copies everything and starts the reference chain', async () => {
    const b = await buildManifest(options({ cipherPass: 'set-pass' }));
    expect(b.manifest.backup).toMatchObject({ label: FULL, type: 'full', reference: [FULL], timestampCopyStart: T0 + 101 });
    expect(b.manifest.backup.prior).toBeUndefined();
    expect(b.manifest.cipherPass).toBe('set-pass');
    expect(jobNames(b)).toEqual(['PG_VERSION', 'base/1/112', 'base/1/113', 'base/1/1259', 'base/1/13394', 'global/pg_control']);
    // Largest first, equal sizes by name descending.
    expect(b.jobs.map((j) => j.name.slice(8))).toEqual(
      ['base/1/1259', 'global/pg_control', 'base/1/113', 'base/1/112', 'PG_VERSION', 'base/1/13394']);
    expect(b.manifest.files.every((f) => f.reference === undefined && f.checksum === undefined)).toBe(true);
  });

  it('records the compress level in effect, as pgBackRest 2.45 does when compress-level is unset', async () => {
    const level = async (compressType: CompressType, compressLevel?: number) =>
      renderManifest((await buildManifest(options({ compressType, compressLevel }))).manifest).match(/^option-compress-level=(\d+)$/m)?.[1];
    // Defaults per type, `none` as 0, and a level that was set is kept, even with none.
    expect(await level('gz')).toBe('6');
    expect(await level('lz4')).toBe('1');
    expect(await level('zst')).toBe('3');
    expect(await level('bz2')).toBe('9');
    expect(await level('none')).toBe('0');
    expect(await level('zst', 7)).toBe('7');
    expect(await level('none', 5)).toBe('5');
  });
});

describe('incr references', () => {
  it('references unchanged files with the prior checksums and copies changed ones', async () => {
    const prior = await full();
    put('global/pg_control', 8192, T0 + 150); // same size, newer mtime
    put('base/1/113', 16384, T0 + 150); // size changed
    put('base/1/13394', 0, T0 + 150); // empty: mtime does not matter
    put('base/1/2000', 8192); // new
    const b = await buildManifest(options({ label: INCR1, type: 'incr', prior, now: T0 + 200, timestampStart: T0 + 200 }));

    expect(jobNames(b)).toEqual(['base/1/113', 'base/1/2000', 'global/pg_control']);
    const m = b.manifest;
    expect(m.backup).toMatchObject({ prior: FULL, reference: [FULL, INCR1], type: 'incr' });
    expect(file(m, 'base/1/1259')).toEqual({
      name: 'pg_data/base/1/1259', size: 16384, timestamp: T0, user: 'pg', group: 'pg', mode: 0o600,
      checksum: `sum-pg_data/base/1/1259-${FULL}`, rck: 'rck-pg_data/base/1/1259', repoSize: 184, reference: FULL,
    });
    expect(file(m, 'base/1/13394')).toMatchObject({ reference: FULL, timestamp: T0 + 150 });
    expect(file(m, 'base/1/113').reference).toBeUndefined();
    expect(m.cipherPass).toBe('set-pass');
    expect([b.delta, b.log]).toEqual([false, []]);

    const text = renderManifest(completed(b));
    expect(text).toContain(`\nbackup-prior="${FULL}"\nbackup-reference="${FULL},${INCR1}"\n`);
    expect(text).toContain(`\npg_data/base/1/1259={"checksum":"sum-pg_data/base/1/1259-${FULL}","rck":"rck-pg_data/base/1/1259",` +
      `"reference":"${FULL}","repo-size":184,"size":16384,"timestamp":${T0}}\n`);
    expect(text).toContain(`\npg_data/base/1/113={"checksum":"sum-pg_data/base/1/113-${INCR1}","rck":"rck-pg_data/base/1/113",` +
      `"repo-size":184,"size":16384,"timestamp":${T0 + 150}}\n`);
    expect(parseManifest(text).files.map((f) => [f.name, f.reference ?? null])).toEqual(
      m.files.map((f) => [f.name, f.reference ?? null]));
  });

  it('an incr of an incr keeps the reference to the backup that stored the bytes', async () => {
    const prior0 = await full();
    put('global/pg_control', 8192, T0 + 150);
    const incr1 = completed(await buildManifest(options({ label: INCR1, type: 'incr', prior: prior0, now: T0 + 200 })));
    put('global/pg_control', 8192, T0 + 250);
    const b = await buildManifest(options({ label: INCR2, type: 'incr', prior: incr1, now: T0 + 300 }));
    expect(b.manifest.backup).toMatchObject({ prior: INCR1, reference: [FULL, INCR1, INCR2] });
    expect(file(b.manifest, 'base/1/1259').reference).toBe(FULL);
    expect(file(b.manifest, 'PG_VERSION').checksum).toBe(`sum-pg_data/PG_VERSION-${FULL}`);
    expect(jobNames(b)).toEqual(['global/pg_control']);
  });

  it('copies a file whose mtime is not before the prior copy start, even with the same size and mtime', async () => {
    put('base/1/112', 8192, T0 + 101);
    const prior = await full(); // copy start T0 + 101
    put('global/pg_control', 8192, T0 + 150);
    const b = await buildManifest(options({ label: INCR1, type: 'incr', prior, now: T0 + 200 }));
    expect(jobNames(b)).toEqual(['base/1/112', 'global/pg_control']);
  });

  it('fails when an online backup would not copy pg_control', async () => {
    const prior = await full();
    const f = await failure(buildManifest(options({ label: INCR1, type: 'incr', prior, now: T0 + 200 })));
    expect(f).toEqual({
      type: 'FileMissingError',
      message: 'pg_control must be present in all online backups\nHINT: is something wrong with the clock or filesystem timestamps?',
    });
  });

  it('a diff needs a full prior', async () => {
    const prior = await full();
    prior.backup.type = 'incr';
    expect((await failure(buildManifest(options({ type: 'diff', label: INCR1, prior })))).type).toBe('AssertError');
    expect((await failure(buildManifest(options({ type: 'incr', label: INCR1 })))).type).toBe('AssertError');
  });
});

describe('delta', () => {
  it('with delta every same-size file is referenced and re-checked unless empty', async () => {
    const prior = await full();
    put('base/1/112', 8192, T0 + 150);
    const b = await buildManifest(options({ label: INCR1, type: 'incr', prior, now: T0 + 200, delta: true }));
    expect(b.delta).toBe(true);
    expect(b.manifest.options.delta).toBe(true);
    expect(file(b.manifest, 'base/1/112').reference).toBe(FULL);
    expect(jobNames(b)).toEqual(['PG_VERSION', 'base/1/112', 'base/1/113', 'base/1/1259', 'global/pg_control']);
    expect(b.jobs.find((j) => j.name === 'pg_data/base/1/112')).toMatchObject({
      reference: FULL, checksum: `sum-pg_data/base/1/112-${FULL}`, checksumPage: true, segmentNo: 0, queue: 0,
    });
    expect(b.log).toEqual([]);
  });

  it('turns on delta for a file in the future', async () => {
    put('base/1/112', 8192, T0 + 500);
    const b = await buildManifest(options({}));
    expect(b.delta).toBe(true);
    expect(b.log).toEqual([{
      level: 'warn',
      message: `file 'base/1/112' has timestamp (${T0 + 500}) in the future (relative to copy start ${T0 + 100}), enabling delta checksum`,
    }]);
  });

  it('turns on delta for an mtime that went backwards', async () => {
    const prior = await full();
    put('base/1/112', 8192, T0 - 10);
    const b = await buildManifest(options({ label: INCR1, type: 'incr', prior, now: T0 + 200 }));
    expect(b.delta).toBe(true);
    expect(b.log.map((l) => l.message)).toEqual([
      `file 'base/1/112' has timestamp earlier than prior backup (prior ${T0}, current ${T0 - 10}), enabling delta checksum`,
    ]);
    expect(file(b.manifest, 'global/pg_control').reference).toBe(FULL); // delta references, then re-checks
  });

  it('turns on delta for a size change without an mtime change', async () => {
    const prior = await full();
    put('base/1/113', 100);
    const b = await buildManifest(options({ label: INCR1, type: 'incr', prior, now: T0 + 200 }));
    expect(b.log.map((l) => l.message)).toEqual([
      `file 'base/1/113' has same timestamp (${T0}) as prior but different size (prior 8192, current 100), enabling delta checksum`,
    ]);
    expect(file(b.manifest, 'base/1/113').reference).toBeUndefined();
  });

  it('turns on delta after a timeline switch or an online change', async () => {
    const prior = await full();
    const tl = await buildManifest(options({ label: INCR1, type: 'incr', prior, now: T0 + 200, archiveStart: '000000020000000000000005' }));
    expect(tl.log.map((l) => l.message)).toEqual([
      `a timeline switch has occurred since the ${FULL} backup, enabling delta checksum\n` +
        'HINT: this is normal after restoring from backup or promoting a standby.',
    ]);
    const off = await buildManifest(options({ label: INCR1, type: 'incr', prior, now: T0 + 200, online: false, archiveStart: undefined }));
    expect(off.delta).toBe(true);
    expect(off.log.map((l) => l.message)).toEqual([`the online option has changed since the ${FULL} backup, enabling delta checksum`]);
    expect(off.manifest.backup.timestampCopyStart).toBe(T0 + 200);
  });
});
