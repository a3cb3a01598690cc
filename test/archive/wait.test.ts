/**
 * waitForSegment: the backup's and check's wait for a WAL segment to reach the repo. On an object
 * store each look is a LIST request, so the looks thin out; a local repo is looked at every 50 ms.
 */
import { describe, expect, it } from 'vitest';
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
  it('finds a segment archived later on an object store with a handful of LIST requests', async () => {
    const repo = new CountingRepo(true);
    const found = await archivedAfter(repo, 600);
    expect(found).toBe(walPath('demo', '15-1', STORED));
    // looks at about 0, 300, 400, 500 and 700 ms; every 50 ms would have been 13 or more
    expect(repo.lists).toBeGreaterThanOrEqual(2);
    expect(repo.lists).toBeLessThanOrEqual(5);
  });

  it('on an object store, looks twice while an archive_command starts and pushes', async () => {
    const repo = new CountingRepo(true);
    const started = Date.now();
    expect(await archivedAfter(repo, 200)).toBe(walPath('demo', '15-1', STORED));
    // at once, then 300 ms later: delays from 50 ms made five LIST requests by then
    expect(repo.lists).toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
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
