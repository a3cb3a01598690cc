import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isPgbrError } from '../../src/error/error.js';
import { parseWalHeader, readWalHeader } from '../../src/postgres/wal.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'postgres');
const page = (name: string): Buffer => readFileSync(join(FIXTURES, `${name}.wal-page`));
const meta = (name: string): { system_identifier: string; bytes_per_wal_segment: number; wal_segment: string } =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('parseWalHeader on real segments', () => {
  test.each([
    ['pg15', '15', 0xd110, 0x1000000n],
    ['pg17', '17', 0xd116, 0x1000000n],
    ['pg18-1mb', '18', 0xd118, 0x800000n],
  ])('%s', (name, version, magic, pageAddress) => {
    const h = parseWalHeader(page(name));
    expect(h.version).toBe(version);
    expect(h.magic).toBe(magic);
    expect(h.systemId).toBe(BigInt(meta(name).system_identifier));
    expect(h.segmentSize).toBe(meta(name).bytes_per_wal_segment);
    expect(h.walPageSize).toBe(8192);
    expect(h.timeline).toBe(1);
    // The first page of segment N sits at LSN N * segment size.
    expect(h.pageAddress).toBe(pageAddress);
    expect(h.info & 2).toBe(2);
  });
});

describe('parseWalHeader errors', () => {
  test('short page header → FormatError (pgBackRest wording)', () => {
    const buf = Buffer.from(page('pg15'));
    buf.writeUInt16LE(0x0001, 2);
    const e = thrown(() => parseWalHeader(buf));
    expect(isPgbrError(e, 'FormatError') && e.message).toBe('first page header in WAL file is expected to be in long format');
  });

  test('unknown magic → VersionNotSupportedError 46 with decimal magic', () => {
    const buf = Buffer.from(page('pg15'));
    buf.writeUInt16LE(0x1234, 0);
    const e = thrown(() => parseWalHeader(buf));
    expect(isPgbrError(e, 'VersionNotSupportedError')).toBe(true);
    if (isPgbrError(e)) expect(e.fullMessage).toBe('unexpected WAL magic 4660\nHINT: is this version of PostgreSQL supported?');
  });

  test('readWalHeader: truncated and missing files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgbr-wal-'));
    try {
      const short = join(dir, '000000010000000000000001');
      writeFileSync(short, page('pg15').subarray(0, 100));
      await expect(readWalHeader(short)).rejects.toMatchObject({
        type: 'FileReadError',
        code: 42,
        message: `unable to read 512 byte(s) from '${short}'`,
      });
      await expect(readWalHeader(join(dir, 'nope'))).rejects.toMatchObject({
        type: 'FileMissingError',
        message: `unable to open missing file '${join(dir, 'nope')}' for read`,
      });
      const full = join(dir, '000000010000000000000002');
      writeFileSync(full, page('pg17'));
      expect((await readWalHeader(full)).version).toBe('17');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
