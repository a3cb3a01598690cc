/**
 * A separate process using the pool, so a test can prove the process ends on its own (a live
 * worker thread would keep it running). argv: <worker module> <size> <jobs as JSON> [threads to
 * start before the pool, see prestartWorkers].
 */
import { createPool, runJobs } from '../../src/parallel/pool.js';
import { prestartWorkers } from '../../src/parallel/worker-client.js';
import { sleepRunner, type SleepJob, type SleepResult } from './fixture-jobs.js';

const [module, size, jobsJson, prestart] = process.argv.slice(2);
if (prestart !== undefined) prestartWorkers(module!, undefined, Number(prestart));
const pool = createPool<SleepJob, SleepResult>({ size: Number(size), workerModule: module, local: sleepRunner });
try {
  await runJobs(pool, JSON.parse(jobsJson!) as SleepJob[], (r, _job, pid) => console.log(`result ${r.name} P${pid}`));
  console.log('done');
} catch (e) {
  console.log(`error ${(e as Error).message}`);
  process.exitCode = 3;
} finally {
  await pool.close();
}
