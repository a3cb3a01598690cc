import { describe, expect, it } from 'vitest';
import { SyncQueue } from '../../src/storage/sync-queue.js';

/** A sync function whose calls finish only when the test releases them. */
function gatedSync() {
  const started: string[] = [];
  const finished: string[] = [];
  const gates = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();
  let running = 0;
  let maxRunning = 0;
  const sync = (path: string) =>
    new Promise<void>((resolve, reject) => {
      started.push(path);
      running++;
      maxRunning = Math.max(maxRunning, running);
      gates.set(path, {
        resolve: () => {
          running--;
          finished.push(path);
          resolve();
        },
        reject: (e) => {
          running--;
          reject(e);
        },
      });
    });
  return { sync, started, finished, gates, max: () => maxRunning };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SyncQueue', () => {
  it('syncs every added file, at most depth at a time, in the order added', async () => {
    const g = gatedSync();
    const q = new SyncQueue(g.sync, 2);
    for (const f of ['a', 'b', 'c', 'd', 'e']) q.add(f);
    expect(g.started).toEqual(['a', 'b']);
    let drained = false;
    const drain = q.drain().then(() => (drained = true));
    while (g.finished.length < 5) {
      const next = g.started.find((f) => !g.finished.includes(f))!;
      g.gates.get(next)!.resolve();
      await tick();
      expect(drained).toBe(g.finished.length === 5);
    }
    await drain;
    expect(g.started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(g.max()).toBe(2);
  });

  it('drain resolves at once when nothing was added, and files may be added after a drain', async () => {
    const synced: string[] = [];
    const q = new SyncQueue(async (f) => void synced.push(f));
    await q.drain();
    q.add('x');
    await q.drain();
    q.add('y');
    q.add('z');
    await q.drain();
    expect(synced).toEqual(['x', 'y', 'z']);
  });

  it('rejects drain with the first error and syncs nothing added after it', async () => {
    const g = gatedSync();
    const q = new SyncQueue(g.sync, 1);
    q.add('a');
    q.add('b');
    q.add('c');
    g.gates.get('a')!.reject(new Error('unable to sync a'));
    await tick();
    q.add('d');
    await expect(q.drain()).rejects.toThrow('unable to sync a');
    expect(g.started).toEqual(['a']);
  });

  it('waits for syncs still running when one fails', async () => {
    const g = gatedSync();
    const q = new SyncQueue(g.sync, 2);
    q.add('a');
    q.add('b');
    let settled = false;
    const drain = q.drain().catch((e: Error) => {
      settled = true;
      return e.message;
    });
    g.gates.get('a')!.reject(new Error('disk gone'));
    await tick();
    expect(settled).toBe(false);
    g.gates.get('b')!.resolve();
    expect(await drain).toBe('disk gone');
  });
});
