/**
 * Issue 9: secrets never leak. Commands run against an S3 repo (key, secret key, token) and an
 * encrypted posix repo (cipher pass) at debug log levels; no secret may appear in stdout, stderr,
 * the log files, or the argv of the async child archive-push starts. Also: a config file readable
 * by others is accepted silently, as pgBackRest 2.45 does (checked against it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../harness/pg.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ours, s3RepoConf, theirs, writeConf } from '../harness/cli.js';
import { s3Target } from '../harness/s3.js';
import type { RunResult } from '../harness/run.js';

const CIPHER_PASS = 'CipherPass-Zq81-never-printed';
const TOKEN = 'SessionToken-Xk29-never-printed';
let cluster: Cluster;
let work: string;
let conf: string;
let args: string[];
let secrets: string[];
const outputs: [string, RunResult][] = [];

beforeAll(async () => {
  work = makeTempDir('pgbr-secrets-');
  cluster = await startCluster({ conf: { wal_level: 'replica', archive_mode: 'on', archive_command: "'/bin/true'" } });
  const s3 = s3Target();
  conf = writeConf(work, {
    global: {
      ...s3RepoConf(s3, work, 1),
      'repo1-s3-token': TOKEN,
      'repo2-path': join(work, 'repo2'),
      'repo2-cipher-type': 'aes-256-cbc',
      'repo2-cipher-pass': CIPHER_PASS,
      'lock-path': join(work, 'lock'),
      'log-path': join(work, 'log'),
      'spool-path': join(work, 'spool'),
      'log-level-console': 'debug',
      'log-level-stderr': 'debug',
      'log-level-file': 'debug',
      'start-fast': 'y',
    },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  });
  args = [`--config=${conf}`, '--stanza=demo'];
  mkdirSync(join(work, 'log'));
  chownToPostgres(join(work, 'log'));
  // s3rver's key and secret key are both S3RVER; a case-sensitive search finds no other use of it.
  secrets = [s3.accessKey, s3.secretKey, TOKEN, CIPHER_PASS];
}, 120_000);

afterAll(async () => {
  await cluster?.cleanup();
  removeAllTempDirs();
});

function expectNoSecret(where: string, text: string): void {
  for (const s of secrets) expect(text.includes(s), `${where} contains a secret`).toBe(false);
}

async function run(cmd: string[]): Promise<RunResult> {
  const r = await ours([...args, ...cmd], { timeoutMs: 120_000 });
  outputs.push([cmd.join(' '), r]);
  return r;
}

/** argv of every running async archive-push child (scanned while the foreground runs). */
function asyncChildArgv(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (argv.includes('archive-push:async') && argv.includes(conf)) found.push(argv.replace(/\0/g, ' '));
    } catch {
      // gone already
    }
  }
  return found;
}

describe('secrets stay out of output, logs and child argv', () => {
  it('runs stanza-create, archive-push (sync and async), check, backup and info at debug', async () => {
    expect((await run(['stanza-create'])).code).toBe(0);
    const wal = readdirSync(join(cluster.pgdata, 'pg_wal')).find((f) => /^[0-9A-F]{24}$/.test(f))!;
    const seg = join(work, wal);
    copyFileSync(join(cluster.pgdata, 'pg_wal', wal), seg);
    chownToPostgres(seg);
    expect((await run(['archive-push', seg])).code).toBe(0);

    // Async: watch /proc while the foreground waits for the child it started.
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const a of asyncChildArgv()) seen.add(a);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    // The async child pushes what PostgreSQL marked ready in pg_wal/archive_status.
    const ready = join(cluster.pgdata, 'pg_wal', 'archive_status', `${wal}.ready`);
    writeFileSync(ready, '');
    chownToPostgres(ready);
    const asyncPush = await run(['--archive-async', '--process-max=2', 'archive-push', join(cluster.pgdata, 'pg_wal', wal)]);
    watching = false;
    await watcher;
    expect(asyncPush.code, asyncPush.stderr).toBe(0);
    expect(seen.size, 'the async child was seen running').toBeGreaterThan(0);
    for (const a of seen) expectNoSecret('async child argv', a);

    // archive_command is /bin/true here, so the backup does not wait for its WAL in the repo.
    const backup = await run(['--repo=2', '--type=full', '--no-archive-check', 'backup']);
    expect(backup.code, backup.stderr).toBe(0);
    expect((await run(['info'])).code).toBe(0);
    expect((await run(['check'])).code).not.toBe(-1);
    for (const [cmd, r] of outputs) {
      expectNoSecret(`${cmd} stdout`, r.stdout);
      expectNoSecret(`${cmd} stderr`, r.stderr);
    }
    // The debug output really is there, with the secure options redacted.
    expect(outputs[0][1].stdout + outputs[0][1].stderr).toMatch(/--repo2-cipher-pass=<redacted>/);
    const logs = readdirSync(join(work, 'log'));
    expect(logs.length).toBeGreaterThan(0);
    for (const f of logs) expectNoSecret(`log ${f}`, readFileSync(join(work, 'log', f), 'utf8'));
  }, 240_000);

  it('refuses secure options on the command line, where ps would show them', async () => {
    const r = await ours([...args, `--repo2-cipher-pass=${CIPHER_PASS}`, 'info']);
    const t = await theirs([...args, `--repo2-cipher-pass=${CIPHER_PASS}`, 'info']);
    expect(r.code).toBe(t.code);
    expect(r.code).not.toBe(0);
    expectNoSecret('stderr', r.stdout + r.stderr);
  });

  it('accepts a config file readable by others silently, like pgBackRest 2.45', async () => {
    chmodSync(conf, 0o644);
    expect(statSync(conf).mode & 0o777).toBe(0o644);
    const quiet = ['--log-level-console=warn', '--log-level-stderr=off'];
    const r = await ours([...args, ...quiet, 'info']);
    const t = await theirs([...args, ...quiet, 'info']);
    expect(t.stdout + t.stderr).not.toMatch(/WARN/);
    expect(r.stdout + r.stderr).not.toMatch(/WARN/);
    expect(r.code).toBe(t.code);
  });
});
