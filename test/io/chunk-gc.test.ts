import { describe, expect, it } from 'vitest';
import { chunkPassed, COLLECT_EVERY } from '../../src/io/chunk-gc.js';

/** Highest `arrayBuffers` while 200 dead 1 MiB chunks are made one after another. */
function peakOf(passed: (bytes: number) => void): number {
  let peak = 0;
  for (let i = 0; i < 200; i++) {
    const chunk = Buffer.allocUnsafeSlow(1024 * 1024).fill(i);
    passed(chunk.length);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }
  return peak;
}

describe('chunkPassed', () => {
  it("keeps dead chunks from piling up to V8's external-memory threshold", () => {
    const base = process.memoryUsage().arrayBuffers;
    const without = peakOf(() => undefined) - base;
    const withHook = peakOf(chunkPassed) - base;
    // without it, dead chunks pile up towards V8's own threshold (about 64 MB)
    expect(without).toBeGreaterThan(24 * 1024 * 1024);
    // with it, what was not yet collected plus what V8's concurrent sweeper has not yet freed;
    // the sweeper lags when the machine is busy (16.2 MiB once in a full CI run, usually far less)
    expect(withHook).toBeLessThan(12 * COLLECT_EVERY);
    expect(withHook).toBeLessThan(without / 2);
  });
});
