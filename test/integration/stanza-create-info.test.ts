/**
 * Issue 2 interop: our stanza-create and info against Debian's pgBackRest 2.45, both ways, on posix
 * and S3 repos, plain and encrypted; and the bad-input cases that must leave the repo untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../harness/pg.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ours, theirs, writeConf, s3RepoConf, allOutput, type ConfSections } from '../harness/cli.js';
import { s3Target } from '../harness/s3.js';

const CIPHER_PASS = 'IntegrationTestPassphrase0123456789';
let cluster: Cluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ dataChecksums: true });
  work = makeTempDir('pgbr-sc-');
});

afterAll(async () => {
  await cluster?.cleanup();
  removeAllTempDirs();
});

type RepoKind = 'posix' | 's3';

/** A fresh directory with a config for one repo of the given kind. */
function setup(kind: RepoKind, opts: { encrypted?: boolean; extra?: Record<string, string> } = {}) {
  const dir = makeTempDir('pgbr-case-');
  const repo: Record<string, string> = kind === 'posix' ? { 'repo1-path': join(dir, 'repo') } : s3RepoConf(s3Target(), dir);
  if (opts.encrypted) Object.assign(repo, { 'repo1-cipher-type': 'aes-256-cbc', 'repo1-cipher-pass': CIPHER_PASS });
  const conf: ConfSections = {
    global: { ...repo, 'lock-path': join(dir, 'lock'), 'log-path': join(dir, 'log'), 'log-level-file': 'off', ...opts.extra },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  };
  const file = writeConf(dir, conf);
  return { dir, conf: file, repoPath: repo['repo1-path'], args: [`--config=${file}`, '--stanza=demo'] };
}

/** Every secret the configs hold: the cipher pass and the S3 key pair (s3rver's are S3RVER/S3RVER). */
function secretsIn(text: string): string[] {
  const t = s3Target();
  return [CIPHER_PASS, t.accessKey, t.secretKey].filter((s) => s.length > 0 && text.includes(s));
}

async function systemId(): Promise<string> {
  return (await cluster.psql('SELECT system_identifier FROM pg_control_system()')).trim();
}

function noTimestamps(text: string): string {
  return text.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /gm, '').replace(/\(\d+ms\)/g, '(Nms)');
}

describe.each<[RepoKind, boolean]>([
  ['posix', false],
  ['posix', true],
  ['s3', false],
  ['s3', true],
])('stanza-create and info on %s (encrypted: %s)', (kind, encrypted) => {
  it('ours creates, pgBackRest reads it and finds it valid', async () => {
    const c = setup(kind, { encrypted });
    const created = await ours([...c.args, '--log-level-console=info', 'stanza-create']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const lines = noTimestamps(created.stdout).split('\n');
    expect(lines[0]).toMatch(/^P00 {3}INFO: stanza-create command begin 2\.45: --config=/);
    expect(lines[1]).toBe("P00   INFO: stanza-create for stanza 'demo' on repo1");
    expect(lines[2]).toBe('P00   INFO: stanza-create command end: completed successfully (Nms)');
    expect(secretsIn(allOutput(created))).toEqual([]);

    const info = await theirs([...c.args, '--output=json', 'info']);
    expect(info.code).toBe(0);
    const sid = await systemId();
    expect(info.stdout).toContain(`"system-id":${sid},`);
    expect(info.stdout).toContain('"status":{"code":2,"lock":{"backup":{"held":false}},"message":"no valid backups"}');
    expect(info.stdout).toContain(`"cipher":"${encrypted ? 'aes-256-cbc' : 'none'}"`);

    const detail = await ours([...c.args, '--log-level-console=detail', '--output=json', 'info']);
    expect(secretsIn(allOutput(detail))).toEqual([]);
    const again = await theirs([...c.args, '--log-level-console=info', 'stanza-create']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("stanza 'demo' already exists on repo1 and is valid");

    // and ours agrees, running it again
    const oursAgain = await ours([...c.args, '--log-level-console=info', 'stanza-create']);
    expect(oursAgain.code).toBe(0);
    expect(oursAgain.stdout).toContain("P00   INFO: stanza 'demo' already exists on repo1 and is valid");
  });

  it('pgBackRest creates, our info prints exactly what its info prints', async () => {
    const c = setup(kind, { encrypted });
    const created = await theirs([...c.args, 'stanza-create']);
    expect(created.code).toBe(0);
    for (const output of ['text', 'json']) {
      const theirInfo = await theirs([...c.args, `--output=${output}`, 'info']);
      const ourInfo = await ours([...c.args, `--output=${output}`, 'info']);
      expect(ourInfo.stderr).toBe('');
      expect(ourInfo.code).toBe(0);
      expect(ourInfo.stdout).toBe(theirInfo.stdout);
    }
    // info for every stanza (no --stanza) as well
    const conf = `--config=${c.conf}`;
    expect((await ours([conf, 'info'])).stdout).toBe((await theirs([conf, 'info'])).stdout);
    // and for a stanza the repo does not have
    for (const output of ['text', 'json']) {
      const args = [conf, '--stanza=nosuch', `--output=${output}`, 'info'];
      const [o, t] = [await ours(args), await theirs(args)];
      expect(o.stdout).toContain('missing stanza path');
      expect([o.code, o.stdout]).toEqual([t.code, t.stdout]);
    }
  });
});

describe('info files written by both tools for the same cluster', () => {
  it('are identical key for key (and byte for byte unencrypted)', async () => {
    const a = setup('posix');
    const b = setup('posix');
    expect((await ours([...a.args, 'stanza-create'])).code).toBe(0);
    expect((await theirs([...b.args, 'stanza-create'])).code).toBe(0);
    for (const f of ['archive/demo/archive.info', 'archive/demo/archive.info.copy', 'backup/demo/backup.info', 'backup/demo/backup.info.copy']) {
      const mine = readFileSync(join(a.repoPath, f), 'utf8');
      const theirsText = readFileSync(join(b.repoPath, f), 'utf8');
      expect(mine).toBe(theirsText);
      expect(statSync(join(a.repoPath, f)).mode & 0o777).toBe(0o640);
    }
  });
});

describe('bad input', () => {
  it('falls back to archive.info.copy when archive.info is corrupt, and fails with both corrupt', async () => {
    const c = setup('posix');
    expect((await ours([...c.args, 'stanza-create'])).code).toBe(0);
    const main = join(c.repoPath, 'archive/demo/archive.info');
    const copy = `${main}.copy`;
    writeFileSync(main, readFileSync(main, 'utf8').replace('db-id=1', 'db-id=2'));
    const info = await ours([...c.args, '--output=json', 'info']);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('"message":"no valid backups"');

    writeFileSync(copy, 'garbage');
    const before = snapshot(c.repoPath);
    const broken = await ours([...c.args, 'stanza-create']);
    const theirBroken = await theirs([...c.args, 'stanza-create']);
    expect(broken.code).toBe(theirBroken.code);
    expect(broken.stderr).toContain(`unable to load info file '${main}' or '${copy}':`);
    expect(snapshot(c.repoPath)).toEqual(before);
  });

  it('refuses a repo that holds another cluster, and a wrong pg1-path, leaving the repo unchanged', async () => {
    const c = setup('posix');
    expect((await ours([...c.args, 'stanza-create'])).code).toBe(0);
    const other = await startCluster();
    try {
      const before = snapshot(c.repoPath);
      const args = [...c.args, `--pg1-path=${other.pgdata}`, `--pg1-port=${other.port}`, `--pg1-socket-path=${other.socketDir}`];
      const r = await ours([...args, 'stanza-create']);
      expect(r.code).toBe(28);
      expect(r.stderr).toBe(
        'ERROR: [028]: backup and archive info files exist but do not match the database\n' +
          '       HINT: is this the correct stanza?\n' +
          '       HINT: did an error occur during stanza-upgrade?\n',
      );
      const wrongPath = await ours([...c.args, `--pg1-path=${other.pgdata}`, 'stanza-create']);
      expect(wrongPath.code).toBe(58);
      expect(wrongPath.stderr).toContain(
        `ERROR: [058]: version '15' and path '${cluster.pgdata}' queried from cluster do not match version '15' and '${other.pgdata}' read from '${other.pgdata}/global/pg_control'`,
      );
      const missing = await ours([...c.args, `--pg1-path=${join(c.dir, 'nowhere')}`, 'stanza-create']);
      expect(missing.code).not.toBe(0);
      expect(snapshot(c.repoPath)).toEqual(before);
    } finally {
      await other.cleanup();
    }
  });

  it('refuses secrets on the command line and never prints them', async () => {
    const c = setup('posix', { encrypted: true });
    const r = await ours([...c.args, `--repo1-cipher-pass=${CIPHER_PASS}`, 'stanza-create']);
    expect(r.code).toBe(31);
    expect(r.stderr).toBe(
      "ERROR: [031]: option 'repo1-cipher-pass' is not allowed on the command-line\n" +
        '       HINT: this option could expose secrets in the process list.\n' +
        '       HINT: specify the option in a configuration file or an environment variable instead.\n',
    );
    const ok = await ours([...c.args, '--log-level-console=detail', 'stanza-create']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('--repo1-cipher-pass=<redacted>');
    expect(secretsIn(allOutput(ok))).toEqual([]);
  });

  it('reports a missing bucket and an unknown access key with a service error, writing nothing', async () => {
    const t = s3Target();
    const dir = makeTempDir('pgbr-s3bad-');
    const base = s3RepoConf(t, dir);
    for (const [name, override] of [
      ['missing bucket', { 'repo1-s3-bucket': 'no-such-bucket' }],
      ['unknown key', { 'repo1-s3-key': 'UNKNOWNKEY' }],
    ] as const) {
      const conf = writeConf(dir, {
        global: { ...base, ...override, 'lock-path': join(dir, 'lock'), 'log-level-file': 'off' },
        demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
      });
      const r = await ours([`--config=${conf}`, '--stanza=demo', 'stanza-create']);
      expect(r.code, name).toBe(39);
      expect(r.stderr, name).toMatch(/^ERROR: \[039\]: HTTP request failed with (404|403)/);
      expect(r.stderr).not.toContain(t.secretKey === 'S3RVER' ? 'never-matches' : t.secretKey);
    }
  });
});

/** Every file under a repo with its bytes, to prove a failed command changed nothing. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(p).toString('base64');
    }
  };
  walk(root);
  return out;
}
