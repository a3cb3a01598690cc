import { describe, expect, it } from 'vitest';
import { PartBuffers } from '../../src/storage/part-buffers.js';

describe('PartBuffers', () => {
  it('hands back a returned buffer of the same size and allocates only when none is free', () => {
    const pool = new PartBuffers();
    const a = pool.take(1024);
    const b = pool.take(1024);
    expect([a.length, b.length, pool.allocated]).toEqual([1024, 1024, 2]);
    expect(a.buffer).not.toBe(b.buffer);
    expect(pool.idle(1024)).toBe(0);
    pool.give(a);
    expect(pool.idle(1024)).toBe(1);
    expect(pool.take(1024)).toBe(a);
    expect(pool.idle(1024)).toBe(0);
    expect(pool.allocated).toBe(2);
    // another size never gets it
    pool.give(b);
    const c = pool.take(2048);
    expect(c).not.toBe(b);
    expect([c.length, pool.allocated]).toEqual([2048, 3]);
    expect(pool.take(1024)).toBe(b);
  });

  it('gives buffers that own their memory, not views of a shared slab', () => {
    const pool = new PartBuffers();
    const a = pool.take(100);
    expect([a.byteOffset, a.buffer.byteLength]).toEqual([0, 100]);
  });
});
