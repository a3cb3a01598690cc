import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

  it('reports a bad descriptor as not done instead of throwing', () => {
    expect(startWriteback(-1)).toBe(false);
    expect(startWriteback(1_000_000)).toBe(false);
  });
});
