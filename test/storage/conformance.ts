import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgbrError } from '../../src/error/error.js';
import type { StorageDriver } from '../../src/storage/storage.js';

export interface DriverUnderTest {
  driver: StorageDriver;
  cleanup: () => Promise<void>;
  /** Raw names of everything the driver stored (files, keys), to prove no leftovers. */
  rawNames?: () => Promise<string[]>;
}

export async function readAll(s: Readable | null): Promise<Buffer> {
  if (s === null) throw new Error('expected a stream');
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream of `total` deterministic bytes in 1 MiB chunks, failing after `failAfter` bytes if set. */
export function patternStream(total: number, failAfter?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter) {
        this.destroy(new Error('source failed on purpose'));
        return;
      }
      if (sent >= total) return void this.push(null);
      const n = Math.min(1024 * 1024, total - sent);
      const buf = Buffer.alloc(n);
      for (let i = 0; i < n; i++) buf[i] = (sent + i) % 251;
      sent += n;
      this.push(buf);
    },
  });
}

function sha1(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}

function names(list: { name: string }[]): string[] {
  return list.map((i) => i.name).sort();
}

async function expectError(p: Promise<unknown>, type: string, message?: RegExp): Promise<PgbrError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(PgbrError);
  expect((e as PgbrError).type).toBe(type);
  if (message) expect((e as PgbrError).message).toMatch(message);
  return e as PgbrError;
}

/** The storage contracts of src/storage/storage.ts, run against one driver. */
export function runConformance(name: string, makeDriver: () => Promise<DriverUnderTest>): void {
  describe(`storage conformance: ${name}`, () => {
    let t: DriverUnderTest;
    let s: StorageDriver;
    beforeAll(async () => {
      t = await makeDriver();
      s = t.driver;
    });
    afterAll(async () => {
      await t?.cleanup();
    });

    it('round-trips a small buffer and overwrites it', async () => {
      await s.write('rt/small.txt', Buffer.from('hello world'));
      expect((await readAll(await s.read('rt/small.txt'))).toString()).toBe('hello world');
      await s.write('rt/small.txt', Buffer.from('second'));
      expect((await readAll(await s.read('rt/small.txt'))).toString()).toBe('second');
      const info = await s.info('rt/small.txt');
      expect(info).toMatchObject({ name: 'small.txt', type: 'file', size: 6 });
      expect(Math.abs(info!.timeModified - Date.now() / 1000)).toBeLessThan(120);
    });

    it('round-trips an empty file', async () => {
      await s.write('rt/empty', Buffer.alloc(0));
      expect((await readAll(await s.read('rt/empty'))).length).toBe(0);
      expect(await s.info('rt/empty')).toMatchObject({ type: 'file', size: 0 });
    });

    it('streams more than 10 MiB in and out', async () => {
      const total = 11 * 1024 * 1024 + 123;
      const expected = await readAll(patternStream(total));
      await s.write('big/stream.bin', patternStream(total));
      const back = await readAll(await s.read('big/stream.bin'));
      expect(back.length).toBe(total);
      expect(sha1(back)).toBe(sha1(expected));
      expect(await s.info('big/stream.bin')).toMatchObject({ size: total });
    });

    it('writes a large buffer in one call', async () => {
      const buf = randomBytes(6 * 1024 * 1024 + 7);
      await s.write('big/buffer.bin', buf);
      expect(sha1(await readAll(await s.read('big/buffer.bin')))).toBe(sha1(buf));
    });

    it('reads with offset and limit', async () => {
      await s.write('range/f', Buffer.from('0123456789'));
      expect((await readAll(await s.read('range/f', { offset: 3 }))).toString()).toBe('3456789');
      expect((await readAll(await s.read('range/f', { offset: 2, limit: 4 }))).toString()).toBe('2345');
      expect((await readAll(await s.read('range/f', { limit: 3 }))).toString()).toBe('012');
      expect((await readAll(await s.read('range/f', { offset: 5, limit: 0 }))).toString()).toBe('');
      expect((await readAll(await s.read('range/f', { offset: 8, limit: 100 }))).toString()).toBe('89');
    });

    it('reports a missing file on read, or null with ignoreMissing', async () => {
      const e = await expectError(s.read('missing/none.txt'), 'FileMissingError', /^unable to open missing file '.*missing\/none\.txt' for read$/);
      expect(e.code).toBe(55);
      expect(await s.read('missing/none.txt', { ignoreMissing: true })).toBeNull();
      await expectError(s.read('missing/none.txt', { offset: 1, limit: 0 }), 'FileMissingError');
    });

    it('lists non-recursively, recursively and by expression', async () => {
      await s.write('ls/a.txt', Buffer.from('a'));
      await s.write('ls/b.dat', Buffer.from('bb'));
      await s.write('ls/sub/c.txt', Buffer.from('ccc'));
      await s.write('ls/sub/deep/d.txt', Buffer.from('dddd'));
      await s.write('ls/only/deeper/e.txt', Buffer.from('e'));
      const flat = await s.list('ls');
      expect(names(flat)).toEqual(['a.txt', 'b.dat', 'only', 'sub']);
      expect(flat.find((i) => i.name === 'b.dat')).toMatchObject({ type: 'file', size: 2 });
      expect(flat.find((i) => i.name === 'sub')).toMatchObject({ type: 'path', size: 0 });
      expect(names(await s.list('ls', { recurse: true }))).toEqual([
        'a.txt', 'b.dat', 'only', 'only/deeper', 'only/deeper/e.txt', 'sub', 'sub/c.txt', 'sub/deep', 'sub/deep/d.txt',
      ]);
      expect(names(await s.list('ls', { expression: /\.txt$/ }))).toEqual(['a.txt']);
      expect(names(await s.list('ls', { recurse: true, expression: /\.txt$/ }))).toEqual([
        'a.txt', 'only/deeper/e.txt', 'sub/c.txt', 'sub/deep/d.txt',
      ]);
      expect(await s.list('ls/nothing-here')).toEqual([]);
      expect(names(await s.list('ls/'))).toEqual(names(flat));
    });

    it('lists more than one page of entries', async () => {
      const n = 1050;
      const payload = Buffer.from('x');
      for (let i = 0; i < n; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => s.write(`many/f${String(i + j).padStart(4, '0')}`, payload)));
      }
      await s.write('many/zz/inner', payload);
      const flat = await s.list('many');
      expect(flat.length).toBe(n + 1);
      expect(flat.filter((i) => i.type === 'path').map((i) => i.name)).toEqual(['zz']);
      expect((await s.list('many', { recurse: true })).length).toBe(n + 2);
    }, 180_000);

    it('gives info for file, path and missing', async () => {
      await s.write('inf/dir/file', Buffer.from('12345'));
      expect(await s.info('inf/dir/file')).toMatchObject({ name: 'file', type: 'file', size: 5 });
      expect(await s.info('inf/dir')).toMatchObject({ name: 'dir', type: 'path', size: 0 });
      expect(await s.info('inf')).toMatchObject({ name: 'inf', type: 'path' });
      expect(await s.info('inf/nope')).toBeNull();
      expect(await s.info('inf/di')).toBeNull();
    });

    it('tells a file from a path or nothing with fileExists', async () => {
      await s.write('fex/dir/file', Buffer.from('12345'));
      await s.write('fex/empty', Buffer.alloc(0));
      expect(await s.fileExists('fex/dir/file')).toBe(true);
      expect(await s.fileExists('fex/empty')).toBe(true);
      expect(await s.fileExists('fex/dir')).toBe(false);
      expect(await s.fileExists('fex')).toBe(false);
      expect(await s.fileExists('fex/nope')).toBe(false);
      expect(await s.fileExists('fex/di')).toBe(false);
      expect(await s.fileExists('fex/dir/file/below')).toBe(false);
      await s.remove('fex/dir/file');
      expect(await s.fileExists('fex/dir/file')).toBe(false);
    });

    it('tells a path from a file or nothing with pathExists', async () => {
      await s.write('pex/dir/sub/file', Buffer.from('12345'));
      expect(await s.pathExists('pex/dir/sub')).toBe(true);
      expect(await s.pathExists('pex/dir')).toBe(true);
      expect(await s.pathExists('pex')).toBe(true);
      expect(await s.pathExists('')).toBe(true);
      expect(await s.pathExists('pex/dir/sub/file')).toBe(false);
      expect(await s.pathExists('pex/di')).toBe(false);
      expect(await s.pathExists('pex/nope')).toBe(false);
      expect(await s.pathExists('pex/dir/sub/file/below')).toBe(false);
    });

    it('removes files, missing ok unless errorOnMissing', async () => {
      await s.write('rm/f', Buffer.from('x'));
      await s.remove('rm/f');
      expect(await s.info('rm/f')).toBeNull();
      await s.remove('rm/f');
      await expectError(s.remove('rm/f', { errorOnMissing: true }), 'FileMissingError', /rm\/f/);
    });

    it('removes nested paths, missing ok', async () => {
      await s.write('prm/x/1', Buffer.from('1'));
      await s.write('prm/x/y/2', Buffer.from('2'));
      await s.write('prm/x/y/z/3', Buffer.from('3'));
      await s.write('prm/keep', Buffer.from('k'));
      await s.write('prm/x-sibling', Buffer.from('s'));
      await s.pathRemove('prm/x');
      expect(await s.info('prm/x')).toBeNull();
      expect(await s.list('prm/x', { recurse: true })).toEqual([]);
      expect(names(await s.list('prm'))).toEqual(['keep', 'x-sibling']);
      await s.pathRemove('prm/x');
      await s.pathRemove('prm/never-existed');
    });

    it('leaves nothing at the path when the source stream fails', async () => {
      await expect(s.write('fail/partial.bin', patternStream(20 * 1024 * 1024, 7 * 1024 * 1024))).rejects.toThrow(
        'source failed on purpose',
      );
      expect(await s.info('fail/partial.bin')).toBeNull();
      expect(await s.read('fail/partial.bin', { ignoreMissing: true })).toBeNull();
      if (t.rawNames) expect((await t.rawNames()).filter((n) => n.includes('partial'))).toEqual([]);
    });

    it('keeps the old content when an overwrite fails', async () => {
      await s.write('fail/keep.bin', Buffer.from('original'));
      await expect(s.write('fail/keep.bin', patternStream(1024 * 1024 * 3, 1024 * 1024))).rejects.toThrow();
      expect((await readAll(await s.read('fail/keep.bin'))).toString()).toBe('original');
    });

    it('handles names with spaces, = and other punctuation', async () => {
      const odd = 'odd/a b=c/file name=1+2 (x)&y%.txt';
      await s.write(odd, Buffer.from('odd'));
      expect((await readAll(await s.read(odd))).toString()).toBe('odd');
      expect(names(await s.list('odd'))).toEqual(['a b=c']);
      expect(names(await s.list('odd/a b=c'))).toEqual(['file name=1+2 (x)&y%.txt']);
      await s.remove(odd);
      expect(await s.info(odd)).toBeNull();
    });

    it('rejects invalid paths', async () => {
      await expectError(s.read('/abs'), 'AssertError');
      await expectError(s.read('a/../b'), 'AssertError');
      await expectError(s.write('a//b', Buffer.from('x')), 'AssertError');
    });
  });
}
