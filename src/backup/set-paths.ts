import type { Manifest } from '../repo/manifest.js';
import { backupSetPath } from '../repo/layout.js';
import type { StorageDriver } from '../storage/storage.js';
import { PosixStorage } from '../storage/posix.js';
import { extensionOf, type CompressType } from '../io/compress-type.js';
import { SyncQueue } from '../storage/sync-queue.js';

/**
 * Directories and files of a backup set on posix repos. pgBackRest creates every manifest path
 * before the copy and syncs each of them once after it, instead of syncing the directory after
 * every file (the copy writes files without per-file directory syncs). Files are synced as the
 * copy finishes them (setFileSync), before the manifest that lists them is saved. No-ops on
 * object stores.
 */
function setPaths(storage: StorageDriver, stanza: string, m: Manifest): string[] {
  if (!storage.features.path) return [];
  const set = backupSetPath(stanza, m.backup.label);
  return m.paths.map((p) => `${set}/${p.name}`);
}

export async function createSetPaths(storage: StorageDriver, stanza: string, m: Manifest): Promise<void> {
  for (const path of setPaths(storage, stanza, m)) await storage.pathCreate(path);
}

export async function syncSetPaths(storage: StorageDriver, stanza: string, m: Manifest): Promise<void> {
  if (!storage.features.pathSync) return;
  const paths = setPaths(storage, stanza, m);
  await Promise.all(paths.map((path) => storage.pathSync(path)));
  await storage.pathSync(backupSetPath(stanza, m.backup.label));
}

/**
 * fsync(2) of every file stored in the set (copied now or kept by a resume), before the manifest
 * that lists them is saved, so a listed backup never holds a file that was not on disk. The copy
 * hands each file here as it finishes (`copied`), and a SyncQueue syncs it while the workers go on
 * with the next ones; `finish` adds the files a resume kept and waits for all of them. Returns
 * undefined on object stores, whose writes are durable once acknowledged.
 */
export function setFileSync(storage: StorageDriver, stanza: string, m: Manifest, compressType: CompressType): SetFileSync | undefined {
  if (!(storage instanceof PosixStorage)) return undefined;
  const set = backupSetPath(stanza, m.backup.label);
  const ext = extensionOf(compressType);
  const added = new Set<string>();
  const queue = new SyncQueue((name) => storage.fileSync(`${set}/${name}${ext}`));
  const copied = (name: string): void => {
    added.add(name);
    queue.add(name);
  };
  return {
    copied,
    finish: async () => {
      // Files without a reference are stored in this set: copied now, or kept by a resume.
      for (const f of m.files) if (f.reference === undefined && !added.has(f.name)) copied(f.name);
      await queue.drain();
    },
  };
}

export interface SetFileSync {
  /** A file of the manifest (by name) is written: sync it. */
  copied(name: string): void;
  /** Sync the set's other stored files too, and wait until every one is synced. */
  finish(): Promise<void>;
}
