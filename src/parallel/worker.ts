/**
 * Worker thread entry for the file pool. esbuild builds it as its own entry point
 * (`dist/pgbackrest-worker.mjs`, next to `dist/pgbackrest.mjs`).
 */
import { workerJobRunner, type FileWorkerData } from './file-job.js';
import { serveJobs } from './worker-runtime.js';

serveJobs((data) => workerJobRunner((data as FileWorkerData).storage));
