import type { Manifest } from '../repo/manifest.js';
import { backupSetPath } from '../repo/layout.js';
import type { StorageDriver } from '../storage/storage.js';
import { PosixStorage } from '../storage/posix.js';
import { extensionOf, type CompressType } from '../io/compress-type.js';

/**
 * Directories and files of a backup set on posix repos. pgBackRest creates every manifest path
 * before the copy and syncs each of them once after it, instead of syncing the directory after
 * every file (the copy writes files without per-file directory syncs). Files are synced after the
 * copy too (syncSetFiles), before the manifest that lists them is saved. No-ops on object stores.
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

/** Parallel fsyncs after the copy: about what the I/O thread pool runs at once. */
const SYNC_CONCURRENCY = 1;

/**
 * fsync(2) of every file stored in the set (copied now or kept by a resume), after the copy and
 * before the manifest is saved, so a listed backup never holds a file that was not on disk. Done
 * here rather than per file in the copy: fsyncs issued by four worker threads while others write
 * cost about ten times the CPU of the same fsyncs issued afterwards (measured on ext4), and by then
 * most of the data has been written back already.
 */
export async function syncSetFiles(storage: StorageDriver, stanza: string, m: Manifest, compressType: CompressType): Promise<void> {
  if (!(storage instanceof PosixStorage)) return;
  const set = backupSetPath(stanza, m.backup.label);
  const ext = extensionOf(compressType);
  // Files without a reference are stored in this set: copied now, or kept by a resume.
  const repoFiles = m.files.filter((f) => f.reference === undefined).map((f) => `${set}/${f.name}${ext}`);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < repoFiles.length) await storage.fileSync(repoFiles[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, repoFiles.length) }, lane));
}
