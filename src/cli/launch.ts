/**
 * dist/pgbackrest.cjs, what bin/pgbackrest starts: runs the CLI bundle (dist/main.cjs, built from
 * cli/main.ts) from its code cache (see cached-script.ts).
 */
import { fileURLToPath } from 'node:url';
import { runBundle } from './cached-script.js';

runBundle(fileURLToPath(new URL('./main.cjs', import.meta.url)));
