import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAll } from '../../src/backup/file-stream.js';
import { startWriteback } from '../../src/storage/writeback.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { REPO_ROOT } from '../harness/run.js';

afterAll(() => removeAllTempDirs());

describe('startWriteback', () => {
  const built = existsSync(join(REPO_ROOT, 'dist', 'writeback.node')) && process.env.PGBR_WRITEBACK !== '0';

  it('asks the kernel to write a dirty file when the addon is built, and does nothing otherwise', () => {
    const file = join(makeTempDir('pgbr-writeback-'), 'f');
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, Buffer.alloc(256 * 1024, 7));
      expect(startWriteback(fd)).toBe(built);
    } finally {
      closeSync(fd);
    }
  });

  it('reports a bad descriptor or range as not done instead of throwing', () => {
    expect(startWriteback(-1)).toBe(false);
    expect(startWriteback(1_000_000)).toBe(false);
    const fd = openSync(join(makeTempDir('pgbr-writeback-'), 'f'), 'w');
    try {
      expect(startWriteback(fd, -1, 0)).toBe(false);
      expect(startWriteback(fd, 0, -1)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  it('hints a byte range, and writeAll hints each step of a large file without changing its bytes', async () => {
    const file = join(makeTempDir('pgbr-writeback-'), 'f');
    const fd = openSync(file, 'w');
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1024 * 1024 + i, i));
    try {
      await writeAll(fd, file, chunks, true);
      expect(startWriteback(fd, 1024 * 1024, 4096)).toBe(built);
      expect(startWriteback(fd, 3 * 1024 * 1024, 0)).toBe(built);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
  });
});
