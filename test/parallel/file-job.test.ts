import { describe, expect, it } from 'vitest';
import { isPgbrError } from '../../src/error/error.js';
import { decompressSync } from '../../src/io/compress.js';
import { workerJobRunner, type CompressResult, type WorkerJob } from '../../src/parallel/file-job.js';

describe('worker job runner', () => {
  it('compresses in-memory bytes without any repo storage (the async archiver)', async () => {
    const runner = await workerJobRunner(undefined);
    try {
      const data = Buffer.from('0123456789abcdef'.repeat(40_000));
      for (const compressType of ['gz', 'lz4', 'zst', 'bz2', 'none'] as const) {
        // a plain Uint8Array, as a job arrives in a worker after structured cloning
        const job: WorkerJob = { kind: 'compress', job: { data: new Uint8Array(data), compressType, level: 1 } };
        const r = (await runner.run(job)) as CompressResult;
        const out = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length);
        if (compressType !== 'none') expect(out.length, compressType).toBeLessThan(data.length / 10);
        expect(decompressSync(compressType, out).equals(data), compressType).toBe(true);
      }
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
