/**
 * Worker thread entry for the file pool. esbuild bundles it on its own (`dist/worker.cjs`, started
 * by `dist/pgbackrest-worker.cjs`, see worker-launch.ts).
 */
import { workerJobRunner, type FileWorkerData } from './file-job.js';
import { serveJobs } from './worker-runtime.js';

serveJobs((data) => workerJobRunner((data as FileWorkerData).storage));
