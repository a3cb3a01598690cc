/**
 * Node's own modules a command loads.
 * - archive-push runs once per WAL segment, so a module it loads without using costs every
 *   segment: node:child_process (with node:net) took 3-4 ms of its start, and only bz2, locks and
 *   the async archiver start children (src/util/child-process.ts).
 * - The bundle talks to PostgreSQL without loading Node's fetch (undici): the `pg` package's
 *   lib/stream.js builds a `Response` when loaded, to detect Cloudflare Workers, and the build
 *   swaps that module for src/postgres/pg-stream.ts (build.mjs).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedBackupEnv } from './backup-helpers.js';
import { ours } from '../harness/cli.js';
import { chownToPostgres, makeTempDir } from '../harness/tmp.js';

const env = sharedBackupEnv({}, { timeoutMs: 180_000 });

/** Runs ours with `args` and returns every internal module the process had loaded when it exited. */
async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const dir = makeTempDir();
  chownToPostgres(dir);
  const out = join(dir, 'modules.txt');
  const hook = join(dir, 'modules.mjs');
  writeFileSync(hook, `import fs from 'node:fs';\nprocess.on('exit', () => fs.writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`);
  chownToPostgres(hook);
  const r = await ours(args, { addEnv: { NODE_OPTIONS: `--import=${hook}` } });
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out, 'utf8').split('\n');
}

describe('modules a command start loads', () => {
  it('archive-push of a segment to a posix repo loads no node:child_process', async () => {
    const walDir = join(env.cluster.pgdata, 'pg_wal');
    const segment = readdirSync(walDir).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort()[0]!;
    const loaded = await modulesLoadedBy([...env.args, 'archive-push', join(walDir, segment)]);
    // the hook saw the push: it hashed the segment
    expect(loaded).toContain('NativeModule crypto');
    expect(loaded.filter((m) => m.includes('child_process'))).toEqual([]);
  });

  it('check connects to PostgreSQL without loading undici', async () => {
    const loaded = await modulesLoadedBy([...env.args, 'check']);
    // the hook saw a session: pg's connection code ran
    expect(loaded).toContain('NativeModule net');
    expect(loaded.filter((m) => m.includes('undici'))).toEqual([]);
  });
});
