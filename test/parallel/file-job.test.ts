import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPgbrError } from '../../src/error/error.js';
import { decompressSync } from '../../src/io/compress.js';
import { workerJobRunner, type SegmentResult, type WorkerJob } from '../../src/parallel/file-job.js';
import { PG_WAL_HEADER_SIZE } from '../../src/postgres/wal.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

afterAll(() => removeAllTempDirs());

describe('worker job runner', () => {
  it('reads, hashes and compresses a segment without any repo storage (the async archiver)', async () => {
    const dir = makeTempDir('pgbr-segjob-');
    const runner = await workerJobRunner(undefined);
    try {
      // Sizes that make the reader's kept buffer grow, then serve a shorter file, then an empty one.
      const files = [700_000, 2_000_000, 100_000, 0].map((size, i) => {
        const data = Buffer.from(`${i}123456789abcdef`.repeat(Math.ceil(size / 16)).slice(0, size));
        const path = join(dir, `seg${i}`);
        writeFileSync(path, data);
        return { path, data };
      });
      for (const compressType of ['gz', 'lz4', 'zst', 'bz2', 'none'] as const) {
        for (const { path, data } of files) {
          const job: WorkerJob = { kind: 'segment', job: { path, compressType, level: 1 } };
          const r = (await runner.run(job)) as SegmentResult;
          const out = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length);
          expect(r.size, compressType).toBe(data.length);
          expect(r.sha1).toBe(createHash('sha1').update(data).digest('hex'));
          expect(Buffer.from(r.head).equals(data.subarray(0, PG_WAL_HEADER_SIZE))).toBe(true);
          if (compressType !== 'none' && data.length > 0) expect(out.length, compressType).toBeLessThan(data.length / 10);
          expect(decompressSync(compressType, out).equals(data), `${compressType} ${data.length}`).toBe(true);
          // The data goes back by moving its memory only when it owns all of it.
          const moved = runner.transfer?.(r) ?? [];
          const owns = r.data.byteOffset === 0 && r.data.byteLength === r.data.buffer.byteLength;
          expect(moved, `${compressType} ${data.length}`).toEqual(owns ? [r.data.buffer] : []);
        }
      }
      // Segments are the same size in practice: the 2 MB one is the largest and the common case.
      const big = (await runner.run({ kind: 'segment', job: { path: files[1].path, compressType: 'none' } })) as SegmentResult;
      expect(runner.transfer?.(big)).toEqual([big.data.buffer]);
    } finally {
      await runner.close();
    }
  });

  it('reports a missing segment as pgBackRest does', async () => {
    const runner = await workerJobRunner(undefined);
    try {
      const path = join(makeTempDir('pgbr-segjob-'), '000000010000000000000001');
      const e = await runner.run({ kind: 'segment', job: { path, compressType: 'lz4' } }).catch((x: unknown) => x);
      expect(isPgbrError(e, 'FileMissingError'), String(e)).toBe(true);
      expect((e as Error).message).toBe(`unable to open missing file '${path}' for read`);
    } finally {
      await runner.close();
    }
  });

  it('refuses file jobs when it was given no repo storage', async () => {
    const runner = await workerJobRunner(undefined);
    try {
      const job = { kind: 'restore', job: { name: 'x', pgFile: '/nonexistent/x', size: 1, checksum: '', mode: 0o600, timestamp: 0, repoFile: 'x', compressType: 'none' } } as WorkerJob;
      const e = await runner.run(job).catch((x: unknown) => x);
      expect(isPgbrError(e, 'AssertError'), String(e)).toBe(true);
      expect((e as Error).message).toBe('file worker has no repo storage');
    } finally {
      await runner.close();
    }
  });
});
