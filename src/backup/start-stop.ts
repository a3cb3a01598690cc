import type { Logger } from '../log/logger.js';
import { walSegmentRange } from '../postgres/lsn.js';
import { waitForSegment } from '../archive/wait.js';
import type { StorageDriver } from '../storage/storage.js';
import type { BackupSession, BackupStart, BackupStop } from './db.js';

export interface ArchiveTarget {
  storage: StorageDriver;
  stanza: string;
  archiveId: string;
  timeoutMs: number;
  segmentSize: number;
}

/** A started backup, and the proof that archiving works, which may still be arriving. */
export interface StartedBackup {
  start: BackupStart;
  /**
   * Settles when the archive check of the start has found its segment (at once without
   * archive-check). It is already being waited on, so it never rejects unhandled; await it before
   * any file is copied.
   */
  archived: Promise<void>;
}

/**
 * Start the backup and begin proving that archiving works (backup-procedure §8.1 steps 6–9): when
 * the start did not move to a new segment, force a switch and wait for the start segment;
 * otherwise wait for the segment before it. The wait is usually one archive_command run of the
 * segment the start completed; the caller builds the manifest meanwhile, and awaits `archived`
 * before copying, so no data is copied before the proof.
 */
export async function startBackup(o: {
  session: BackupSession;
  startFast: boolean;
  archive?: ArchiveTarget;
  log: Logger;
  /** Aborted when the backup ends: stops the check's polling if the backup failed before awaiting it. */
  signal: AbortSignal;
}): Promise<StartedBackup> {
  const before = o.archive ? await o.session.currentWal() : undefined;
  const when = o.startFast ? 'the requested immediate checkpoint' : 'the next regular checkpoint';
  o.log.info(`execute non-exclusive backup start: backup begins after ${when} completes`);
  const start = await o.session.start(o.startFast);
  o.log.info(`backup start archive = ${start.segment}, lsn = ${start.lsn}`);
  if (!o.archive || !before) return { start, archived: Promise.resolve() };
  // pgBackRest checks the segment that was current before the start; when the start did not leave
  // it, a switch makes it complete (so "prior" only when the start moved on)
  if (before.segment === start.segment) await o.session.switchWal();
  o.log.info(`check archive for ${before.segment === start.segment ? '' : 'prior '}segment ${before.segment}`);
  const archived = waitForSegment({ ...o.archive, segment: before.segment, signal: o.signal }).then(() => undefined);
  archived.catch(() => undefined);
  return { start, archived };
}

/** Stop the backup (PostgreSQL completes the stop segment and hands it to its archiver). */
export async function stopBackup(o: { session: BackupSession; log: Logger }): Promise<BackupStop> {
  o.log.info('execute non-exclusive backup stop and wait for all WAL segments to archive');
  const stop = await o.session.stop();
  o.log.info(`backup stop archive = ${stop.segment}, lsn = ${stop.lsn}`);
  return stop;
}

/**
 * Wait until every WAL segment from the start to the stop is in the archive; with `copy`
 * (--archive-copy) each is copied into the backup as soon as it is found.
 */
export async function checkStopArchive(o: {
  start: BackupStart;
  stop: BackupStop;
  archive?: ArchiveTarget;
  log: Logger;
  copy?: (segment: string, stored: string) => Promise<void>;
}): Promise<void> {
  if (!o.archive) return;
  o.log.info(`check archive for segment(s) ${o.start.segment}:${o.stop.segment}`);
  for (const segment of walSegmentRange(o.start.segment, o.stop.segment, o.archive.segmentSize)) {
    const stored = await waitForSegment({ ...o.archive, segment });
    await o.copy?.(segment, stored);
  }
}
