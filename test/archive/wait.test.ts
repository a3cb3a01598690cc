/**
 * waitForSegment: the backup's and check's wait for a WAL segment to reach the repo, looked for
 * every 50 ms for 3 s and every 500 ms after, on any storage (a look is a LIST on an object store).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitForSegment } from '../../src/archive/wait.js';
import type { PgbrError } from '../../src/error/error.js';
import { walPath } from '../../src/repo/layout.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import type { ListOptions, StorageFeatures, StorageInfo } from '../../src/storage/storage.js';

const SEGMENT = '000000010000000000000003';
const STORED = `${SEGMENT}-${'a'.repeat(40)}.lz4`;

/** A memory repo that counts its listings; `objectStore` makes it look like S3 (no real paths). */
class CountingRepo extends MemoryStorage {
  lists = 0;
  constructor(objectStore: boolean) {
    super();
    if (objectStore) (this as { features: StorageFeatures }).features = { ...this.features, path: false };
  }
  override async list(path: string, opts?: ListOptions): Promise<StorageInfo[]> {
    this.lists++;
    return super.list(path, opts);
  }
}

async function archivedAfter(repo: CountingRepo, ms: number): Promise<string> {
  setTimeout(() => void repo.write(walPath('demo', '15-1', STORED), Buffer.from('x')), ms);
  return waitForSegment({ storage: repo, stanza: 'demo', archiveId: '15-1', segment: SEGMENT, timeoutMs: 10_000 });
}

describe('waitForSegment', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** With a fake clock from 0: the segment lands at `landsAt` ms; when was it found, after how many looks. */
  async function foundOnClock(repo: CountingRepo, landsAt: number): Promise<{ at: number; looks: number }> {
    vi.useFakeTimers({ now: 0 });
    setTimeout(() => void repo.write(walPath('demo', '15-1', STORED), Buffer.from('x')), landsAt);
    let at = -1;
    const wait = waitForSegment({ storage: repo, stanza: 'demo', archiveId: '15-1', segment: SEGMENT, timeoutMs: 10_000 }).then((path) => {
      at = Date.now();
      return path;
    });
    await vi.advanceTimersByTimeAsync(landsAt + 1000);
    expect(await wait).toBe(walPath('demo', '15-1', STORED));
    return { at, looks: repo.lists };
  }

  it('on an object store, finds a segment within 50 ms of its landing while an archive_command runs', async () => {
    // looks at 0, 50, ..., 650 ms (before 55f19b4, object stores paused 300 ms after the first look
    // and found this segment only at 700)
    expect(await foundOnClock(new CountingRepo(true), 620)).toEqual({ at: 650, looks: 14 });
  });

  it('looks every 500 ms once 3 s have passed, on an object store as on a local repo', async () => {
    // 61 looks from 0 to 3000 ms, then 3500 and 4000
    expect(await foundOnClock(new CountingRepo(true), 3600)).toEqual({ at: 4000, looks: 63 });
    expect(await foundOnClock(new CountingRepo(false), 3600)).toEqual({ at: 4000, looks: 63 });
  });

  it('on an object store, finds a segment that is already there with one look', async () => {
    const repo = new CountingRepo(true);
    await repo.write(walPath('demo', '15-1', STORED), Buffer.from('x'));
    expect(await waitForSegment({ storage: repo, stanza: 'demo', archiveId: '15-1', segment: SEGMENT, timeoutMs: 10_000 })).toBe(
      walPath('demo', '15-1', STORED),
    );
    expect(repo.lists).toBe(1);
  });

  it('looks at a local repo often enough to see the segment soon after it lands', async () => {
    const repo = new CountingRepo(false);
    const started = Date.now();
    expect(await archivedAfter(repo, 300)).toBe(walPath('demo', '15-1', STORED));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(repo.lists).toBeGreaterThan(1);
  });

  it("fails with pgBackRest's archive timeout when the segment never comes", async () => {
    const repo = new CountingRepo(true);
    const e = (await waitForSegment({ storage: repo, stanza: 'demo', archiveId: '15-1', segment: SEGMENT, timeoutMs: 300 }).catch(
      (x: unknown) => x,
    )) as PgbrError;
    expect(e.type).toBe('ArchiveTimeoutError');
    expect(e.message).toBe(`WAL segment ${SEGMENT} was not archived before the 300ms timeout`);
  });
});
