import { err } from '../error/error.js';
import { archiveIdPath, walSegmentDir, walSegmentStoredRegex } from '../repo/layout.js';
import type { StorageDriver } from '../storage/storage.js';

const FAST_POLL_MS = 3000;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 500;
/** An object store's second look: archive_command needs about this long to start and push. */
const ARCHIVER_START_MS = 300;
const STEP_DELAY_MS = 100;

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
  // On an object store every look is a LIST request, billed and served like any other, and one
  // that the server answers while the archiver's own requests wait (s3rver walks the whole bucket
  // for each, 100-140 ms of its one thread). The first look is at once (the segment may be there);
  // an archive_command takes a few hundred ms to start a process, look for a duplicate and upload,
  // so the second is 300 ms later, then 100, 100, 200, 300, 500 ms apart. A backup of a 328 MB
  // cluster to s3rver looked 4 times at its start and 4 at its stop with delays from 50 ms, 3 and 3 this way.
  const objectStore = !opts.storage.features.path;
  let looks = 0;
  let [a, b] = [STEP_DELAY_MS, STEP_DELAY_MS];
  const backoff = (): number => {
    if (looks++ === 0) return ARCHIVER_START_MS;
    const delay = a;
    [a, b] = [b, Math.min(a + b, MAX_DELAY_MS)];
    return delay;
  };
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
    // The segment usually lands within a second (one archive_command run): look often then, so the
    // backup ends soon after it; a slower archiver is looked for twice a second.
    const delay = objectStore ? backoff() : Date.now() - begun < FAST_POLL_MS ? FIRST_DELAY_MS : MAX_DELAY_MS;
    await new Promise((r) => setTimeout(r, delay));
  }
}
