import type { StorageDriver } from '../../storage/storage.js';

const WAL_DIR = /^[0-F]{16}$/;
/** Complete segments only: partial segments, .backup and .history files do not count. */
const WAL_FILE = /^([0-F]{24})-[0-9a-f]{40}(\.(gz|lz4|zst|bz2|xz))?$/;

/** Oldest and newest WAL segment stored under an archive id (null, null when there is none). */
export async function walMinMax(storage: StorageDriver, archiveIdPath: string): Promise<{ min: string | null; max: string | null }> {
  const dirs = (await storage.list(archiveIdPath, { expression: WAL_DIR }))
    .filter((e) => e.type === 'path')
    .map((e) => e.name)
    .sort();
  // Each directory is listed once: the oldest and newest segment are often in the same one.
  const listed = new Map<string, Promise<string[]>>();
  const segmentsIn = (dir: string): Promise<string[]> => {
    let segs = listed.get(dir);
    if (segs === undefined) {
      segs = storage.list(`${archiveIdPath}/${dir}`, { expression: WAL_FILE }).then((found) =>
        found.map((e) => WAL_FILE.exec(e.name)?.[1]).filter((s): s is string => s !== undefined).sort());
      listed.set(dir, segs);
    }
    return segs;
  };
  let min: string | null = null;
  for (const d of dirs) {
    const segs = await segmentsIn(d);
    if (segs.length > 0) {
      min = segs[0];
      break;
    }
  }
  if (min === null) return { min: null, max: null };
  for (const d of [...dirs].reverse()) {
    const segs = await segmentsIn(d);
    if (segs.length > 0) return { min, max: segs[segs.length - 1] };
  }
  return { min, max: min };
}
