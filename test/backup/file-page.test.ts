import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { backupFile, type BackupFileCopied, type BackupFileJob } from '../../src/backup/file.js';
import { FailedPageCapture } from '../../src/backup/file-page.js';
import { PAGE_SIZE, PageChecksumFilter, SEGMENT_PAGES } from '../../src/io/page-checksum.js';
import { through } from '../io/helpers.js';
import { removeAllTempDirs } from '../harness/tmp.js';
import { fileEnv } from './file-harness.js';

afterAll(() => removeAllTempDirs());

const FIXTURES = new URL('../fixtures/io/', import.meta.url);
// a real PG15 page checksummed for block 0 and one for block 3
const page0 = readFileSync(new URL('pg15-global-1262.page', FIXTURES));
const page3 = readFileSync(new URL('pg15-1249-block3.page', FIXTURES));
const relation = (): Buffer => Buffer.concat([page0, Buffer.alloc(PAGE_SIZE * 2), page3]);

function job(pgFile: string, size: number): BackupFileJob {
  return { pgFile, pgFileSize: size, pgFileChecksumPage: true, repoFile: `r/${pgFile.split('/').pop()}.gz`, compressType: 'gz' };
}

function flip(buf: Buffer, block: number, at = 3000): Buffer {
  const out = Buffer.from(buf);
  out[block * PAGE_SIZE + at]! ^= 0x01;
  return out;
}

describe('backupFile page checksums', () => {
  const env = fileEnv();

  it('reports valid pages as valid', async () => {
    const src = env.source('base/1/100', relation());
    const r = (await backupFile(job(src, 4 * PAGE_SIZE), env.repo, env.pg)) as BackupFileCopied;
    expect(r.pageChecksum).toEqual({ valid: true, align: true, errors: [] });
  });

  it('reports a flipped byte on its block, after reading that page again', async () => {
    const src = env.source('base/1/101', flip(relation(), 0));
    env.pg.reads.length = 0;
    const r = (await backupFile(job(src, 4 * PAGE_SIZE), env.repo, env.pg)) as BackupFileCopied;
    expect(r.pageChecksum).toEqual({ valid: false, align: true, errors: [0] });
    expect(env.pg.reads.map((x) => x.opts)).toEqual([
      { ignoreMissing: true, limit: 4 * PAGE_SIZE },
      { ignoreMissing: true, offset: 0, limit: PAGE_SIZE },
    ]);
  });

  for (const chunk of [1000, 5000, 8191, 8193, 70_000]) {
    it(`captures the copied bytes of failing pages with ${chunk}-byte chunks`, async () => {
      const file = flip(flip(Buffer.concat([relation(), page3, page0]), 0), 3);
      const f = new PageChecksumFilter(0);
      const cap = new FailedPageCapture(f, 0);
      expect((await through(file, [f, cap], chunk)).equals(file)).toBe(true);
      expect(f.failedBlocks).toEqual([0, 3, 4, 5]);
      expect([...cap.pages.keys()]).toEqual([0, 3, 4, 5]);
      for (const [block, bytes] of cap.pages) expect(bytes.equals(file.subarray(block * PAGE_SIZE, (block + 1) * PAGE_SIZE))).toBe(true);
    });
  }

  it('collapses runs of failing blocks', async () => {
    const file = flip(flip(flip(Buffer.concat([relation(), page3, page3]), 0), 3), 5);
    const src = env.source('base/1/102', file);
    const r = (await backupFile(job(src, file.length), env.repo, env.pg)) as BackupFileCopied;
    // block 4 holds a page checksummed for block 3: invalid too
    expect(r.pageChecksum).toEqual({ valid: false, align: true, errors: [0, [3, 5]] });
  });

  it('drops a failing page whose bytes changed on disk since the copy (PostgreSQL writing it)', async () => {
    const file = flip(flip(relation(), 0), 3);
    const src = env.source('base/1/103', file);
    env.pg.beforeRead = (_path, opts) => {
      if (opts.offset === 3 * PAGE_SIZE) writeFileSync(src, flip(file, 3, 5000));
    };
    try {
      const r = (await backupFile(job(src, file.length), env.repo, env.pg)) as BackupFileCopied;
      expect(r.pageChecksum).toEqual({ valid: false, align: true, errors: [0] });
    } finally {
      env.pg.beforeRead = undefined;
    }
  });

  it('numbers blocks of a later segment from segmentNo * 131072', async () => {
    const src = env.source('base/1/104.1', Buffer.concat([Buffer.alloc(PAGE_SIZE), page0]));
    const r = (await backupFile(job(src, 2 * PAGE_SIZE), env.repo, env.pg)) as BackupFileCopied;
    expect(r.pageChecksum).toEqual({ valid: false, align: true, errors: [SEGMENT_PAGES + 1] });
  });

  it('reports a misaligned file without an error list', async () => {
    const src = env.source('base/1/105', Buffer.concat([page0, Buffer.alloc(1000, 1)]));
    const r = (await backupFile(job(src, PAGE_SIZE + 1000), env.repo, env.pg)) as BackupFileCopied;
    expect(r.pageChecksum).toEqual({ valid: false, align: false, errors: [] });
  });

  it('treats an empty relation file as valid', async () => {
    const src = env.source('base/1/106', Buffer.alloc(0));
    const r = (await backupFile(job(src, 0), env.repo, env.pg)) as BackupFileCopied;
    expect(r.pageChecksum).toEqual({ valid: true, align: true, errors: [] });
  });
});
