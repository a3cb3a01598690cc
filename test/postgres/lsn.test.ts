import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  formatLsn,
  isWalSegmentName,
  lsnRangeToWalSegments,
  lsnToStopSegment,
  lsnToWalSegment,
  nextWalSegment,
  parseLsn,
  parseTimeline,
  timelineFromWalSegment,
  walSegmentRange,
  walSegmentToLsn,
} from '../../src/postgres/lsn.js';

const MB16 = 16 * 1024 * 1024;

describe('lsn text', () => {
  test('parse and format like PostgreSQL', () => {
    expect(parseLsn('0/3000028')).toBe(0x3000028n);
    expect(parseLsn('1A/30002c8')).toBe((0x1an << 32n) + 0x30002c8n);
    expect(formatLsn(0x30002c8n)).toBe('0/30002C8');
    expect(formatLsn((0xffn << 32n) + 0n)).toBe('FF/0');
    expect(() => parseLsn('0-3000028')).toThrow("invalid lsn '0-3000028'");
    expect(() => parseLsn('123456789/0')).toThrow(/invalid lsn/);
  });

  test('round trip for any 64-bit value', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n) => parseLsn(formatLsn(n)) === n));
  });
});

describe('segment names', () => {
  test('lsn → segment (pgLsnToWalSegment)', () => {
    expect(lsnToWalSegment(1, 0x3000028n, MB16)).toBe('000000010000000000000003');
    expect(lsnToWalSegment(0x2a, (5n << 32n) + 0xff000000n, MB16)).toBe('0000002A00000005000000FF');
    expect(lsnToWalSegment(1, 0x900080n, 1024 * 1024)).toBe('000000010000000000000009');
  });

  test('stop segment: a boundary LSN belongs to the previous segment (pg_walfile_name)', () => {
    expect(lsnToStopSegment(1, 0x4000000n, MB16)).toBe('000000010000000000000003');
    expect(lsnToStopSegment(1, 0x4000001n, MB16)).toBe('000000010000000000000004');
  });

  test('segment → lsn and timeline', () => {
    expect(walSegmentToLsn('000000010000000200000003', MB16)).toBe((2n << 32n) + 0x3000000n);
    expect(timelineFromWalSegment('0000000A0000000200000003')).toBe(10);
    expect(parseTimeline('0000000A')).toBe(10);
    expect(() => walSegmentToLsn('00000001000000020000000', MB16)).toThrow("invalid WAL segment name '00000001000000020000000'");
    expect(isWalSegmentName('000000010000000000000001')).toBe(true);
    expect(isWalSegmentName('000000010000000000000001.partial')).toBe(false);
  });

  test('next segment wraps after 0xFF for 16 MiB and after 0x3 for 1 GiB', () => {
    expect(nextWalSegment('0000000100000000000000FE', MB16)).toBe('0000000100000000000000FF');
    expect(nextWalSegment('0000000100000000000000FF', MB16)).toBe('000000010000000100000000');
    expect(nextWalSegment('000000010000000000000003', 1024 * MB16 / 16)).toBe('000000010000000100000000');
  });

  test('ranges', () => {
    expect(lsnRangeToWalSegments(1, 0xfe000028n, (1n << 32n) + 0x1000000n, MB16)).toEqual([
      '0000000100000000000000FE',
      '0000000100000000000000FF',
      '000000010000000100000000',
      '000000010000000100000001',
    ]);
    expect(lsnRangeToWalSegments(2, 0x3000028n, 0x3000100n, MB16)).toEqual(['000000020000000000000003']);
    expect(walSegmentRange('000000010000000000000003', '000000010000000000000005', MB16)).toEqual([
      '000000010000000000000003',
      '000000010000000000000004',
      '000000010000000000000005',
    ]);
    expect(() => walSegmentRange('000000010000000000000005', '000000010000000000000003', MB16)).toThrow(/invalid WAL segment range/);
  });

  test('segment name and its first LSN agree for every segment size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (shift, lsn) => {
        const size = MB16 >> 4 << shift; // 1 MiB .. 1 GiB
        const seg = lsnToWalSegment(1, lsn, size);
        const start = walSegmentToLsn(seg, size);
        return start <= lsn && lsn - start < BigInt(size);
      }),
    );
  });
});
