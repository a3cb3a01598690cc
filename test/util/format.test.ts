import { describe, expect, it } from 'vitest';
import { formatSize } from '../../src/util/format.js';

describe('formatSize', () => {
  it.each([
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1KB'],
    [1024 * 1.5, '1.5KB'],
    [Math.round(543.9 * 1024), '543.9KB'],
    [2 * 1024 * 1024, '2MB'],
    [2 * 1024 * 1024 + 1024 * 50, '2MB'],
    [Math.round(3.97 * 1024 * 1024), '4.0MB'],
    [Math.round(22.7 * 1024 * 1024), '22.7MB'],
    [5 * 1024 ** 3, '5GB'],
    [2048 * 1024 ** 3, '2048GB'],
  ])('%d bytes is %s', (size, text) => {
    expect(formatSize(size)).toBe(text);
  });
});
