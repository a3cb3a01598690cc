import { err } from '../error/error.js';
import { WorkerClient } from './worker-client.js';
import type { JobRunner } from './worker-runtime.js';

/**
 * The process-max executor (STYLE.md "a parallel executor"): a fixed number of processes, each
 * running `depth` jobs at a time (1 unless the caller asks for more, see file-pool.ts), jobs
 * handed out in order, results handled in the main thread.
 * Size 1 runs jobs in this thread (no thread start-up); larger sizes use worker threads, because
 * compression and hashing are synchronous CPU work that would otherwise share one core.
 */
export interface PoolOptions<J, R> {
  /** process-max. */
  size: number;
  /** Jobs in flight per process (default 1). */
  depth?: number;
  /**
   * Worker threads the processes share (default: one each, at most `size`). Process p runs on
   * thread (p - 1) % threads; its jobs still count against its own depth, so as many jobs are in
   * flight either way.
   */
  threads?: number;
  /**
   * Jobs in flight per thread (default: no limit beyond the processes' own). With fewer threads
   * than processes, a thread whose processes all take jobs splits its time between them: a large
   * file then shares its thread with a stream of small ones until the end, while the other threads
   * have run out of work (restore of a 216 MB relation, process-max 4 on two cores: that file alone
   * set the end). With a limit, a process waits for its thread to have a free slot before it takes
   * the next job, so the jobs left go to the threads that are free.
   */
  threadDepth?: number;
  /**
   * This thread is the last of `threads` (when there are several): its processes' jobs run here,
   * between the results of the others, and one worker thread fewer starts. Jobs that keep this
   * thread busy for long must let its event loop turn now and then (see file-stream.ts readChunks).
   */
  mainThread?: boolean;
  /** Built worker entry (.mjs) that calls `serveJobs`; needed when size > 1. */
  workerModule?: URL | string;
  /** Passed to every worker as `workerData` (structured clone: plain data only). */
  workerData?: unknown;
  /** Runner for size 1, and for this thread's share with `mainThread`. */
  local: () => Promise<JobRunner<J, R>>;
}

export interface Pool<J, R> {
  readonly size: number;
  /** Jobs each process runs at once. */
  readonly depth: number;
  /** Runs a job on process `processId` (1..size), which must have fewer than `depth` in flight. */
  run(processId: number, job: J): Promise<R>;
  /**
   * Waits until the thread of `processId` may start one more job (see `threadDepth`); the returned
   * function gives the slot back and must be called once.
   */
  slot(processId: number): Promise<() => void>;
  /** Ends every worker and releases the local runner. Call once all jobs have settled. */
  close(): Promise<void>;
}

export function createPool<J, R>(opts: PoolOptions<J, R>): Pool<J, R> {
  if (!Number.isInteger(opts.size) || opts.size < 1) throw err('AssertError', `invalid pool size ${opts.size}`);
  const depth = opts.depth ?? 1;
  if (!Number.isInteger(depth) || depth < 1) throw err('AssertError', `invalid pool depth ${depth}`);
  return opts.size === 1 ? localPool(opts.local, depth) : workerPool(opts, depth);
}

function localPool<J, R>(create: () => Promise<JobRunner<J, R>>, depth: number): Pool<J, R> {
  const local = new LocalClient(create);
  return {
    size: 1,
    depth,
    slot: () => Promise.resolve(() => undefined),
    run: (_processId, job) => local.run(job),
    close: () => local.close(),
  };
}

/** What runs a thread's jobs: a worker thread's client, or this thread's own runner. */
interface ThreadClient<J, R> {
  run(job: J): Promise<R>;
  close(): Promise<void>;
}

/** Runs jobs in this thread; the runner is made for the first job. */
class LocalClient<J, R> implements ThreadClient<J, R> {
  private runner: Promise<JobRunner<J, R>> | undefined;

  constructor(private readonly create: () => Promise<JobRunner<J, R>>) {}

  async run(job: J): Promise<R> {
    // A job here may be synchronous from end to end (posix reads and writes, native codecs), and
    // awaiting it only runs microtasks: I/O the caller started meanwhile (the partial manifest
    // a backup saves every manifest-save-threshold bytes, a worker's finished job) would wait
    // until every job was done.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return (await (this.runner ??= this.create())).run(job);
  }

  async close(): Promise<void> {
    const r = this.runner;
    this.runner = undefined;
    if (r !== undefined) await (await r.catch(() => undefined))?.close();
  }
}

function workerPool<J, R>(opts: PoolOptions<J, R>, depth: number): Pool<J, R> {
  const module = opts.workerModule;
  if (module === undefined) throw err('AssertError', 'a worker module is required for more than one process');
  const threads = Math.max(1, Math.min(opts.size, opts.threads ?? opts.size));
  const local = opts.mainThread === true && threads > 1;
  const clients: ThreadClient<J, R>[] = Array.from({ length: threads }, (_, i) =>
    local && i === threads - 1 ? new LocalClient(opts.local) : new WorkerClient<J, R>(i + 1, module, opts.workerData));
  const slots = Array.from({ length: threads }, () => new Slots(opts.threadDepth ?? Infinity));
  return {
    size: opts.size,
    depth,
    slot: (processId) => slots[(processId - 1) % threads]!.take(),
    run: (processId, job) => {
      const client = Number.isInteger(processId) && processId >= 1 && processId <= opts.size ? clients[(processId - 1) % threads] : undefined;
      if (client === undefined) return Promise.reject(err('AssertError', `invalid process id ${processId}`));
      return client.run(job);
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

/** A counting semaphore: `take` resolves once fewer than `limit` are out, in the order asked. */
class Slots {
  private out = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async take(): Promise<() => void> {
    if (this.out >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.out++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      // the slot passes straight to the next waiter, so a caller arriving meanwhile cannot take it
      if (next !== undefined) next();
      else this.out--;
    };
  }
}

/**
 * Runs `jobs` in the given order with at most `pool.size × pool.depth` at once, `depth` per
 * process and no more per thread than the pool's `threadDepth`. `onResult` is called in this
 * thread with the id (1..size) of the process that ran the job, for `P01`-style log lines. On the
 * first failure (a job's or onResult's) no further job starts, jobs already running settle (their
 * results are not reported), and the promise rejects with that first error.
 * With `readyAt` (epoch ms), no job starts before its time: a free process takes the first ready
 * job in the order, and one that was passed over goes first once it is ready.
 * With `queues`, the jobs are split into that many queues, each keeping the given order, and
 * processes share them as pgBackRest's job callbacks do (restoreJobCallback, backupJobCallback):
 * process p (0-based) starts at queue p % count and, once it is empty, moves on to the next
 * queue up when p is even, down when p is odd, wrapping around. One process thus works through
 * pg_data before any tablespace, and several spread over them.
 */
export async function runJobs<J, R>(
  pool: Pool<J, R>,
  jobs: readonly J[],
  onResult: (result: R, job: J, processId: number) => void | Promise<void>,
  readyAt?: (job: J) => number,
  queues?: JobQueues<J>,
): Promise<void> {
  const queue = new QueueSet(jobs, readyAt, queues);
  let failure: { error: unknown } | undefined;
  const nextJob = async (processId: number): Promise<{ job: J } | undefined> => {
    for (;;) {
      const taken = queue.take(Date.now(), processId - 1);
      if (taken === undefined || 'job' in taken) return taken;
      await new Promise((r) => setTimeout(r, taken.wait));
      if (failure !== undefined) return undefined;
    }
  };
  const lane = async (processId: number): Promise<void> => {
    while (failure === undefined && !queue.empty) {
      // the job is taken once its thread can start it, not while it would wait for the thread
      const release = await pool.slot(processId);
      const taken = await nextJob(processId);
      if (failure !== undefined || taken === undefined) {
        release();
        break;
      }
      const job = taken.job;
      try {
        const result = await pool.run(processId, job).finally(release);
        if (failure === undefined) await onResult(result, job, processId);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  const lanes = Math.min(pool.size * pool.depth, jobs.length);
  await Promise.all(Array.from({ length: lanes }, (_, i) => lane((i % pool.size) + 1)));
  if (failure !== undefined) throw failure.error;
}

/** How runJobs splits its jobs into queues: `of(job)` is in 0..count-1; a queue may stay empty. */
export interface JobQueues<J> {
  count: number;
  of: (job: J) => number;
}

/** runJobs' queues (one without `queues`), and which one each process takes from. Exported for its tests. */
export class QueueSet<J> {
  private readonly queues: JobQueue<J>[];

  constructor(jobs: readonly J[], readyAt: ((job: J) => number) | undefined, split: JobQueues<J> | undefined) {
    if (split === undefined) {
      this.queues = [new JobQueue(jobs, readyAt)];
      return;
    }
    const lists = Array.from({ length: split.count }, (): J[] => []);
    for (const job of jobs) {
      const list = lists[split.of(job)];
      if (list === undefined) throw err('AssertError', `job queue ${split.of(job)} is not in 0..${split.count - 1}`);
      list.push(job);
    }
    this.queues = lists.map((list) => new JobQueue(list, readyAt));
  }

  get empty(): boolean {
    return this.queues.every((q) => q.empty);
  }

  /** The first ready job of the queues in `client`'s order; else how long until one is; undefined when none is left. */
  take(now: number, client: number): { job: J } | { wait: number } | undefined {
    const count = this.queues.length;
    const step = client % 2 === 1 ? count - 1 : 1;
    let wait: number | undefined;
    for (let i = 0, q = client % count; i < count; i++, q = (q + step) % count) {
      const taken = this.queues[q]!.take(now);
      if (taken === undefined) continue;
      if ('job' in taken) return taken;
      wait = Math.min(wait ?? Infinity, taken.wait);
    }
    return wait === undefined ? undefined : { wait };
  }
}

/** One queue's jobs in order, each given out no earlier than its ready time. */
class JobQueue<J> {
  private next = 0;
  /**
   * Jobs passed over because they were not ready, one queue per ready time (a backup has two or
   * three), each in job order: giving out the first of 100,000 held jobs stays cheap. Every held
   * job comes before every job not looked at yet.
   */
  private readonly held = new Map<number, HeldQueue<J>>();
  private heldCount = 0;

  constructor(
    private readonly jobs: readonly J[],
    private readonly readyAt: ((job: J) => number) | undefined,
  ) {}

  get empty(): boolean {
    return this.next >= this.jobs.length && this.heldCount === 0;
  }

  /** The first job ready at `now`; else how long until a held one is; undefined when none is left. */
  take(now: number): { job: J } | { wait: number } | undefined {
    let first: HeldQueue<J> | undefined;
    for (const q of this.held.values()) if (q.at <= now && (first === undefined || q.seqs[q.head]! < first.seqs[first.head]!)) first = q;
    if (first !== undefined) {
      const job = first.jobs[first.head++]!;
      this.heldCount--;
      if (first.head === first.jobs.length) this.held.delete(first.at);
      return { job };
    }
    while (this.next < this.jobs.length) {
      const seq = this.next++;
      const job = this.jobs[seq]!;
      const at = this.readyAt?.(job) ?? 0;
      if (at <= now) return { job };
      let q = this.held.get(at);
      if (q === undefined) this.held.set(at, (q = { at, jobs: [], seqs: [], head: 0 }));
      q.jobs.push(job);
      q.seqs.push(seq);
      this.heldCount++;
    }
    if (this.heldCount === 0) return undefined;
    let soonest = Infinity;
    for (const at of this.held.keys()) soonest = Math.min(soonest, at);
    return { wait: Math.max(1, soonest - now) };
  }
}

interface HeldQueue<J> {
  at: number;
  jobs: J[];
  /** Each job's place in the order, to take the earliest across queues. */
  seqs: number[];
  /** Jobs before this one were given out. */
  head: number;
}
