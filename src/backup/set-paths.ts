import { fileRepoLocation, type Manifest, type ManifestFile } from '../repo/manifest.js';
import { backupSetPath, backupStanzaPath } from '../repo/layout.js';
import type { StorageDriver } from '../storage/storage.js';
import { PosixStorage } from '../storage/posix.js';
import { SyncQueue } from '../storage/sync-queue.js';

/**
 * Directories and files of a backup set on posix repos. pgBackRest creates every manifest path
 * before the copy and syncs each of them once after it, instead of syncing the directory after
 * every file (the copy writes files without per-file directory syncs). Files are synced as the
 * copy finishes them (setFileSync), before the manifest that lists them is saved. No-ops on
 * object stores.
 *
 * With repo-bundle, pgBackRest 2.45 creates no path before the copy: a directory exists only where
 * a file was stored (the write creates it: `bundle`, and the paths of files over the bundle limit),
 * and those directories are synced.
 */
function setPaths(storage: StorageDriver, stanza: string, m: Manifest): string[] {
  if (!storage.features.path) return [];
  const set = backupSetPath(stanza, m.backup.label);
  return m.paths.map((p) => `${set}/${p.name}`);
}

export async function createSetPaths(storage: StorageDriver, stanza: string, m: Manifest): Promise<void> {
  if (m.backup.bundle === true) return;
  for (const path of setPaths(storage, stanza, m)) await storage.pathCreate(path);
}

export async function syncSetPaths(storage: StorageDriver, stanza: string, m: Manifest): Promise<void> {
  if (!storage.features.pathSync) return;
  const set = backupSetPath(stanza, m.backup.label);
  const paths =
    m.backup.bundle === true
      ? (await storage.list(set, { recurse: true })).filter((e) => e.type === 'path').map((e) => `${set}/${e.name}`)
      : setPaths(storage, stanza, m);
  await Promise.all(paths.map((path) => storage.pathSync(path)));
  await storage.pathSync(set);
}

/**
 * fsync(2) of every file stored in the set (copied now or kept by a resume), before the manifest
 * that lists them is saved, so a listed backup never holds a file that was not on disk. The copy
 * hands each file here as it finishes (`copied`), and a SyncQueue syncs it while the workers go on
 * with the next ones; `finish` adds the files a resume kept and waits for all of them. Returns
 * undefined on object stores, whose writes are durable once acknowledged.
 */
export function setFileSync(storage: StorageDriver, stanza: string, m: Manifest): SetFileSync | undefined {
  if (!(storage instanceof PosixStorage)) return undefined;
  const root = backupStanzaPath(stanza);
  const queued = new Set<string>();
  const queue = new SyncQueue((path) => storage.fileSync(`${root}/${path}`));
  // a bundle is synced once, however many of its files are reported
  const sync = (file: ManifestFile): void => {
    const at = fileRepoLocation(m, file);
    if (at.kind === 'none' || queued.has(at.path)) return;
    queued.add(at.path);
    queue.add(at.path);
  };
  const byName = new Map(m.files.map((f) => [f.name, f]));
  return {
    copied: (name) => {
      const file = byName.get(name);
      if (file !== undefined) sync(file);
    },
    finish: async () => {
      // Files without a reference are stored in this set: copied now, or kept by a resume.
      for (const f of m.files) if (f.reference === undefined) sync(f);
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
