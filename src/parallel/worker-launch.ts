/**
 * dist/pgbackrest-worker.cjs, the file a worker thread starts: runs the worker bundle
 * (dist/worker.cjs, built from worker.ts) from its code cache (see cli/cached-script.ts).
 */
import { fileURLToPath } from 'node:url';
import { runBundle } from '../cli/cached-script.js';

runBundle(fileURLToPath(new URL('./worker.cjs', import.meta.url)));
