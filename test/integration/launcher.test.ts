/**
 * bin/pgbackrest, run as users run it (executed, so its `#!` line's node options apply): TLS
 * trusts the system's OpenSSL store, as pgBackRest does. The s3rver certificate is put in that
 * store through SSL_CERT_FILE, and no repo-storage-ca-file is given.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCmd } from '../harness/run.js';
import { renderConf, s3RepoConf } from '../harness/cli.js';
import { s3Target } from '../harness/s3.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

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
    // in a process of its own, as the launchers load them (one that compiled the bundles before
    // would take them from V8's memory instead)
    const check = [
      `const vm = require('node:vm'), fs = require('node:fs'), crypto = require('node:crypto');`,
      `const out = {};`,
      `for (const f of process.argv.slice(1)) {`,
      `  const src = fs.readFileSync(f), cache = fs.readFileSync(f + '.cache');`,
      `  const s = new vm.Script('(function (exports, require, module, __filename, __dirname) { ' + src.toString(require('node:buffer').isAscii(src) ? 'latin1' : 'utf8') + '\\n})', { filename: f, cachedData: cache.subarray(20) });`,
      `  out[require('node:path').basename(f)] = { ascii: require('node:buffer').isAscii(src), header: crypto.createHash('sha1').update(src).digest().equals(cache.subarray(0, 20)), rejected: s.cachedDataRejected };`,
      `}`,
      `process.stdout.write(JSON.stringify(out));`,
    ].join('\n');
    const r = await runCmd(process.execPath, ['-e', check, join(REPO_ROOT, 'dist', 'main.cjs'), join(REPO_ROOT, 'dist', 'worker.cjs')]);
    expect(r.code, r.stderr).toBe(0);
    // ASCII: the launchers decode such a bundle as latin1, 5 ms sooner than UTF-8 (see build.mjs)
    const taken = { ascii: true, header: true, rejected: false };
    expect(JSON.parse(r.stdout)).toEqual({ 'main.cjs': taken, 'worker.cjs': taken });
  });

  it('runs the bundle', async () => {
    const r = await runCmd(LAUNCHER, ['version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('pgBackRest 2.45');
  });
});
