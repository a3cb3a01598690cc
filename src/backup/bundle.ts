import { isMainThread } from 'node:worker_threads';
import type { StorageDriver } from '../storage/storage.js';
import { localFiles, plainPosix, writeChunks } from './file-stream.js';
import { priorMatch, REPO_WRITE, storedFile, type BackupFileJob, type BackupFileResult } from './file.js';

/**
 * Several small files stored one after the other in one repo file, `<set>/bundle/<id>`
 * (repo-bundle=y; spec repo-layout.md §1.5 "Bundles"). Each file is compressed and encrypted on its
 * own, exactly as it would be stored alone, so a reader cuts it out by offset and stored size. One
 * object instead of one per file is what bundling is for on an object store: a cluster's hundreds of
 * small files cost hundreds of requests otherwise.
 */
export interface BackupBundleJob {
  /** Repo path of the bundle, relative to the repo storage root. */
  repoFile: string;
  bundleId: number;
  /** In the order they are stored; each one's `repoFile` is not used. */
  files: BackupFileJob[];
}

/** A file's result, and where its bytes start in the bundle when it was stored there. */
export type BundledFileResult = BackupFileResult & { bundleOffset?: number };

export interface BackupBundleResult {
  bundleId: number;
  /** One per job file, in the same order. */
  files: BundledFileResult[];
}

/**
 * Stores each file of the bundle that still needs copying (see priorMatch) in one pass over it, in
 * one write of the bundle. The bundle is not created when no file needs storing (all of them
 * matched a prior copy or are gone), as pgBackRest does not create it then.
 */
export async function backupBundle(job: BackupBundleJob, repo: StorageDriver, pg: StorageDriver = localFiles()): Promise<BackupBundleResult> {
  const results: BundledFileResult[] = [];
  const opts = { toNetwork: isMainThread && !plainPosix(repo, 'write'), wholeOut: true };
  let offset = 0;
  async function* content(): AsyncGenerator<Buffer> {
    for (const file of job.files) {
      const matched = await priorMatch(file, pg);
      if (matched !== undefined) {
        results.push(matched);
        continue;
      }
      const stored = await storedFile(file, pg, opts);
      if (stored === null) {
        results.push({ copied: false, skipped: 'missing' });
        continue;
      }
      const start = offset;
      try {
        if (Buffer.isBuffer(stored.chunks)) {
          offset += stored.chunks.length;
          yield stored.chunks;
        } else {
          for await (const chunk of stored.chunks) {
            offset += chunk.length;
            yield chunk;
          }
        }
      } finally {
        await stored.close();
      }
      results.push({ ...(await stored.result()), bundleOffset: start });
    }
  }
  const it = content();
  // the first stored chunk decides whether there is a bundle at all
  const first = await it.next();
  if (!first.done) {
    async function* all(): AsyncGenerator<Buffer> {
      yield first.value as Buffer;
      yield* it;
    }
    const expected = job.files.reduce((n, f) => n + f.pgFileSize, 0);
    try {
      await writeChunks(repo, job.repoFile, all(), expected, REPO_WRITE);
    } finally {
      await it.return(undefined);
    }
  }
  return { bundleId: job.bundleId, files: results };
}
