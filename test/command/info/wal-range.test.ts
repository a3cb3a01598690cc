import { describe, expect, it, vi } from 'vitest';
import { walMinMax } from '../../../src/command/info/wal-range.js';
import { MemoryStorage } from '../../../src/storage/memory.js';

const SHA = 'f'.repeat(40);
const ID = 'archive/demo/15-1';

async function archive(names: string[]): Promise<MemoryStorage> {
  const s = new MemoryStorage();
  for (const n of names) await s.write(`${ID}/${n.slice(0, 16)}/${n}`, Buffer.from(n));
  return s;
}

describe('walMinMax', () => {
  it('finds the oldest and newest complete segment across directories', async () => {
    const s = await archive([
      `000000010000000100000003-${SHA}.gz`, `000000010000000100000004-${SHA}`,
      `000000010000000200000001-${SHA}.lz4`, `000000010000000200000002.partial-${SHA}.gz`,
      '000000010000000200000001.00000028.backup', `000000010000000000000001.partial-${SHA}`,
    ]);
    expect(await walMinMax(s, ID)).toEqual({ min: '000000010000000100000003', max: '000000010000000200000001' });
  });

  it('lists a directory once when it holds both ends', async () => {
    const s = await archive([`000000010000000100000003-${SHA}.gz`, `000000010000000100000009-${SHA}.gz`]);
    const list = vi.spyOn(s, 'list');
    expect(await walMinMax(s, ID)).toEqual({ min: '000000010000000100000003', max: '000000010000000100000009' });
    expect(list.mock.calls.map((c) => c[0])).toEqual([ID, `${ID}/0000000100000001`]);
  });

  it('gives nulls for an archive id without segments', async () => {
    const s = await archive(['00000002.history']);
    expect(await walMinMax(s, ID)).toEqual({ min: null, max: null });
    expect(await walMinMax(new MemoryStorage(), ID)).toEqual({ min: null, max: null });
  });
});
