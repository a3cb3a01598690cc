/**
 * Issue 9: S3 faults. Our CLI talks to the real s3rver through a fault-injecting TLS proxy
 * (test/harness/fault-proxy.ts); a second config reaches s3rver directly to check what is really
 * stored. After every case: a transient fault was retried and the command succeeded; a persistent
 * one failed with a catalogue error and a non-zero exit, without a stack trace; a short or corrupt
 * body was never accepted; and a clean archive-get finds either the exact bytes or nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../harness/pg.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ourArchiveCommand, ours, s3RepoConf, writeConf, type ConfSections } from '../harness/cli.js';
import type { RunResult } from '../harness/run.js';
import { s3Target, type S3Target } from '../harness/s3.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../harness/fault-proxy.js';
import { sha1Hex } from '../../src/io/hash.js';
import { parseManifest } from '../../src/repo/manifest.js';

let cluster: Cluster;
let proxy: FaultProxy;
let work: string;
let direct: string[];
let viaProxy: string[];
let walSource: string;
let segNo = 0x10;
const table: string[][] = [];

/** A fresh segment name per case, so that nothing one case stored can satisfy another. */
const nextSegment = (): string => `00000001000000AB000000${(segNo++).toString(16).toUpperCase().padStart(2, '0')}`;

beforeAll(async () => {
  work = makeTempDir('pgbr-fault-');
  const target: S3Target = s3Target();
  proxy = await startFaultProxy({ host: target.endpoint, port: target.port, caFile: target.caFile }, makeTempDir('pgbr-fault-cert-'));
  const conf = (name: string, t: S3Target, extra: Record<string, string>): string[] => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    chownToPostgres(dir);
    const sections: ConfSections = {
      global: {
        ...s3RepoConf(t, dir),
        'lock-path': join(work, 'lock'),
        'log-path': join(work, 'log'),
        'log-level-file': 'off',
        'start-fast': 'y',
        'archive-timeout': '30',
        'compress-type': 'lz4',
        ...extra,
      },
      demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
    };
    return [`--config=${writeConf(dir, sections)}`, '--stanza=demo'];
  };
  const directConf = join(work, 'direct', 'pgbackrest.conf');
  cluster = await startCluster({
    conf: {
      archive_mode: 'on', wal_level: 'replica',
      archive_command: `'${ourArchiveCommand(directConf, 'demo')}'`,
    },
  });
  direct = conf('direct', target, {});
  viaProxy = conf('proxy', { ...target, endpoint: proxy.endpoint, port: proxy.port, caFile: proxy.caFile }, { 'io-timeout': '1' });
  proxy.reset();
  const created = await ours([...direct, 'stanza-create']);
  expect(created.code, created.stderr).toBe(0);
  // Any real segment of this cluster serves as the content pushed under each case's own name.
  const walDir = join(cluster.pgdata, 'pg_wal');
  const first = readdirSync(walDir).find((f) => /^[0-9A-F]{24}$/.test(f))!;
  walSource = join(work, 'wal-source');
  copyFileSync(join(walDir, first), walSource);
  chownToPostgres(walSource);
});

afterAll(async () => {
  console.log(`\nS3 fault matrix\n${formatTable([['fault', 'command', 'outcome'], ...table])}`);
  await proxy?.stop();
  await cluster?.cleanup();
  removeAllTempDirs();
});

function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join(' | ')).join('\n');
}

/** Records a case's outcome and checks the shape of a failure: catalogue code, no stack trace. */
function outcome(fault: string, command: string, r: RunResult): 'ok' | 'failed' {
  const out = `${r.stdout}\n${r.stderr}`;
  expect(out, 'no stack trace').not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
  if (r.code === 0) {
    table.push([fault, command, proxy.log.some((e) => typeof e.outcome === 'string') ? 'retried and succeeded' : 'succeeded (fault not hit)']);
    return 'ok';
  }
  const m = /ERROR: \[(\d{3})\]: (.*)/.exec(out);
  expect(m, `clear error in: ${out}`).not.toBeNull();
  expect(r.code).toBe(Number(m![1]));
  table.push([fault, command, `failed clearly [${m![1]}] ${m![2].slice(0, 60)}`]);
  return 'failed';
}

const walPath = (seg: string) => join(work, 'wal', seg);

/** A clean archive-get (no proxy): the exact pushed bytes, or nothing at all. */
async function storedOrNothing(seg: string, mustExist: boolean): Promise<void> {
  const dest = join(work, `check-${seg}`);
  const r = await ours([...direct, 'archive-get', seg, dest]);
  if (mustExist || r.code === 0) {
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(dest).equals(readFileSync(walSource))).toBe(true);
  } else {
    expect(r.code, r.stderr).toBe(1);
    expect(existsSync(dest)).toBe(false);
  }
}

async function pushSegment(args: string[]): Promise<{ seg: string; r: RunResult }> {
  const seg = nextSegment();
  mkdirSync(join(work, 'wal'), { recursive: true });
  chownToPostgres(join(work, 'wal'));
  copyFileSync(walSource, walPath(seg));
  chownToPostgres(walPath(seg));
  return { seg, r: await ours([...args, 'archive-push', walPath(seg)], { timeoutMs: 60_000 }) };
}

const segPut = (kind: FaultRule['kind'], times?: number): FaultRule => ({ kind, method: 'PUT', path: /00000001000000AB/, times });
// The object's own GET: its key goes on with the SHA-1, where a look-up's listing has the name up to
// `-` as its prefix (and must not get these faults).
const segGet = (kind: FaultRule['kind'], times?: number): FaultRule => ({ kind, method: 'GET', path: /00000001000000AB000000[0-9A-F]{2}-[0-9a-f]{40}/, times });

describe('archive-push through faults', () => {
  const cases: [string, FaultRule[], 'ok' | 'failed'][] = [
    ['one 503 SlowDown on PUT', [segPut('503', 1)], 'ok'],
    ['one reset on PUT', [segPut('reset', 1)], 'ok'],
    ['one 500 on PUT', [segPut('500', 1)], 'ok'],
    ['one stall on PUT', [segPut('stall', 1)], 'ok'],
    ['one reset on LIST', [{ kind: 'reset', method: 'GET', path: /list-type=2/, times: 1 }], 'ok'],
    // a LIST answer is read whole, so one cut short is asked for again
    ['one LIST body cut short', [{ kind: 'short', method: 'GET', path: /list-type=2/, times: 1 }], 'ok'],
    ['503 on every PUT', [segPut('503')], 'failed'],
    ['reset on every PUT', [segPut('reset')], 'failed'],
    ['stall on every PUT', [segPut('stall')], 'failed'],
    ['corrupt archive.info body', [{ kind: 'corrupt', method: 'GET', path: /archive\.info/ }], 'failed'],
  ];
  it.each(cases)('%s', async (fault, rules, expected) => {
    proxy.reset(rules);
    const { seg, r } = await pushSegment(viaProxy);
    expect(outcome(fault, 'archive-push', r)).toBe(expected);
    expect(proxy.log.some((e) => typeof e.outcome === 'string'), 'the fault was injected').toBe(true);
    proxy.reset();
    await storedOrNothing(seg, expected === 'ok');
  });

  it('a LIST body cut short every time fails as a read of that answer, not as a failed connect', async () => {
    proxy.reset([{ kind: 'short', method: 'GET', path: /list-type=2/ }]);
    const { seg, r } = await pushSegment(viaProxy);
    expect(outcome('LIST body cut short', 'archive-push', r)).toBe('failed');
    expect(r.code).toBe(42);
    expect(r.stderr).toMatch(/unable to read the answer to GET \/\S*list-type=2\S* from '127\.0\.0\.1:\d+': connection closed after \d+( of \d+)? bytes/);
    proxy.reset();
    await storedOrNothing(seg, false);
  });
});

describe('archive-get through faults', () => {
  const cases: [string, FaultRule[], 'ok' | 'failed'][] = [
    ['one 503 SlowDown on GET', [segGet('503', 1)], 'ok'],
    ['one reset on GET', [segGet('reset', 1)], 'ok'],
    ['one stall on GET', [segGet('stall', 1)], 'ok'],
    ['500 on every GET', [segGet('500')], 'failed'],
    ['body cut short', [segGet('short')], 'failed'],
    ['one byte corrupted', [segGet('corrupt')], 'failed'],
    ['corrupt archive.info body', [{ kind: 'corrupt', method: 'GET', path: /archive\.info/ }], 'failed'],
  ];
  it.each(cases)('%s', async (fault, rules, expected) => {
    proxy.reset();
    const { seg, r: pushed } = await pushSegment(direct);
    expect(pushed.code, pushed.stderr).toBe(0);
    const dest = join(work, `get-${seg}`);
    proxy.reset(rules);
    const r = await ours([...viaProxy, 'archive-get', seg, dest], { timeoutMs: 60_000 });
    expect(proxy.log.some((e) => typeof e.outcome === 'string'), 'the fault was injected').toBe(true);
    expect(outcome(fault, 'archive-get', r)).toBe(expected);
    if (expected === 'ok') expect(readFileSync(dest).equals(readFileSync(walSource))).toBe(true);
    // Nothing is left where PostgreSQL would read it, not even the temp file.
    else expect(readdirSync(work).filter((f) => f.startsWith(`get-${seg}`))).toEqual([]);
  });
});

describe('info through faults', () => {
  const cases: [string, FaultRule[], 'ok' | 'failed'][] = [
    ['one 503 SlowDown on GET', [{ kind: '503', method: 'GET', times: 1 }], 'ok'],
    ['one reset', [{ kind: 'reset', times: 1 }], 'ok'],
  ];
  it.each(cases)('%s', async (fault, rules, expected) => {
    proxy.reset(rules);
    const r = await ours([...viaProxy, '--output=json', 'info'], { timeoutMs: 60_000 });
    expect(outcome(fault, 'info', r)).toBe(expected);
    // 2 is "no valid backups": the repo was read (an unreadable one is 99, "other").
    expect(JSON.parse(r.stdout)[0].status.code).toBe(2);
  });

  it('500 on every request is reported in the status, exit 0, as pgBackRest 2.45 reports an unreadable repo', async () => {
    proxy.reset([{ kind: '500' }]);
    const r = await ours([...viaProxy, '--output=json', 'info'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout, 'no stack trace').not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
    const [stanza] = JSON.parse(r.stdout) as Array<{ status: { code: number; message: string }; repo: Array<{ status: { code: number; message: string } }> }>;
    expect(stanza!.status).toMatchObject({ code: 99, message: 'other' });
    expect(stanza!.repo[0]!.status.message).toMatch(/^\[\w+Error\] .*500/);
    table.push(['500 on every request', 'info', `status 99: ${stanza!.repo[0]!.status.message.slice(0, 60)}`]);
  });
});

describe('backup through faults', () => {
  const listed = async (): Promise<string[]> => {
    const r = await ours([...direct, '--output=json', 'info']);
    return (JSON.parse(r.stdout)[0].backup as Array<{ label: string }>).map((b) => b.label);
  };
  const dataPut = (kind: FaultRule['kind'], times?: number): FaultRule => ({ kind, method: 'PUT', path: /\/pg_data\//, times });

  it.each<[string, FaultRule[], 'ok' | 'failed']>([
    ['one 503 SlowDown on a data file PUT', [dataPut('503', 1)], 'ok'],
    ['503 on every data file PUT', [dataPut('503')], 'failed'],
  ])('%s', async (fault, rules, expected) => {
    const before = await listed();
    proxy.reset(rules);
    const r = await ours([...viaProxy, '--type=full', 'backup'], { timeoutMs: 180_000 });
    expect(proxy.log.some((e) => typeof e.outcome === 'string'), 'the fault was injected').toBe(true);
    expect(outcome(fault, 'backup', r)).toBe(expected);
    proxy.reset();
    const after = await listed();
    if (expected === 'ok') {
      // listed, and every stored file checks out against the manifest
      expect(after.length).toBe(before.length + 1);
      const v = await ours([...direct, '--log-level-console=info', '--verbose', 'verify'], { timeoutMs: 180_000 });
      expect(v.stdout).toMatch(/status: ok/);
    } else {
      // a backup that failed mid-upload never appears
      expect(after).toEqual(before);
    }
  }, 240_000);
});

describe('restore through faults', () => {
  // PG_VERSION is a few bytes: a restore fetches it whole (S3Storage.readSmall), not streamed. Each
  // database has one with the same content, fetched once and copied to the others: the fault is
  // set on all of them, so it hits that one GET.
  const smallGet = (kind: FaultRule['kind'], times?: number): FaultRule => ({ kind, method: 'GET', path: /\/pg_data\/(base\/\d+\/)?PG_VERSION/, times });
  let n = 0;
  /** An empty restore target of its own. */
  const newTarget = (): string => {
    const target = join(work, `restore-${n++}`);
    mkdirSync(target, { mode: 0o700 });
    chownToPostgres(target);
    return target;
  };

  it.each<[string, FaultRule[], 'ok' | 'failed']>([
    ['one reset on a small file GET', [smallGet('reset', 1)], 'ok'],
    // read whole, so asked for again
    ['small file body cut short once', [smallGet('short', 1)], 'ok'],
    ['small file body cut short', [smallGet('short')], 'failed'],
    ['small file byte corrupted', [smallGet('corrupt')], 'failed'],
  ])('%s', async (fault, rules, expected) => {
    const target = newTarget();
    proxy.reset(rules);
    const r = await ours([...viaProxy, `--pg1-path=${target}`, 'restore'], { timeoutMs: 180_000 });
    expect(proxy.log.some((e) => typeof e.outcome === 'string'), 'the fault was injected').toBe(true);
    expect(outcome(fault, 'restore', r)).toBe(expected);
    if (expected === 'ok') {
      expect(readFileSync(join(target, 'PG_VERSION'), 'utf8')).toBe(readFileSync(join(cluster.pgdata, 'PG_VERSION'), 'utf8'));
      expect(existsSync(join(target, 'global', 'pg_control'))).toBe(true);
    } else {
      // never a wrong PG_VERSION, and never a restore PostgreSQL could start from
      expect(existsSync(join(target, 'PG_VERSION'))).toBe(false);
      expect(existsSync(join(target, 'global', 'pg_control'))).toBe(false);
      expect(r.stderr).toMatch(fault === 'small file body cut short' ? /unable to read '[^']*\/PG_VERSION[^']*': connection closed after \d+ of \d+ bytes/ : /PG_VERSION/);
    }
  }, 240_000);

  it('fetches the content of files that repeat another file once, and restores every file with its own bytes', async () => {
    const info = await ours([...direct, '--output=json', 'info']);
    const backups = JSON.parse(info.stdout)[0].backup as Array<{ label: string }>;
    const label = backups[backups.length - 1]!.label;
    const got = await ours([...direct, 'repo-get', `backup/demo/${label}/backup.manifest`]);
    expect(got.code, got.stderr).toBe(0);
    const files = parseManifest(got.stdout).files.filter((f) => f.size > 0);
    const contents = new Set(files.map((f) => `${f.size}/${f.checksum}`));
    // template0, template1 and postgres share most of their catalog files
    expect(files.length - contents.size).toBeGreaterThan(100);

    const target = newTarget();
    proxy.reset();
    const r = await ours([...viaProxy, '--process-max=3', `--pg1-path=${target}`, 'restore'], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    // the proxy's GETs of the backup's files since its last reset
    const fileGets = () => proxy.log.filter((e) => e.method === 'GET' && e.path.includes(`/${label}/pg_data/`));
    const gets = fileGets();
    expect(gets.every((e) => e.outcome === 200)).toBe(true);
    expect(gets.length).toBe(contents.size);
    expect(files.every((f) => f.name.startsWith('pg_data/'))).toBe(true);
    for (const f of files) {
      // rewritten with the recovery settings
      if (f.name === 'pg_data/postgresql.auto.conf') continue;
      const restored = readFileSync(join(target, f.name.slice('pg_data/'.length)));
      expect(sha1Hex(restored), f.name).toBe(f.checksum);
    }

    // delta: a file kept after its checksum is a source too, so a removed PG_VERSION costs no GET
    // (the one in the data directory itself tells delta that this is one)
    unlinkSync(join(target, 'base', '1', 'PG_VERSION'));
    proxy.reset();
    const d = await ours([...viaProxy, '--process-max=3', `--pg1-path=${target}`, '--delta', 'restore'], { timeoutMs: 180_000 });
    expect(d.code, d.stderr).toBe(0);
    // pg_control is written under a temporary name, so delta never finds it; the recovery settings
    // were appended to postgresql.auto.conf, which delta keeps cut back to its size
    expect(fileGets().map((e) => e.path.replace(/.*\/pg_data\//, ''))).toEqual(['global/pg_control.lz4']);
    expect(readFileSync(join(target, 'base', '1', 'PG_VERSION'), 'utf8')).toBe(readFileSync(join(cluster.pgdata, 'base', '1', 'PG_VERSION'), 'utf8'));
  }, 240_000);
});
