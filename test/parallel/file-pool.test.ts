import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupFileCopied } from '../../src/backup/file.js';
import type { CompressType } from '../../src/io/compress.js';
import { sha1Hex } from '../../src/io/hash.js';
import { fileJobPath, type FileJob, type FileJobResult } from '../../src/parallel/file-job.js';
import { defaultWorkerModule, runFileJobs, sortLargestFirst, WORKER_FILE } from '../../src/parallel/file-pool.js';
import { storageFromDescription } from '../../src/parallel/storage-desc.js';
import { PosixStorage } from '../../src/storage/posix.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { sampleData } from '../io/helpers.js';
import { buildEntries } from './build.js';

const PASS = 'b14XWnAd8PXed+DEPAeDJKhhwvQP8a5JfPfdKZOQ0chW5do8WSQ/lg9Vgikeg2s1';
let built: Awaited<ReturnType<typeof buildEntries>>;
beforeAll(async () => {
  built = await buildEntries({ 'pgbackrest-worker': 'src/parallel/worker.ts' });
});
afterAll(() => {
  built?.remove();
  removeAllTempDirs();
});

const TYPES: CompressType[] = ['gz', 'lz4', 'zst', 'bz2', 'none', 'zst'];

function setup(): { dir: string; repoPath: string; files: Array<{ path: string; data: Buffer }> } {
  const dir = makeTempDir('pgbr-fpool-');
  const repoPath = join(dir, 'repo');
  mkdirSync(join(dir, 'pg'), { recursive: true });
  const files = TYPES.map((_, i) => ({ path: join(dir, 'pg', `f${i}`), data: sampleData(20_000 + i * 150_000, i + 1) }));
  for (const f of files) writeFileSync(f.path, f.data);
  return { dir, repoPath, files };
}

function backupJobs(files: Array<{ path: string; data: Buffer }>): FileJob[] {
  return files.map((f, i) => ({
    kind: 'backup',
    job: { pgFile: f.path, pgFileSize: f.data.length, pgFileChecksumPage: false, repoFile: `b/f${i}`, compressType: TYPES[i]!,
      cipherPass: i % 2 === 0 ? PASS : undefined },
  }));
}

async function run(processMax: number, jobs: FileJob[], repoPath: string): Promise<Array<{ job: FileJob; result: FileJobResult; pid: number }>> {
  const out: Array<{ job: FileJob; result: FileJobResult; pid: number }> = [];
  await runFileJobs(jobs, {
    processMax,
    storage: { type: 'posix', path: repoPath },
    workerModule: processMax > 1 ? built.url('pgbackrest-worker') : undefined,
    onResult: (result, job, pid) => void out.push({ job, result, pid }),
  });
  return out;
}

describe('file pool', () => {
  for (const processMax of [1, 2]) {
    it(`backs up and restores with process-max ${processMax}, every codec, encrypted and not`, async () => {
      const { repoPath, files } = setup();
      const backups = await run(processMax, backupJobs(files), repoPath);
      const sizes = backups.map((b) => (b.job.kind === 'backup' ? b.job.job.pgFileSize : 0));
      const largestFirst = files.map((f) => f.data.length).sort((a, b) => b - a);
      // one process reports in queue order; with two, completion order may differ
      expect(processMax === 1 ? sizes : [...sizes].sort((a, b) => b - a)).toEqual(largestFirst);
      expect(new Set(backups.map((b) => b.pid))).toEqual(new Set(processMax === 1 ? [1] : [1, 2]));
      const restoreJobs: FileJob[] = backups.map(({ job, result }) => {
        if (job.kind !== 'backup') throw new Error('unexpected job');
        const r = result as BackupFileCopied;
        const data = readFileSync(job.job.pgFile);
        expect(r).toMatchObject({ copied: true, size: data.length, checksum: sha1Hex(data) });
        return {
          kind: 'restore',
          job: { name: job.job.repoFile, pgFile: `${job.job.pgFile}.restored`, size: r.size, checksum: r.checksum, mode: 0o600,
            timestamp: 1795650900, repoFile: job.job.repoFile, compressType: job.job.compressType, cipherPass: job.job.cipherPass },
        };
      });
      const restored = await run(processMax, restoreJobs, repoPath);
      expect(restored.every((r) => (r.result as { written: boolean }).written)).toBe(true);
      for (const f of files) expect(readFileSync(`${f.path}.restored`).equals(f.data)).toBe(true);
    });
  }

  it('rejects with the first job error as a PgbrError', async () => {
    const { repoPath, files } = setup();
    const jobs = backupJobs(files);
    jobs.push({ kind: 'restore', job: { name: 'pg_data/x', pgFile: join(repoPath, '..', 'x'), size: 5, checksum: sha1Hex('12345'),
      mode: 0o600, timestamp: 0, repoFile: 'missing', compressType: 'gz' } });
    await expect(run(2, jobs, repoPath)).rejects.toMatchObject({ type: 'FileMissingError' });
  });

  it('orders jobs largest first, equal sizes by descending path', () => {
    const j = (pgFile: string, size: number): FileJob => ({
      kind: 'backup', job: { pgFile, pgFileSize: size, pgFileChecksumPage: false, repoFile: pgFile, compressType: 'gz' } });
    const sorted = sortLargestFirst([j('/d/base/1/2838', 5), j('/d/base/1/1255', 7), j('/d/base/4/1255', 7), j('/d/x', 1)]);
    expect(sorted.map(fileJobPath)).toEqual(['/d/base/4/1255', '/d/base/1/1255', '/d/base/1/2838', '/d/x']);
  });

  it('finds the worker entry next to the bundle', () => {
    const dir = makeTempDir('pgbr-wm-');
    expect(() => defaultWorkerModule(`file://${dir}/main.cjs`)).toThrow(WORKER_FILE);
    writeFileSync(join(dir, WORKER_FILE), '');
    expect(defaultWorkerModule(`file://${dir}/main.cjs`).pathname).toBe(join(dir, WORKER_FILE));
  });

  it('builds a posix driver from its description', async () => {
    const d = await storageFromDescription({ type: 'posix', path: '/tmp' });
    expect(d).toBeInstanceOf(PosixStorage);
    expect((d as PosixStorage).root).toBe('/tmp');
  });
});
