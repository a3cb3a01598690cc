import type { Manifest } from '../repo/manifest.js';
import { backupSetPath } from '../repo/layout.js';
import type { StorageDriver } from '../storage/storage.js';

/**
 * Directories of a backup set on posix repos. pgBackRest creates every manifest path before the
 * copy and syncs each of them once after it, instead of syncing the directory after every file
 * (the copy writes files without per-file directory syncs). No-ops on object stores.
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
