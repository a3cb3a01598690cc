import { Worker } from 'node:worker_threads';
import { err } from '../error/error.js';
import { errorFromWire, type FromWorker, type ToWorker } from './wire.js';

/**
 * Threads started before their pool (see `prestartWorkers`), with what they were started with.
 * Each one is unreferenced until a client takes it, so one never taken does not keep the process up.
 */
const prestarted: { module: string; data: string; worker: Worker; drop: () => void }[] = [];

/**
 * Starts `count` threads of `module` now, for a pool created later with the same module and
 * `data`: a thread takes about 0.15 s to load Node and the bundle before its first job, and a
 * command that waits meanwhile can hide that (a backup waiting for its checkpoint). Where the
 * command is busy on the CPU meanwhile, no more threads than idle cores gain anything (a restore
 * reading its manifest starts one, see restore/run.ts). A thread that fails before it is taken is
 * forgotten, and the pool starts its own.
 * Returns the threads' ids.
 */
export function prestartWorkers(module: URL | string, data: unknown, count: number): number[] {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const worker = new Worker(module, { workerData: data });
    worker.unref();
    const entry = { module: String(module), data: JSON.stringify(data), worker, drop: () => undefined };
    entry.drop = () => {
      const at = prestarted.indexOf(entry);
      if (at >= 0) prestarted.splice(at, 1);
    };
    worker.once('error', entry.drop);
    worker.once('exit', entry.drop);
    prestarted.push(entry);
    ids.push(worker.threadId);
  }
  return ids;
}

function takeStarted(module: URL | string, data: unknown): Worker | undefined {
  if (prestarted.length === 0) return undefined;
  const key = JSON.stringify(data);
  const entry = prestarted.find((e) => e.module === String(module) && e.data === key);
  if (entry === undefined) return undefined;
  entry.drop();
  entry.worker.off('error', entry.drop);
  entry.worker.off('exit', entry.drop);
  entry.worker.ref();
  return entry.worker;
}

/** How long a worker may take to end after `close` before it is terminated. */
const CLOSE_GRACE_MS = 5000;

interface Pending<R> {
  id: number;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * One worker thread running the jobs it is given (the pool bounds how many at once). The thread
 * starts on the first job; if it dies (uncaught error, exit) the jobs in flight fail and the next
 * job starts a new thread.
 */
export class WorkerClient<J, R> {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending<R>>();
  private nextId = 1;

  constructor(
    /** 1..threads; with fewer threads than processes, thread N serves processes N, N + threads, … */
    private readonly threadNo: number,
    private readonly module: URL | string,
    private readonly data: unknown,
  ) {}

  run(job: J): Promise<R> {
    const worker = this.worker ?? this.start(takeStarted(this.module, this.data));
    return new Promise<R>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { id, resolve, reject });
      worker.postMessage({ type: 'job', id, job } satisfies ToWorker<J>);
    });
  }

  private start(started: Worker | undefined): Worker {
    const worker = started ?? new Worker(this.module, { workerData: this.data });
    worker.on('message', (msg: FromWorker<R>) => this.settle(msg));
    worker.on('error', (e) => this.fail(worker, e));
    worker.on('exit', (code) =>
      this.fail(worker, err('ExecuteError', `worker thread ${this.threadNo} exited unexpectedly with code ${code}`)),
    );
    this.worker = worker;
    return worker;
  }

  private settle(msg: FromWorker<R>): void {
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(errorFromWire(msg.error));
  }

  private fail(worker: Worker, e: unknown): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) p.reject(e);
  }

  /** Asks the thread to end and waits for it; terminates it if it does not end in time. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(err('AssertError', `worker thread ${this.threadNo} closed with a job in flight`));
    this.pending.clear();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies ToWorker<J>);
    const timer = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}
