/**
 * bin/pgbackrest, run as users run it (executed, so its `#!` line's node options apply): TLS
 * trusts the system's OpenSSL store, as pgBackRest does. The s3rver certificate is put in that
 * store through SSL_CERT_FILE, and no repo-storage-ca-file is given.
 */
import { isAscii } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCmd } from '../harness/run.js';
import { renderConf, s3RepoConf } from '../harness/cli.js';
import { s3Target } from '../harness/s3.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { buildEntries } from '../parallel/build.js';

afterAll(() => removeAllTempDirs());

const LAUNCHER = join(REPO_ROOT, 'bin', 'pgbackrest');

describe('bin/pgbackrest', () => {
  const t = s3Target();
  it.skipIf(!t.verifyTls || t.caFile === undefined)('trusts a CA of the system store without repo-storage-ca-file', async () => {
    const dir = makeTempDir();
    chownToPostgres(dir);
    const repo = s3RepoConf(t, dir);
    const ca = repo['repo1-storage-ca-file']!;
    delete repo['repo1-storage-ca-file'];
    const conf = join(dir, 'pgbackrest.conf');
    writeFileSync(conf, renderConf({ global: { ...repo, 'log-level-console': 'warn', 'log-level-file': 'off' } }));
    chownToPostgres(conf);
    const env: NodeJS.ProcessEnv = { ...process.env, SSL_CERT_FILE: ca };
    delete env.NODE_EXTRA_CA_CERTS;
    const launched = await runCmd(LAUNCHER, [`--config=${conf}`, 'repo-ls'], { env, asPostgres: true });
    expect(launched.code, launched.stderr).toBe(0);
    // the same bundle with Node's bundled list only: the certificate is unknown
    const bundled = await runCmd(process.execPath, [LAUNCHER, `--config=${conf}`, 'repo-ls'], { env, asPostgres: true });
    expect(bundled.code).not.toBe(0);
    expect(bundled.stderr).toMatch(/certificate/i);
  });

  it('has code caches of this build that this node takes, for ASCII bundles', async () => {
    // loaded by the launchers' own code, in a process of its own (one that compiled the bundles
    // before would take them from V8's memory instead)
    const child = await buildEntries({ 'load-bundle-child': 'test/cli/load-bundle-child.ts' });
    try {
      for (const name of ['main.cjs', 'worker.cjs']) {
        const bundle = join(REPO_ROOT, 'dist', name);
        // ASCII: the launchers decode such a bundle as latin1, 5 ms sooner than UTF-8 (see build.mjs)
        expect(isAscii(readFileSync(bundle)), name).toBe(true);
        const r = await runCmd(process.execPath, [fileURLToPath(child.url('load-bundle-child')), bundle, 'check']);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout), name).toMatchObject({ cacheUsed: true, rejected: false });
      }
    } finally {
      child.remove();
    }
  });

  it('runs the bundle', async () => {
    const r = await runCmd(LAUNCHER, ['version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('pgBackRest 2.45');
  });
});
