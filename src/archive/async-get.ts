import { copyFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { nextWalSegment } from '../postgres/lsn.js';
import { readStatus, spoolQueuePath, statusError } from './spool.js';
import { startAsyncIfIdle } from './async-spawn.js';

export interface AsyncGetForeground {
  name: string;
  dest: string;
  stanza: string;
  spoolPath: string;
  lockPath: string;
  execId: string;
  timeout: number;
  /** How many bytes of WAL the async process may queue ahead (archive-get-queue-max). */
  queueMax: number;
  walSegmentSize: number;
  params: readonly string[];
}

/**
 * The foreground half of async archive-get: take the segment from the prefetch queue, or learn
 * that it is missing (`<segment>.ok` with no segment) or failed, starting the prefetch process when
 * none is running. Returns true when found, false when missing.
 */
export async function getAsyncForeground(o: AsyncGetForeground): Promise<boolean> {
  const queue = spoolQueuePath(o.spoolPath, o.stanza, 'in');
  const deadline = Date.now() + o.timeout * 1000;
  let first = true;
  for (;;) {
    if (await moveQueued(join(queue, o.name), o.dest)) return true;
    const status = await readStatus(queue, o.name);
    if (status?.kind === 'ok') {
      // a "missing" answer may be older than the file: look once more after a fresh async run
      if (!first) return false;
      await rm(join(queue, `${o.name}.ok`), { force: true });
    } else if (status?.kind === 'error' && !first) {
      throw statusError(status.code, status.message);
    }
    if (first) {
      await startAsyncIfIdle({ ...o, queue, command: 'archive-get', newParams: prefetchList(o.name, o.queueMax, o.walSegmentSize) });
      first = false;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function moveQueued(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'EXDEV') throw e;
  }
  await copyFile(from, `${to}.pgbackrest.tmp`);
  await rename(`${to}.pgbackrest.tmp`, to);
  await rm(from, { force: true });
  return true;
}

/** The requested segment and the ones after it, as many as fit in archive-get-queue-max. */
export function prefetchList(name: string, queueMax: number, segmentSize: number): string[] {
  const list = [name];
  if (!/^[0-F]{24}$/.test(name)) return list;
  const count = Math.max(1, Math.floor(queueMax / segmentSize));
  while (list.length < count) list.push(nextWalSegment(list[list.length - 1], segmentSize));
  return list;
}

/** Queue entries that are no longer wanted (older segments PostgreSQL has moved past). */
export async function trimQueue(queue: string, wanted: Set<string>): Promise<void> {
  for (const f of await readdir(queue).catch(() => [] as string[])) {
    const seg = f.replace(/\.(ok|error|pgbackrest\.tmp)$/, '');
    if (!wanted.has(seg) && f !== 'global.error') await rm(join(queue, f), { force: true });
  }
}
