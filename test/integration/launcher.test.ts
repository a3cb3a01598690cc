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

  it('runs the bundle', async () => {
    const r = await runCmd(LAUNCHER, ['version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('pgBackRest 2.45');
  });
});
