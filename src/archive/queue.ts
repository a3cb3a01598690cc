import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pgWalPath } from '../postgres/version.js';
import { readPgControl } from '../postgres/control.js';

/**
 * archive-push-queue-max: the WAL waiting in `archive_status/*.ready` adds up to more than `max`
 * bytes. pgBackRest then drops the segment (reports it archived) to keep pg_wal from filling the disk.
 */
export async function queueExceeded(pgPath: string, max: number): Promise<boolean> {
  const control = await readPgControl(pgPath);
  const walDir = join(pgPath, pgWalPath(control.versionNum));
  const ready = (await readdir(join(walDir, 'archive_status')).catch(() => [] as string[])).filter((f) =>
    /^[0-F]{24}\.ready$/.test(f),
  );
  let total = 0;
  for (const f of ready) {
    total += await stat(join(walDir, f.slice(0, 24))).then((s) => s.size, () => 0);
    if (total > max) return true;
  }
  return false;
}
