import { serveJobs } from '../../src/parallel/worker-runtime.js';
import { sleepRunner } from './fixture-jobs.js';

serveJobs(sleepRunner);
