/**
 * setFileSync(): every file a backup set stores is fsynced before the manifest listing it is saved,
 * whether the copy wrote it now or a resume kept it; files referenced from a prior backup are not
 * this set's to sync, and object stores get no syncs at all.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { setFileSync } from '../../src/backup/set-paths.js';
import { parseManifest } from '../../src/repo/manifest.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { PosixStorage } from '../../src/storage/posix.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

const DIFF = new URL('../../../shared/spec/samples/diff.backup.manifest', import.meta.url);

afterAll(() => removeAllTempDirs());

class RecordingPosix extends PosixStorage {
  readonly synced: string[] = [];
  override async fileSync(path: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 1));
    this.synced.push(path);
  }
}

describe('setFileSync', () => {
  it('syncs each stored file once, copied or kept by a resume, and no referenced file', async () => {
    const m = parseManifest(readFileSync(DIFF));
    const stored = m.files.filter((f) => f.reference === undefined).map((f) => f.name);
    const referenced = m.files.filter((f) => f.reference !== undefined).map((f) => f.name);
    expect(stored.length).toBeGreaterThan(2);
    expect(referenced.length).toBeGreaterThan(0);
    const storage = new RecordingPosix(makeTempDir('pgbr-setsync-'));
    const sync = setFileSync(storage, 'demo', m)!;
    // the copy reports two files; the rest are what a resume kept
    sync.copied(stored[0]!);
    sync.copied(stored[1]!);
    await sync.finish();
    const set = `backup/demo/${m.backup.label}`;
    expect([...storage.synced].sort()).toEqual(stored.map((n) => `${set}/${n}.gz`).sort());
    expect(storage.synced.slice(0, 2)).toEqual([`${set}/${stored[0]}.gz`, `${set}/${stored[1]}.gz`]);
  });

  it('fails the backup when a sync fails', async () => {
    const m = parseManifest(readFileSync(DIFF));
    class Failing extends PosixStorage {
      override async fileSync(path: string): Promise<void> {
        throw new Error(`unable to sync '${path}'`);
      }
    }
    const sync = setFileSync(new Failing(makeTempDir('pgbr-setsync-')), 'demo', m)!;
    await expect(sync.finish()).rejects.toThrow(/unable to sync 'backup\/demo\//);
  });

  it('is not needed on object stores', () => {
    const m = parseManifest(readFileSync(DIFF));
    expect(setFileSync(new MemoryStorage(), 'demo', m)).toBeUndefined();
  });
});
