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
}

export interface SleepResult {
  name: string;
  threadId: number;
  start: number;
  end: number;
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
  return { run: runSleepJob, close: async () => undefined };
}
