/**
 * copyFiles() records what each file copy found: a file that vanished after the manifest was built
 * is dropped from the manifest and logged as pgBackRest does; copied files get their checksums.
 * (The single-read-per-file property of the copy itself is proven in file.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { compressThreads, copyFiles, readyToCopy } from '../../src/backup/copy.js';
import { workerThreads } from '../../src/parallel/file-pool.js';
import type { CopyJob } from '../../src/backup/manifest-jobs.js';
import { parseManifest } from '../../src/repo/manifest.js';
import { Logger } from '../../src/log/logger.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { sampleData } from '../io/helpers.js';

const SAMPLE = new URL('../../../shared/spec/samples/full.backup.manifest', import.meta.url);

afterAll(() => removeAllTempDirs());

/** A temp dir whose pg/ is PGDATA, and the sample manifest cut down to two files of base/1. */
function twoFiles() {
  const dir = makeTempDir('pgbr-copy-');
  const pg = join(dir, 'pg');
  mkdirSync(join(pg, 'base/1'), { recursive: true });
  const manifest = parseManifest(readFileSync(SAMPLE));
  const [a, b] = manifest.files.filter((f) => f.name.startsWith('pg_data/base/1/') && f.size > 0);
  manifest.files = [a!, b!];
  const pgFile = (name: string): string => join(pg, name.slice('pg_data/'.length));
  // the options every copy here shares: one process, a posix repo in the temp dir
  const repo = { stanza: 'demo', storage: { type: 'posix', path: join(dir, 'repo') }, processMax: 1 } as const;
  return { dir, manifest, a: a!, b: b!, pgFile, repo };
}

describe('copyFiles', () => {
  it('drops a file removed by the database from the manifest and logs the skip', async () => {
    const { dir, manifest, a: kept, b: gone, pgFile, repo } = twoFiles();
    const data = Buffer.from('still here');
    writeFileSync(pgFile(kept.name), data);
    const job = (name: string, size: number): CopyJob => ({
      name,
      pgFile: pgFile(name),
      size,
      checksumPage: false,
      segmentNo: 0,
      queue: 0,
    }) as CopyJob;
    const logFile = join(dir, 'copy.log');
    const log = new Logger({ console: 'off', stderr: 'off', file: 'detail', filePath: logFile, timestamp: false, processMax: 1 });
    log.configure({ console: 'off', stderr: 'off', file: 'detail', filePath: logFile, timestamp: false, processMax: 1 });

    const copied: string[] = [];
    await copyFiles({
      copied: (name) => copied.push(name),
      jobs: [job(kept.name, data.length), job(gone.name, gone.size)],
      manifest,
      ...repo,
      compressType: 'none',
      log,
    });
    log.closeFile();

    expect(manifest.files.map((f) => f.name)).toEqual([kept.name]);
    // only the file written into the set is handed on to be synced
    expect(copied).toEqual([kept.name]);
    expect(manifest.files[0]!.checksum).toBe(createHash('sha1').update(data).digest('hex'));
    const text = readFileSync(logFile, 'utf8');
    expect(text).toContain(`P01 DETAIL: skip file removed by database ${pgFile(gone.name)}`);
    expect(text).toContain(`P01 DETAIL: backup file ${pgFile(kept.name)} (10B, `);
    const stored = join(dir, 'repo/backup/demo', manifest.backup.label, kept.name);
    expect(readFileSync(stored).equals(data)).toBe(true);
  });

  it('logs a file\'s invalid pages after its backup line, as 2.45 does', async () => {
    const { dir, manifest, a, pgFile, repo } = twoFiles();
    manifest.files = [a];
    // two pages of bytes that are no page: neither new (all zeros) nor with a matching checksum
    writeFileSync(pgFile(a.name), sampleData(16384, 5));
    const logFile = join(dir, 'copy.log');
    const log = new Logger({ console: 'off', stderr: 'off', file: 'detail', filePath: logFile, timestamp: false, processMax: 1 });
    log.configure({ console: 'off', stderr: 'off', file: 'detail', filePath: logFile, timestamp: false, processMax: 1 });
    const job: CopyJob = { name: a.name, pgFile: pgFile(a.name), size: 16384, checksumPage: true, segmentNo: 0, queue: 0 };
    await copyFiles({ jobs: [job], manifest, ...repo, compressType: 'none', log });
    log.closeFile();
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes(pgFile(a.name)));
    expect(lines).toEqual([
      expect.stringContaining(`P01 DETAIL: backup file ${pgFile(a.name)} (16KB, 100.00%) checksum `),
      `P01   WARN: invalid page checksums found in file ${pgFile(a.name)} at pages 0-1`,
    ]);
    expect(manifest.files[0]!.checksumPageError).toEqual([[0, 1]]);
  });
});

describe('copy order', () => {
  it("copies pg_data's files before a tablespace's at process-max 1, whatever their sizes, as 2.45 does", async () => {
    const { dir, manifest, a, b, pgFile, repo } = twoFiles();
    manifest.targets.push({ name: 'pg_tblspc/16400', type: 'link', path: join(dir, 'ts'), tablespaceId: 16400, tablespaceName: 'ts1' });
    b.name = 'pg_tblspc/16400/PG_15_202209061/1/16401';
    const tsFile = join(dir, 'ts-file');
    writeFileSync(pgFile(a.name), 'small');
    writeFileSync(tsFile, 'the larger tablespace file');
    const jobs: CopyJob[] = [
      { name: b.name, pgFile: tsFile, size: 26, checksumPage: false, segmentNo: 0, queue: 1 },
      { name: a.name, pgFile: pgFile(a.name), size: 5, checksumPage: false, segmentNo: 0, queue: 0 },
    ];
    const copied: string[] = [];
    const log = new Logger({ console: 'off', stderr: 'off', file: 'off', timestamp: false, processMax: 1 });
    await copyFiles({ copied: (name) => copied.push(name), jobs, manifest, ...repo, compressType: 'none', log });
    expect(copied).toEqual([a.name, b.name]);
  });
});

describe('copy start', () => {
  it('reads a file modified in the last second only after copy start, older files at once', async () => {
    const { manifest, a: old, b: recent, pgFile, repo } = twoFiles();
    const now = Date.now();
    const copyStart = now + 600;
    old.timestamp = Math.floor(now / 1000) - 2;
    // changed in the second copy start falls in, as a file written while the manifest was built
    recent.timestamp = Math.floor(copyStart / 1000);
    for (const f of manifest.files) writeFileSync(pgFile(f.name), f.name);
    const jobs = manifest.files.map((f) => ({ name: f.name, pgFile: pgFile(f.name), size: f.name.length, checksumPage: false, queue: 0 }) as CopyJob);
    const log = new Logger({ console: 'off', stderr: 'off', file: 'off', timestamp: false, processMax: 1 });
    const done = new Map<string, number>();
    await copyFiles({
      copied: (name) => done.set(name, Date.now()),
      jobs,
      manifest,
      ...repo,
      compressType: 'none',
      log,
      copyStart,
    });
    expect(done.get(old.name)!).toBeLessThan(copyStart);
    expect(done.get(recent.name)!).toBeGreaterThanOrEqual(copyStart + 50);
    expect(manifest.files.map((f) => f.checksum)).toEqual(manifest.files.map((f) => createHash('sha1').update(f.name).digest('hex')));
  });

  it('lets a file be read once a whole second has begun after its mtime, and never later than copy start', () => {
    const copyStart = 1_700_000_010_000;
    expect(readyToCopy(1_700_000_000, copyStart)).toBe(1_700_000_001_050);
    expect(readyToCopy(1_700_000_009, copyStart)).toBe(copyStart + 50);
    expect(readyToCopy(1_700_000_042, copyStart)).toBe(copyStart + 50);
  });
});

describe('compressThreads', () => {
  it('lets a large zst or gz file use every core only when process-max is above them, nothing else more than one thread', () => {
    for (const type of ['zst', 'gz'] as const) {
      for (const pm of [2, 4, 8, 64]) {
        const threads = workerThreads(pm);
        expect(compressThreads(type, pm), `${type} process-max ${pm}`).toBe(pm > threads ? threads : 1);
      }
      expect(compressThreads(type, 1)).toBe(1);
    }
    for (const type of ['lz4', 'bz2', 'none'] as const) expect(compressThreads(type, 64)).toBe(1);
  });
});
