#!/usr/bin/env node
/**
 * Long fuzzing run of the hostile-input properties in test/fuzz/ (config text and argv, option
 * values, info files, manifests, WAL headers, JSON). `npm test` runs each property 200 times with
 * a fixed seed; this runs many more.
 *
 *   npm run fuzz                       # FUZZ_RUNS=20000 per property, a random seed
 *   FUZZ_RUNS=100000 npm run fuzz      # more cases
 *   FUZZ_SEED=1234 npm run fuzz        # replay a seed printed by a failing run
 *   FUZZ_CASE_LIMIT_MS=200 npm run fuzz  # stricter bound on one case (treated as a hang above it)
 *
 * A failure prints fast-check's report: the seed, the shrunk counterexample and the error, which
 * is either a non-PgbrError exception, a code outside the catalogue, or a case over the time limit.
 */
import { spawnSync } from 'node:child_process';

const env = { ...process.env };
env.FUZZ_RUNS ??= '20000';
env.FUZZ_SEED ??= String(Math.floor(Math.random() * 2 ** 31));
console.log(`fuzz: FUZZ_RUNS=${env.FUZZ_RUNS} FUZZ_SEED=${env.FUZZ_SEED}`);
const r = spawnSync('npx', ['vitest', 'run', 'test/fuzz', '--testTimeout=0', ...process.argv.slice(2)], { env, stdio: 'inherit' });
process.exit(r.status ?? 1);
