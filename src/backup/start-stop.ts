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

/**
 * Start the backup and prove archiving works before any data is copied (backup-procedure §8.1
 * steps 6–9): when the start did not move to a new segment, force a switch and wait for the start
 * segment; otherwise wait for the segment before it.
 */
export async function startBackup(o: { session: BackupSession; startFast: boolean; archive?: ArchiveTarget; log: Logger }): Promise<BackupStart> {
  const before = o.archive ? await o.session.currentWal() : undefined;
  const when = o.startFast ? 'the requested immediate checkpoint' : 'the next regular checkpoint';
  o.log.info(`execute non-exclusive backup start: backup begins after ${when} completes`);
  const start = await o.session.start(o.startFast);
  o.log.info(`backup start archive = ${start.segment}, lsn = ${start.lsn}`);
  if (o.archive && before) {
    // pgBackRest checks the segment that was current before the start; when the start did not leave
    // it, a switch makes it complete (so "prior" only when the start moved on)
    if (before.segment === start.segment) await o.session.switchWal();
    o.log.info(`check archive for ${before.segment === start.segment ? '' : 'prior '}segment ${before.segment}`);
    await waitForSegment({ ...o.archive, segment: before.segment });
  }
  return start;
}

/** Stop the backup, then wait until every WAL segment the backup needs is in the archive. */
export async function stopBackup(o: {
  session: BackupSession;
  start: BackupStart;
  archive?: ArchiveTarget;
  log: Logger;
}): Promise<BackupStop> {
  o.log.info('execute non-exclusive backup stop and wait for all WAL segments to archive');
  const stop = await o.session.stop();
  o.log.info(`backup stop archive = ${stop.segment}, lsn = ${stop.lsn}`);
  if (o.archive) {
    o.log.info(`check archive for segment(s) ${o.start.segment}:${stop.segment}`);
    for (const segment of walSegmentRange(o.start.segment, stop.segment, o.archive.segmentSize)) {
      await waitForSegment({ ...o.archive, segment });
    }
  }
  return stop;
}
