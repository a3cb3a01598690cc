import { describe, expect, it } from 'vitest';
import { renderResults, rangeLines } from '../../src/verify/render.js';
import type { VerifyState } from '../../src/verify/model.js';
import { formatSize } from '../../src/util/format.js';

const state = (): VerifyState => ({
  errors: 1,
  archives: [{ archiveId: '15-1', totalWalFile: 3, totalValidWal: 3, ranges: [
    { start: '000000010000000000000001', stop: '000000010000000000000001', invalid: [] },
    { start: '000000010000000000000003', stop: '000000010000000000000004', invalid: [] },
  ] }],
  backups: [
    { label: 'F', status: 'invalid', totalFileVerify: 5, totalFileValid: 3, invalid: new Map(), reasons: ['checksum', 'missing'] },
    { label: 'F_I', status: 'valid', totalFileVerify: 5, totalFileValid: 5, invalid: new Map(), reasons: [] },
  ],
});

describe('verify result block', () => {
  it('non-verbose: only what failed, only non-zero counts', () => {
    expect(renderResults(state(), false)).toBe(
      '\n  backup: F, status: invalid, total files checked: 5, total valid files: 3\n    missing: 1, checksum invalid: 1',
    );
  });

  it('verbose: everything, all four counts', () => {
    const out = renderResults(state(), true);
    expect(out).toContain('\n  archiveId: 15-1, total WAL checked: 3, total valid WAL: 3\n    missing: 0, checksum invalid: 0, size invalid: 0, other: 0');
    expect(out).toContain('\n  backup: F_I, status: valid, total files checked: 5, total valid files: 5\n');
    expect(renderResults({ errors: 0, archives: [], backups: [] }, true)).toBe('\n  archiveId: none found\n  backup: none found');
  });

  it('one DETAIL line per continuous WAL range', () => {
    expect(rangeLines(state())).toEqual([
      'archiveId: 15-1, wal start: 000000010000000000000001, wal stop: 000000010000000000000001',
      'archiveId: 15-1, wal start: 000000010000000000000003, wal stop: 000000010000000000000004',
    ]);
  });
});

describe('formatSize rounding', () => {
  it('rounds exact ties to even like printf %.1f', () => {
    expect(formatSize(77056)).toBe('75.2KB');
    expect(formatSize(77158)).toBe('75.3KB');
    expect(formatSize(4096115)).toBe('3.9MB');
  });
});
