import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { err } from '../../src/error/error.js';
import type { JobRunner } from '../../src/parallel/worker-runtime.js';

/** Test jobs for the pool: sleep, then succeed, fail, crash the thread, or end it with exit code 3. */
export interface SleepJob {
  name: string;
  ms: number;
  outcome?: 'ok' | 'fail' | 'crash' | 'exit';
  /** File that gets a `start <name>` line when the job begins. */
  log?: string;
  /** Return this many bytes of `name`'s first character, moved to the caller (see sleepRunner). */
  bytes?: number;
}

export interface SleepResult {
  name: string;
  threadId: number;
  start: number;
  end: number;
  data?: Uint8Array;
  /** Whether the memory of this runner's previous `data` has left its thread (detached). */
  previousMoved?: boolean;
}

export async function runSleepJob(job: SleepJob): Promise<SleepResult> {
  const start = Date.now();
  if (job.log !== undefined) appendFileSync(job.log, `start ${job.name}\n`);
  await new Promise((r) => setTimeout(r, job.ms));
  if (job.outcome === 'fail') throw err('FileReadError', `job ${job.name} failed`, { hints: ['a hint'] });
  if (job.outcome === 'crash') setImmediate(() => { throw new Error(`job ${job.name} crashed`); });
  if (job.outcome === 'crash') await new Promise((r) => setTimeout(r, 1000));
  if (job.outcome === 'exit') process.exit(3);
  return { name: job.name, threadId, start, end: Date.now() };
}

export async function sleepRunner(): Promise<JobRunner<SleepJob, SleepResult>> {
  let previous: Uint8Array | undefined;
  return {
    run: async (job) => {
      const r = await runSleepJob(job);
      if (job.bytes === undefined) return r;
      const moved = previous === undefined ? undefined : previous.buffer.byteLength === 0;
      previous = new Uint8Array(job.bytes).fill(job.name.charCodeAt(0));
      return { ...r, data: previous, ...(moved !== undefined ? { previousMoved: moved } : {}) };
    },
    transfer: (r) => (r.data === undefined ? [] : [r.data.buffer as ArrayBuffer]),
    close: async () => undefined,
  };
}
