import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAll } from '../../src/backup/file-stream.js';
import { dropBehind, startWriteback, syncPath, WRITEBACK_STEP } from '../../src/storage/writeback.js';
import { PosixStorage } from '../../src/storage/posix.js';
import type { PgbrError } from '../../src/error/error.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { REPO_ROOT } from '../harness/run.js';

afterAll(() => removeAllTempDirs());

/** The addon is there and not turned off: its calls report work done. */
const built = existsSync(join(REPO_ROOT, 'dist', 'writeback.node')) && process.env.PGBR_WRITEBACK !== '0';

describe('startWriteback', () => {
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

/** Bytes of `file` in the page cache, from util-linux's fincore; undefined where it is missing. */
function cachedBytes(file: string): number | undefined {
  try {
    return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

describe('dropBehind', () => {
  it('writes a range and drops it from the page cache when the addon is built; bad arguments are not done', () => {
    const file = join(makeTempDir('pgbr-drop-'), 'f');
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, Buffer.alloc(4 * 1024 * 1024, 7));
      expect(dropBehind(fd, 0, 2 * 1024 * 1024)).toBe(built);
      if (built && cachedBytes(file) !== undefined) expect(cachedBytes(file)).toBeLessThanOrEqual(2 * 1024 * 1024);
      expect(dropBehind(-1, 0, 4096)).toBe(false);
      expect(dropBehind(fd, -1, 4096)).toBe(false);
      expect(dropBehind(fd, 0, 0)).toBe(false);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file).equals(Buffer.alloc(4 * 1024 * 1024, 7))).toBe(true);
  });

  it.skipIf(!built || cachedBytes('/proc/self/exe') === undefined)('writeAll with writeback keeps only the last steps of a large file cached', async () => {
    const file = join(makeTempDir('pgbr-drop-'), 'f');
    const fd = openSync(file, 'w');
    const step = WRITEBACK_STEP;
    const chunks = [...Array.from({ length: 6 }, (_, i) => Buffer.alloc(step, i + 1)), Buffer.alloc(step / 2, 9)];
    try {
      await writeAll(fd, file, chunks, true);
      // each step is hinted once written and dropped at the next hint: the last one and the
      // half step after it (never hinted) are all that is left
      // (at most: memory pressure may evict more)
      expect(cachedBytes(file)).toBeLessThanOrEqual(step + step / 2);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
    const plain = join(makeTempDir('pgbr-drop-'), 'g');
    const fd2 = openSync(plain, 'w');
    try {
      await writeAll(fd2, plain, chunks, false);
      // without writeback nothing is dropped: far more than the steps kept above, unless memory is short
      expect(cachedBytes(plain)).toBeGreaterThan(3 * step);
    } finally {
      closeSync(fd2);
    }
  });
});

describe('syncPath', () => {
  it('syncs a file and a directory in one pool job when the addon is built, and is not there otherwise', async () => {
    const dir = makeTempDir('pgbr-sync-');
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    const synced = syncPath(file);
    expect(synced === undefined).toBe(!built);
    if (!built) return;
    await expect(synced).resolves.toBeUndefined();
    await expect(syncPath(dir)).resolves.toBeUndefined();
  });

  it.skipIf(!built)("rejects like Node's calls: code, negative errno and the call that failed", async () => {
    const dir = makeTempDir('pgbr-sync-');
    const missing = await syncPath(join(dir, 'none'))!.catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open' });
    writeFileSync(join(dir, 'file'), 'x');
    const notDir = await syncPath(join(dir, 'file', 'below'))!.catch((e: unknown) => e);
    expect(notDir).toMatchObject({ code: 'ENOTDIR', errno: -20, syscall: 'open' });
  });

  it("gives the posix driver's sync errors pgBackRest's texts", async () => {
    const dir = makeTempDir('pgbr-sync-');
    writeFileSync(join(dir, 'file'), 'x');
    const s = new PosixStorage(dir);
    await s.fileSync('file');
    const missing = (await s.fileSync('none').catch((e: unknown) => e)) as PgbrError;
    expect([missing.type, missing.message]).toEqual(['FileMissingError', `unable to open missing file '${dir}/none' for sync`]);
    const notDir = (await s.pathSync('file/below').catch((e: unknown) => e)) as PgbrError;
    expect([notDir.type, notDir.message]).toEqual(['PathOpenError', `unable to open path '${dir}/file/below' for sync: [20] Not a directory`]);
  });
});
