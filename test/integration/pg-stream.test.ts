/**
 * The bundle talks to PostgreSQL without loading Node's fetch (undici): the `pg` package's
 * lib/stream.js builds a `Response` when loaded, to detect Cloudflare Workers, and the build
 * swaps that module for src/postgres/pg-stream.ts (build.mjs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupEnv, type BackupEnv } from './backup-helpers.js';
import { ours } from '../harness/cli.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

let env: BackupEnv;
beforeAll(async () => {
  env = await backupEnv({});
}, 180_000);
afterAll(async () => {
  await env?.cluster.cleanup();
  removeAllTempDirs();
});

describe('the PostgreSQL client in the bundle', () => {
  it('connects without loading undici', async () => {
    const dir = makeTempDir();
    chownToPostgres(dir);
    const out = join(dir, 'modules.txt');
    const hook = join(dir, 'modules.mjs');
    // every internal module the process loaded, written when it exits
    writeFileSync(hook, `import fs from 'node:fs';\nprocess.on('exit', () => fs.writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`);
    chownToPostgres(hook);
    const r = await ours([...env.args, 'check'], { addEnv: { NODE_OPTIONS: `--import=${hook}` } });
    expect(r.code, r.stderr).toBe(0);
    const loaded = readFileSync(out, 'utf8').split('\n');
    // the hook saw a session: pg's connection code ran
    expect(loaded).toContain('NativeModule net');
    expect(loaded.filter((m) => m.includes('undici'))).toEqual([]);
  });
});
