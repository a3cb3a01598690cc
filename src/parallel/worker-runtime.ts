import { parentPort, workerData } from 'node:worker_threads';
import { errorToWire, type FromWorker, type ToWorker } from './wire.js';

/** What a pool runs jobs with, in a worker thread or (size 1) in the main thread. */
export interface JobRunner<J, R> {
  run(job: J): Promise<R>;
  /**
   * Memory of a result to move to the main thread instead of copying it; the result must not use
   * it afterwards. Only called in a worker thread.
   */
  transfer?(result: R): ArrayBuffer[];
  close(): Promise<void>;
}

/**
 * The body of a worker entry module: builds the runner from `workerData` once, answers each job
 * message with its result or error, and on `close` releases the runner and lets the thread end.
 * Jobs may overlap (the pool sends up to its depth before the first is answered); each is answered
 * on its own.
 */
export function serveJobs<J, R>(createRunner: (data: unknown) => Promise<JobRunner<J, R>>): void {
  const port = parentPort;
  if (port === null) throw new Error('serveJobs must run in a worker thread');
  let runner: Promise<JobRunner<J, R>> | undefined;
  const getRunner = (): Promise<JobRunner<J, R>> => (runner ??= createRunner(workerData));
  port.on('message', (msg: ToWorker<J>) => {
    if (msg.type === 'close') {
      void (runner ?? Promise.resolve(undefined))
        .then((r) => r?.close())
        .catch(() => undefined)
        .finally(() => port.close());
      return;
    }
    void getRunner()
      .then(async (jobs) => ({ jobs, result: await jobs.run(msg.job) }))
      .then(
        ({ jobs, result }) => port.postMessage({ id: msg.id, ok: true, result } satisfies FromWorker<R>, jobs.transfer?.(result)),
        (e: unknown) => port.postMessage({ id: msg.id, ok: false, error: errorToWire(e) } satisfies FromWorker<R>),
      );
  });
}
