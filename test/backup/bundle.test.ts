import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupBundle } from '../../src/backup/bundle.js';
import { planBundles } from '../../src/backup/copy.js';
import type { BackupFileCopied, BackupFileJob } from '../../src/backup/file.js';
import type { CopyJob } from '../../src/backup/manifest-jobs.js';
import { decompressSync, type CompressType } from '../../src/io/compress.js';
import { decryptBuffer } from '../../src/io/cipher-key.js';
import { readAll } from '../../src/io/buffer-sink.js';
import { sha1Hex } from '../../src/io/hash.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { removeAllTempDirs } from '../harness/tmp.js';
import { sampleData } from '../io/helpers.js';
import { fileEnv } from './file-harness.js';

afterAll(() => removeAllTempDirs());

const PASS = 'b14XWnAd8PXed+DEPAeDJKhhwvQP8a5JfPfdKZOQ0chW5do8WSQ/lg9Vgikeg2s1';

function copyJob(name: string, size: number, queue = 0): CopyJob {
  return { name, pgFile: `/pg/${name}`, size, checksumPage: false, segmentNo: 0, queue };
}

describe('planBundles', () => {
  const names = (groups: CopyJob[][]): string[][] => groups.map((g) => g.map((j) => j.name));

  it('puts files over the limit alone, largest first, then bundles the rest oldest first, ties by name descending', () => {
    const jobs = [copyJob('a', 5), copyJob('big2', 300), copyJob('b', 5), copyJob('c', 7), copyJob('big1', 500), copyJob('d', 6)];
    const ts: Record<string, number> = { a: 20, b: 20, c: 10, d: 30, big1: 1, big2: 2 };
    const groups = planBundles(jobs, { size: 100, limit: 10 }, (j) => ts[j.name]!);
    expect(names(groups)).toEqual([['big1'], ['big2'], ['c', 'b', 'a', 'd']]);
  });

  it('skips a file that would reach the bundle size and takes later ones that fit, as 2.45 does', () => {
    // sizes in queue (timestamp) order: 40, 40, 30 (40+40+30 >= 100: skipped), 10 (fits), 25 (no)
    const jobs = [copyJob('f1', 40), copyJob('f2', 40), copyJob('f3', 30), copyJob('f4', 10), copyJob('f5', 25)];
    const groups = planBundles(jobs, { size: 100, limit: 50 }, (j) => Number(j.name.slice(1)));
    expect(names(groups)).toEqual([['f1', 'f2', 'f4'], ['f3', 'f5']]);
    // a total of exactly the bundle size is not allowed either: 60 + 40 is skipped
    const exact = planBundles([copyJob('g1', 60), copyJob('g2', 40), copyJob('g3', 39)], { size: 100, limit: 60 }, (j) => Number(j.name.slice(1)));
    expect(names(exact)).toEqual([['g1', 'g3'], ['g2']]);
  });

  it('keeps each queue (pg_data, then each tablespace) in its own bundles', () => {
    const jobs = [copyJob('t1', 5, 1), copyJob('p1', 5, 0), copyJob('t2', 5, 1), copyJob('p2', 5, 0)];
    const groups = planBundles(jobs, { size: 100, limit: 10 }, () => 0);
    expect(names(groups)).toEqual([['p2', 'p1'], ['t2', 't1']]);
  });
});

describe('backupBundle', () => {
  const env = fileEnv();
  const files = [sampleData(5000, 1), sampleData(70_000, 2), Buffer.from('x'), sampleData(1_500_000, 3)];
  const paths = files.map((d, i) => env.source(`base/1/${1000 + i}`, d));
  const job = (pgFile: string, size: number, over: Partial<BackupFileJob> = {}): BackupFileJob => ({
    pgFile, pgFileSize: size, pgFileChecksumPage: false, repoFile: 'unused', compressType: 'gz', ...over,
  });

  const cases: Array<{ type: CompressType; cipherPass?: string; repo: 'posix' | 'memory' }> = [
    { type: 'gz', repo: 'posix' },
    { type: 'lz4', repo: 'memory' },
    { type: 'none', repo: 'posix' },
    { type: 'zst', cipherPass: PASS, repo: 'memory' },
  ];
  for (const c of cases) {
    it(`stores each file as its own ${c.type}${c.cipherPass ? ' encrypted' : ''} stream in one ${c.repo} bundle`, async () => {
      const memory = new MemoryStorage();
      const repo = c.repo === 'posix' ? env.repo : memory;
      const repoFile = `set/bundle/${c.type}`;
      const r = await backupBundle(
        { repoFile, bundleId: 7, files: paths.map((p, i) => job(p, files[i]!.length, { compressType: c.type, cipherPass: c.cipherPass })) },
        repo,
        env.pg,
      );
      expect(r.bundleId).toBe(7);
      const bundle = c.repo === 'posix' ? readFileSync(join(env.repoPath, repoFile)) : await readAll((await memory.read(repoFile))!);
      let end = 0;
      for (const [i, f] of r.files.entries()) {
        const copied = f as BackupFileCopied & { bundleOffset: number };
        expect(copied.copied).toBe(true);
        expect(copied.bundleOffset).toBe(end);
        const cut = bundle.subarray(copied.bundleOffset, copied.bundleOffset + copied.repoSize);
        end += copied.repoSize;
        const plain = c.cipherPass === undefined ? cut : decryptBuffer(cut, c.cipherPass);
        expect(decompressSync(c.type, plain).equals(files[i]!)).toBe(true);
        expect(copied.checksum).toBe(sha1Hex(files[i]!));
        expect(copied.rck).toBe(c.type === 'none' && c.cipherPass === undefined ? undefined : sha1Hex(cut));
      }
      expect(bundle.length).toBe(end);
    });
  }

  it('leaves out a vanished file and one that matches its prior copy, and writes no bundle when nothing is left', async () => {
    const gone = join(env.pgData, 'base/1/gone');
    const matched = job(paths[0]!, files[0]!.length, { checksumCompare: { checksum: sha1Hex(files[0]!), size: files[0]!.length } });
    const r = await backupBundle({ repoFile: 'set/bundle/9', bundleId: 9, files: [matched, job(gone, 10), job(paths[2]!, 1)] }, env.repo, env.pg);
    expect(r.files[0]).toEqual({ copied: false, matched: true, size: files[0]!.length, checksum: sha1Hex(files[0]!) });
    expect(r.files[1]).toEqual({ copied: false, skipped: 'missing' });
    expect(r.files[2]).toMatchObject({ copied: true, size: 1, bundleOffset: 0 });

    const none = await backupBundle({ repoFile: 'set/bundle/10', bundleId: 10, files: [matched, job(gone, 10)] }, env.repo, env.pg);
    expect(none.files.map((f) => f.copied)).toEqual([false, false]);
    expect(existsSync(join(env.repoPath, 'set/bundle/10'))).toBe(false);
  });
});
