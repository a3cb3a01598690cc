import { describe, expect, it } from 'vitest';
import { Xxh32, xxh32 } from '../../src/io/xxhash32.js';
import { sampleData } from './helpers.js';

describe('xxh32', () => {
  it('matches published vectors', () => {
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxh32(Buffer.from('abc'))).toBe(0x32d153ff);
    expect(xxh32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });

  it('gives the LZ4 header checksum byte 0x5e for FLG 0x44 BD 0x40', () => {
    expect((xxh32(Buffer.from([0x44, 0x40])) >>> 8) & 0xff).toBe(0x5e);
  });

  it('is independent of how the input is split', () => {
    const data = sampleData(10007);
    const whole = xxh32(data);
    for (const step of [1, 3, 15, 16, 17, 4096]) {
      const h = new Xxh32();
      for (let i = 0; i < data.length; i += step) h.update(data.subarray(i, i + step));
      expect(h.digest()).toBe(whole);
    }
  });
});
