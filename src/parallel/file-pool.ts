import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { err } from '../error/error.js';
import { fileJobPath, fileJobRunner, fileJobSize, type FileJob, type FileJobResult, type FileWorkerData } from './file-job.js';
import { createPool, runJobs, type JobQueues, type Pool } from './pool.js';
import { prestartWorkers } from './worker-client.js';
import type { StorageDescription } from './storage-desc.js';

export const WORKER_FILE = 'pgbackrest-worker.cjs';

export interface FileJobsOptions {
  /** process-max. */
  processMax: number;
  /** Repository the jobs read from or write to. */
  storage: StorageDescription;
  /** Worker entry; defaults to `pgbackrest-worker.cjs` beside the bundle this code runs from. */
  workerModule?: URL | string;
  onResult: (result: FileJobResult, job: FileJob, processId: number) => void | Promise<void>;
  /** Epoch ms before which a job may not start (see `runJobs`). */
  readyAt?: (job: FileJob) => number;
  /** Run the jobs in the order given instead of largest first (a bundled backup's queue order). */
  inOrder?: boolean;
  /** Files in flight per process on an object store; OBJECT_STORE_DEPTH unless given. */
  objectStoreDepth?: number;
  /** pgBackRest's queues, one per target (see `runJobs`); each is still run largest first unless `inOrder`. */
  queues?: JobQueues<FileJob>;
  /**
   * Runs each job in the pool's place once a process has taken it: `run` runs a job (this one or
   * another in its stead) on that process, and what `around` resolves to is the job's result.
   * For what is decided only as earlier jobs end. `onResult` still gets the job as given.
   */
  around?: (job: FileJob, run: (job: FileJob) => Promise<FileJobResult>) => Promise<FileJobResult>;
}

/**
 * Largest first, like pgBackRest's queue; equal sizes in descending path order (the order seen
 * in pgBackRest's logs: base/4/1255 before base/1/1255). The sort is stable otherwise.
 */
export function sortLargestFirst(jobs: readonly FileJob[]): FileJob[] {
  return [...jobs].sort((a, b) => fileJobSize(b) - fileJobSize(a) || comparePathDesc(a, b));
}

function comparePathDesc(a: FileJob, b: FileJob): number {
  const pa = fileJobPath(a);
  const pb = fileJobPath(b);
  return pa === pb ? 0 : pa < pb ? 1 : -1;
}

/**
 * Files in flight per process on an object store. Each file there waits on network round trips
 * (one PUT or GET per small file), so a second file per process keeps its core busy meanwhile;
 * on local storage the wait is short and one file per process is enough.
 */
const OBJECT_STORE_DEPTH = 2;

/**
 * Threads that run the jobs of `processMax` processes, this one included (see startedThreads): no
 * more than this machine has cores. Each worker thread starts its own Node environment (about 0.1 s
 * of CPU and 20 MB before its first job), and the work is compression, hashing and TLS: threads
 * beyond the cores only take turns on them. A restore from S3 at process-max 4 on 2 cores used
 * twice the CPU of process-max 1 with four threads. The processes keep their own job slots, so as
 * many files are in flight.
 */
export function workerThreads(processMax: number): number {
  return Math.min(processMax, availableParallelism());
}

/**
 * Of `workerThreads`, the ones started as worker threads. With a local repo the main thread is one
 * of them (the pool's `mainThread`): it is idle between results otherwise, and each worker thread
 * costs about 0.2 s of CPU before its first job (Node's start, the bundle's compile, its own JIT
 * warm-up). A 315 MB restore at process-max 4 on two cores took 1.04-1.16 s of user CPU and
 * 1.52-1.71 s that way, against 1.25-1.41 s and 1.66-1.86 s with two worker threads (four A/B
 * runs). From S3 it did not pay (three A/B restores: 4.08-4.37 s against 3.74-4.23 s), so with an
 * object store every process's jobs run on worker threads.
 */
export function startedThreads(processMax: number, storage: StorageDescription): number {
  const threads = workerThreads(processMax);
  return mainThreadRuns(storage) && threads > 1 ? threads - 1 : threads;
}

function mainThreadRuns(storage: StorageDescription): boolean {
  return storage.type !== 's3';
}

/**
 * Starts the worker threads of a later `runFileJobs` with the same `processMax` and `storage` now
 * (see `prestartWorkers`). Nothing to start for process-max 1, or where no built worker entry
 * exists (code run from source).
 */
export function prestartFileWorkers(processMax: number, storage: StorageDescription, count = startedThreads(processMax, storage)): void {
  if (processMax <= 1) return;
  let module: URL;
  try {
    module = defaultWorkerModule();
  } catch {
    return;
  }
  prestartWorkers(module, { storage } satisfies FileWorkerData, Math.min(count, startedThreads(processMax, storage)));
}

/** Runs every file job, largest first unless `inOrder`, `processMax` processes on `workerThreads` threads (this one included). See `runJobs`. */
export async function runFileJobs(jobs: readonly FileJob[], opts: FileJobsOptions): Promise<void> {
  const pool = createPool<FileJob, FileJobResult>({
    size: opts.processMax,
    threads: workerThreads(opts.processMax),
    mainThread: mainThreadRuns(opts.storage),
    depth: opts.storage.type === 's3' ? (opts.objectStoreDepth ?? OBJECT_STORE_DEPTH) : 1,
    // Local files are CPU work from end to end (reads and writes are synchronous): a thread gains
    // nothing from two at once, and one large file must not share its thread with the rest.
    threadDepth: opts.storage.type === 's3' ? undefined : 1,
    workerModule: opts.processMax > 1 ? (opts.workerModule ?? defaultWorkerModule()) : undefined,
    workerData: { storage: opts.storage } satisfies FileWorkerData,
    local: () => fileJobRunner(opts.storage),
  });
  const around = opts.around;
  const run: Pool<FileJob, FileJobResult> =
    around === undefined ? pool : { ...pool, run: (processId, job) => around(job, (j) => pool.run(processId, j)) };
  try {
    await runJobs(run, opts.inOrder === true ? jobs : sortLargestFirst(jobs), opts.onResult, opts.readyAt, opts.queues);
  } finally {
    await pool.close();
  }
}

/** The build puts the worker entry next to the CLI's bundle. */
export function defaultWorkerModule(base: string | URL = import.meta.url): URL {
  const url = new URL(`./${WORKER_FILE}`, base);
  if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  throw err('AssertError', `unable to find worker module '${WORKER_FILE}' near '${String(base)}'`);
}
