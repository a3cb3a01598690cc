import { err } from '../error/error.js';
import { archiveIdPath, walSegmentDir, walSegmentStoredRegex } from '../repo/layout.js';
import type { StorageDriver } from '../storage/storage.js';

const FAST_POLL_MS = 3000;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 500;

/**
 * Wait until a WAL segment is in the repo (backup's archive check, the check command). Returns the
 * repo path of the stored file; after `timeoutMs` fails with pgBackRest's ArchiveTimeoutError.
 */
export async function waitForSegment(opts: {
  storage: StorageDriver;
  stanza: string;
  archiveId: string;
  segment: string;
  timeoutMs: number;
  /** Aborting stops the polling: the wait then rejects with the signal's reason. */
  signal?: AbortSignal;
}): Promise<string> {
  const dir = `${archiveIdPath(opts.stanza, opts.archiveId)}/${walSegmentDir(opts.segment)}`;
  const pattern = walSegmentStoredRegex(opts.segment);
  const begun = Date.now();
  const deadline = begun + opts.timeoutMs;
  // The segment usually lands within a second (one archive_command run), and the backup waits for
  // it twice (before its copy and before its end): look every 50 ms then, so the wait ends soon
  // after it lands; a slower archiver is looked for twice a second. On an object store each look
  // is a LIST request of one directory: s3rver answers one in about 10 ms of its thread, and three
  // seconds of looks cost a real store about as much as 60 small PUTs.
  for (;;) {
    opts.signal?.throwIfAborted();
    const found = await opts.storage.list(dir, { expression: pattern });
    if (found.length > 0) return `${dir}/${found[0].name}`;
    if (Date.now() >= deadline) {
      throw err('ArchiveTimeoutError', `WAL segment ${opts.segment} was not archived before the ${opts.timeoutMs}ms timeout`, {
        hints: [
          'check the archive_command to ensure that all options are correct (especially --stanza).',
          'check the PostgreSQL server log for errors.',
          "run the 'start' command if the stanza was previously stopped.",
        ],
      });
    }
    const delay = Date.now() - begun < FAST_POLL_MS ? FIRST_DELAY_MS : MAX_DELAY_MS;
    await new Promise((r) => setTimeout(r, delay));
  }
}
