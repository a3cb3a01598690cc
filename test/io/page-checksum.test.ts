import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkPagesJs,
  checkPagesNative,
  collapseRanges,
  PageChecksumFilter,
  pageChecksum,
  pageValid,
  segmentNoOf,
  SEGMENT_PAGES,
} from '../../src/io/page-checksum.js';
import { through } from './helpers.js';

const FIXTURES = new URL('../fixtures/io/', import.meta.url);
// global/1262 (pg_database, block 0) and block 3 of base/1/1249 from a PG 15 `initdb -k` cluster
const page1262 = readFileSync(new URL('pg15-global-1262.page', FIXTURES));
const page1249b3 = readFileSync(new URL('pg15-1249-block3.page', FIXTURES));

async function check(file: Buffer, segmentNo = 0, chunk = 5000): Promise<PageChecksumFilter> {
  const f = new PageChecksumFilter(segmentNo);
  const out = await through(file, [f], chunk);
  expect(out.equals(file)).toBe(true);
  return f;
}

describe('page checksum', () => {
  it('computes the checksum PostgreSQL stored', () => {
    expect(pageChecksum(page1262, 0)).toBe(page1262.readUInt16LE(8));
    expect(pageChecksum(page1249b3, 3)).toBe(page1249b3.readUInt16LE(8));
    expect(pageValid(page1249b3, 4)).toBe(false);
    expect(pageValid(Buffer.alloc(8192), 17)).toBe(true);
  });

  it('validates whole files and reports flipped bytes on the right block', async () => {
    const file = Buffer.concat([page1262, Buffer.alloc(8192), page1262, page1262]);
    // blocks 2 and 3 hold a page checksummed for block 0
    let f = await check(file);
    expect(f.failedBlocks).toEqual([2, 3]);
    expect(f.result()).toEqual({ valid: false, align: true, errors: [[2, 3]] });

    const good = Buffer.concat([Buffer.alloc(8192 * 3), page1249b3]);
    f = await check(good);
    expect(f.result()).toEqual({ valid: true, align: true, errors: [] });
    const bad = Buffer.from(good);
    bad[3 * 8192 + 5000]! ^= 0x01;
    f = await check(bad, 0, 8192);
    expect(f.result()).toEqual({ valid: false, align: true, errors: [3] });
    expect(f.result([])).toEqual({ valid: true, align: true, errors: [] });
  });

  it('adds the segment number to block numbers', async () => {
    const f = await check(page1262, 1);
    expect(f.failedBlocks).toEqual([SEGMENT_PAGES]);
    expect(segmentNoOf('pg_data/base/1/16384.2')).toBe(2);
    expect(segmentNoOf('pg_data/base/1/16384_fsm')).toBe(0);
  });

  it('treats a trailing partial page as misaligned without an error list', async () => {
    const f = await check(Buffer.concat([page1262, page1262, Buffer.alloc(600, 1)]));
    expect(f.pages).toBe(3);
    expect(f.result()).toEqual({ valid: false, align: false, errors: [] });
    const small = await check(Buffer.concat([page1262, Buffer.alloc(100, 1)]));
    expect(small.pages).toBe(1);
    expect(small.result().align).toBe(false);
  });

  it('native and JavaScript page checks agree on real, new, damaged and random pages', () => {
    const native = checkPagesNative();
    // the build compiles the addon wherever there is a C compiler (CI has one); say so when absent
    if (native === undefined) console.warn('page-checksum.node not built: only the JavaScript checks ran');
    const damaged = Buffer.from(page1249b3);
    damaged[100]! ^= 0x40;
    const header = Buffer.alloc(8192);
    header[20] = 1; // pd_upper zero but not all zeros: not a new page, so its checksum is checked
    let seed = 7;
    const random = Buffer.alloc(8192 * 6);
    for (let i = 0; i < random.length; i++) random[i] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    // random pages made valid for their block by writing the checksum they need
    const fixed = Buffer.from(random);
    for (let p = 0; p < 3; p++) {
      const page = fixed.subarray(p * 8192, (p + 1) * 8192);
      page.writeUInt16LE(pageChecksum(page, 11 + p), 8);
    }
    const all = Buffer.concat([page1262, Buffer.alloc(8192), page1249b3, damaged, header, random, fixed]);
    for (const first of [0, 3, SEGMENT_PAGES * 2]) {
      const js = checkPagesJs(all, first);
      // blocks: 0 page1262, 1 new, 2 page1249b3, 3 damaged, 4 header, 5-10 random, 11-16 fixed
      if (first === 0) expect(js).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16]);
      if (native !== undefined) expect(native(all, first)).toEqual(js);
    }
    const js11 = checkPagesJs(fixed, 11);
    expect(js11).toEqual([14, 15, 16]);
    if (native !== undefined) expect(native(fixed, 11)).toEqual(js11);
    if (native !== undefined) expect(() => native(Buffer.alloc(100), 0)).toThrow(/whole pages/);
  });

  it('collapses consecutive blocks into ranges', () => {
    expect(collapseRanges([1, 2, 3, 5])).toEqual([[1, 3], 5]);
    expect(collapseRanges([0, 7, 8, 10, 11, 12])).toEqual([0, [7, 8], [10, 12]]);
    expect(collapseRanges([])).toEqual([]);
  });

  const initdb = '/usr/lib/postgresql/15/bin/initdb';
  it.runIf(existsSync(initdb) && process.getuid?.() === 0)('validates every page of a fresh initdb -k cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgbr-io-'));
    try {
      chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout), Number(spawnSync('id', ['-g', 'postgres']).stdout));
      const r = spawnSync('runuser', ['-u', 'postgres', '--', initdb, '-k', '-D', join(dir, 'data')]);
      expect(r.status, r.stderr.toString()).toBe(0);
      let pages = 0;
      for (const sub of ['global', 'base/1']) {
        for (const name of readdirSync(join(dir, 'data', sub)).filter((n) => /^\d+(_fsm|_vm|_init)?(\.\d+)?$/.test(n))) {
          const f = await check(readFileSync(join(dir, 'data', sub, name)), segmentNoOf(name), 65536);
          expect(f.result(), `${sub}/${name}`).toEqual({ valid: true, align: true, errors: [] });
          pages += f.pages;
        }
      }
      expect(pages).toBeGreaterThan(500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
