/**
 * Issue 3: WAL archiving with a real cluster (archive_command = our archive-push) into a posix and an
 * S3 repo at once, interop with pgBackRest 2.45 both ways for every compression type, plain and
 * encrypted, and the bad-input cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync, chmodSync, existsSync, truncateSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../harness/pg.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ourArchiveCommand, ours, theirs, writeConf, s3RepoConf, type ConfSections } from '../harness/cli.js';
import { runCmd } from '../harness/run.js';
import { s3Target } from '../harness/s3.js';

const PASS = 'ArchiveTestPassphrase-0123456789';
let cluster: Cluster;
let work: string;
let conf: string;
/** Real WAL segments of `cluster`, copied aside so tests can push them again and again. */
let segments: string[] = [];

/** Where the first test keeps a copy of each real segment (under its own name, so it stays a WAL name). */
const segPath = (seg: string) => join(work, 'segs', seg);
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

beforeAll(async () => {
  work = makeTempDir('pgbr-archive-');
  conf = join(work, 'pgbackrest.conf');
  const archiveCommand = `'${ourArchiveCommand(conf, 'demo')}'`;
  cluster = await startCluster({ conf: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica' } });
  writeConf(work, {
    global: {
      'repo1-path': join(work, 'repo1'),
      ...s3RepoConf(s3Target(), work, 2),
      'lock-path': join(work, 'lock'),
      'log-path': join(work, 'log'),
      'log-level-file': 'off',
      'compress-type': 'zst',
    },
    'global:archive-push': { 'compress-level': '3' },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  });
  const created = await ours([`--config=${conf}`, '--stanza=demo', 'stanza-create']);
  expect(created.stderr).toBe('');
});

afterAll(async () => {
  await cluster?.cleanup();
  removeAllTempDirs();
});

async function waitArchived(count: number): Promise<{ archived: number; failed: number }> {
  for (let i = 0; i < 300; i++) {
    const [row] = await cluster.query<{ archived_count: string; failed_count: string }>(
      'SELECT archived_count, failed_count FROM pg_stat_archiver',
    );
    const archived = Number(row.archived_count);
    if (archived >= count || Number(row.failed_count) > 0) return { archived, failed: Number(row.failed_count) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for archiving');
}

function storedSegments(repoDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const idDir = join(repoDir, 'archive/demo/15-1');
  for (const d of readdirSync(idDir).filter((x) => /^[0-F]{16}$/.test(x))) {
    for (const f of readdirSync(join(idDir, d))) {
      const m = /^([0-F]{24})-([0-9a-f]{40})/.exec(f);
      if (m) out.set(m[1], m[2]);
    }
  }
  return out;
}

describe('archive_command with a real cluster', () => {
  it('archives every segment to posix and S3, and archive-get returns them byte for byte', async () => {
    const pgbench = (args: string[]) =>
      runCmd(join(cluster.binDir, 'pgbench'), ['-h', cluster.socketDir, '-p', String(cluster.port), '-U', cluster.user, ...args, 'postgres'], { asPostgres: true });
    expect((await pgbench(['-i', '-s', '1', '-q'])).code).toBe(0);
    for (let i = 0; i < 4; i++) {
      expect((await pgbench(['-t', '200', '-c', '2', '-n'])).code).toBe(0);
      await cluster.psql('SELECT pg_switch_wal()');
    }
    const { archived, failed } = await waitArchived(4);
    expect(failed).toBe(0);
    expect(archived).toBeGreaterThanOrEqual(4);

    const stored = storedSegments(join(work, 'repo1'));
    expect(stored.size).toBeGreaterThanOrEqual(4);
    for (const [seg, sum] of stored) {
      for (const repo of ['1', '2']) {
        const dest = join(work, `get-${repo}-${seg}`);
        const r = await ours([`--config=${conf}`, '--stanza=demo', `--repo=${repo}`, 'archive-get', seg, dest]);
        expect(r.code, r.stderr).toBe(0);
        const bytes = readFileSync(dest);
        expect(bytes.length).toBe(16 * 1024 * 1024);
        expect(sha1(bytes)).toBe(sum);
      }
      // pgBackRest reads what we wrote, from both repos
      const theirDest = join(work, `their-${seg}`);
      const t = await theirs([`--config=${conf}`, '--stanza=demo', '--repo=2', 'archive-get', seg, theirDest]);
      expect(t.code, t.stderr).toBe(0);
      expect(sha1(readFileSync(theirDest))).toBe(sum);
    }
    segments = [...stored.keys()].sort();
    // keep real segments for the interop matrix below
    mkdirSync(join(work, 'segs'));
    chownToPostgres(join(work, 'segs'));
    for (const seg of segments) {
      const r = await ours([`--config=${conf}`, '--stanza=demo', '--repo=1', 'archive-get', seg, segPath(seg)]);
      expect(r.code).toBe(0);
    }
    const stat = await cluster.query<{ failed_count: string }>('SELECT failed_count FROM pg_stat_archiver');
    expect(Number(stat[0].failed_count)).toBe(0);
  });
});

describe.each(['gz', 'lz4', 'zst', 'bz2', 'none'])('interop with pgBackRest 2.45, compress-type=%s', (compress) => {
  for (const encrypted of [false, true]) {
    it(`ours pushes, theirs gets, and the reverse (encrypted: ${encrypted})`, async () => {
      expect(segments.length).toBeGreaterThanOrEqual(2);
      const dir = makeTempDir('pgbr-arch-interop-');
      const repo: Record<string, string> = { 'repo1-path': join(dir, 'repo') };
      if (encrypted) Object.assign(repo, { 'repo1-cipher-type': 'aes-256-cbc', 'repo1-cipher-pass': PASS });
      const c: ConfSections = {
        global: { ...repo, 'lock-path': join(dir, 'lock'), 'log-level-file': 'off', 'compress-type': compress },
        demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
      };
      const file = writeConf(dir, c);
      const args = [`--config=${file}`, '--stanza=demo'];
      expect((await theirs([...args, 'stanza-create'])).code).toBe(0);
      const [a, b] = segments;
      const segA = segPath(a);
      const segB = segPath(b);
      const pushed = await ours([...args, 'archive-push', segA]);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect((await theirs([...args, 'archive-push', segB])).code).toBe(0);
      const ext = compress === 'none' ? '' : `.${compress}`;
      const names = readdirSync(join(dir, 'repo/archive/demo/15-1', a.slice(0, 16)));
      expect(names).toContain(`${a}-${sha1(readFileSync(segA))}${ext}`);
      for (const [seg, src, tool] of [[a, segA, theirs], [b, segB, ours]] as const) {
        const dest = join(dir, `out-${seg}`);
        const r = await tool([...args, 'archive-get', seg, dest]);
        expect(r.code, r.stderr).toBe(0);
        expect(readFileSync(dest).equals(readFileSync(src))).toBe(true);
      }
    });
  }
});

/**
 * A stanza of its own on the shared cluster (repos in a fresh directory, created by ours), and
 * the first segment copied there and pushed by ours unless `push` is false.
 */
async function pushedSegment(prefix: string, repos: string[] = ['repo'], push = true): Promise<{ dir: string; args: string[]; seg: string; copy: string }> {
  const dir = makeTempDir(prefix);
  const repoPaths = Object.fromEntries(repos.map((r, i) => [`repo${i + 1}-path`, join(dir, r)]));
  const file = writeConf(dir, {
    global: { ...repoPaths, 'lock-path': join(dir, 'lock'), 'log-level-file': 'off' },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  });
  const args = [`--config=${file}`, '--stanza=demo'];
  expect((await ours([...args, 'stanza-create'])).code).toBe(0);
  const seg = segments[0];
  const copy = join(dir, seg);
  copyFileSync(segPath(seg), copy);
  chownToPostgres(copy);
  if (push) expect((await ours([...args, 'archive-push', copy])).code).toBe(0);
  return { dir, args, seg, copy };
}

describe('a stopped stanza', () => {
  it('serves no WAL: archive-get fails [062] like 2.45, and again after start it works', async () => {
    const { dir, args, seg, copy } = await pushedSegment('pgbr-arch-stop-', ['repo']);
    expect((await ours([...args, 'stop'])).code).toBe(0);
    const dest = join(dir, 'got');
    for (const run of [ours, theirs]) {
      const r = await run([...args, 'archive-get', seg, dest]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 62, stderr: 'ERROR: [062]: stop file exists for stanza demo\n' });
    }
    expect(existsSync(dest)).toBe(false);
    expect((await ours([...args, 'start'])).code).toBe(0);
    expect((await ours([...args, 'archive-get', seg, dest])).code).toBe(0);
    expect(readFileSync(dest).equals(readFileSync(copy))).toBe(true);
  });
});

describe('a .backup file', () => {
  it('is found beside its segment by archive-get, as 2.45 finds it', async () => {
    const { dir, args, seg } = await pushedSegment('pgbr-arch-backupfile-', ['repo'], false);
    const name = `${seg}.00000028.backup`;
    const src = join(dir, name);
    writeFileSync(src, 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n');
    chownToPostgres(src);
    expect((await ours([...args, 'archive-push', src])).code).toBe(0);
    for (const [tool, run] of [['ours', ours], ['theirs', theirs]] as const) {
      const dest = join(dir, `got-${tool}`);
      const r = await run([...args, 'archive-get', name, dest]);
      expect(r.code, `${tool}: ${r.stderr}`).toBe(0);
      expect(readFileSync(dest).equals(readFileSync(src))).toBe(true);
    }
  });
});

describe('a stored copy that cannot be read', () => {
  it('is skipped for the next repo\'s copy with a warning; with none left it is [042] as in 2.45', async () => {
    const { dir, args, seg, copy } = await pushedSegment('pgbr-arch-corrupt-', ['repo1', 'repo2']);
    const stored = (repo: string) => {
      const d = join(dir, repo, 'archive/demo/15-1', seg.slice(0, 16));
      return join(d, readdirSync(d).find((f) => f.startsWith(seg))!);
    };
    truncateSync(stored('repo1'), 30_000);
    const dest = join(dir, 'got');
    const fallback = await ours([...args, 'archive-get', seg, dest]);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(fallback.stderr).toMatch(new RegExp(`^WARN: repo1: 15-1/${seg.slice(0, 16)}/${seg}-[0-9a-f]{40}\\.gz \\[FormatError\\] unexpected eof in compressed data\\n$`));
    expect(readFileSync(dest).equals(readFileSync(copy))).toBe(true);

    // repo1 alone, beside 2.45 on the same repo: the same error, text and code
    const only1 = [...args, '--repo=1', 'archive-get', seg, join(dir, 'none')];
    const mine = await ours(only1);
    const ref = await theirs(only1);
    expect(mine.stderr).toBe(ref.stderr);
    expect(mine.code).toBe(42);
    expect(ref.code).toBe(42);
    expect(mine.stderr).toMatch(new RegExp(`^ERROR: \\[042\\]: unable to get ${seg}:\\n {7}repo1: `));
  });
});

describe('bad input', () => {
  it('keeps the stored segment on a changed duplicate (45) and warns on an identical one', async () => {
    const { dir, args, seg, copy } = await pushedSegment('pgbr-arch-bad-', ['repo']);
    const again = await ours([...args, 'archive-push', copy]);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(
      `WARN: WAL file '${seg}' already exists in the repo1 archive with the same checksum\n` +
        '      HINT: this is valid in some recovery scenarios but may also indicate a problem.\n',
    );
    const before = readdirSync(join(dir, 'repo/archive/demo/15-1', seg.slice(0, 16)));
    const bytes = readFileSync(copy);
    bytes[100_000] ^= 0xff;
    writeFileSync(copy, bytes);
    const changed = await ours([...args, 'archive-push', copy]);
    expect(changed.code).toBe(45);
    expect(changed.stderr).toBe(`ERROR: [045]: WAL file '${seg}' already exists in the repo1 archive with a different checksum\n`);
    expect(readdirSync(join(dir, 'repo/archive/demo/15-1', seg.slice(0, 16)))).toEqual(before);

    // a segment of another cluster
    const other = await startCluster();
    try {
      const otherSeg = join(dir, '000000010000000000000001');
      copyFileSync(join(other.pgdata, 'pg_wal/000000010000000000000001'), otherSeg);
      chownToPostgres(otherSeg);
      const mismatch = await ours([...args, 'archive-push', otherSeg]);
      expect(mismatch.code).toBe(44);
      expect(mismatch.stderr).toMatch(/^ERROR: \[044\]: WAL file '.*000000010000000000000001' version 15, system-id \d+ do not match stanza version 15, system-id \d+\n$/);
    } finally {
      await other.cleanup();
    }

    // truncated and non-WAL files, and a missing one
    const trunc = join(dir, '0000000100000000000000F1');
    copyFileSync(segPath(seg), trunc);
    truncateSync(trunc, 100);
    chownToPostgres(trunc);
    const t = await ours([...args, 'archive-push', trunc]);
    expect(t.code).toBe(42);
    expect(t.stderr).toBe(`ERROR: [042]: unable to read 512 byte(s) from '${trunc}'\n`);
    // a segment cut short anywhere after its header (pgBackRest 2.45 would archive it)
    const cut = join(dir, '0000000100000000000000F4');
    copyFileSync(segPath(seg), cut);
    truncateSync(cut, 1_000_000);
    chownToPostgres(cut);
    const c = await ours([...args, 'archive-push', cut]);
    expect(c.code).toBe(29);
    expect(c.stderr).toContain(`WAL file '${cut}' is 1000000 byte(s) but its header gives a segment size of 16777216`);
    const junk = join(dir, '0000000100000000000000F2');
    writeFileSync(junk, Buffer.alloc(16 * 1024 * 1024, 7));
    chownToPostgres(junk);
    const j = await ours([...args, 'archive-push', junk]);
    const jTheirs = await theirs([...args, 'archive-push', junk]);
    expect(j.code).toBe(46);
    expect(j.stderr).toBe(jTheirs.stderr);
    const missing = await ours([...args, 'archive-push', join(dir, '0000000100000000000000F3')]);
    expect(missing.code).toBe(55);
    expect(missing.stderr).toBe(`ERROR: [055]: unable to open missing file '${join(dir, '0000000100000000000000F3')}' for read\n`);
    expect(existsSync(join(dir, 'repo/archive/demo/15-1/0000000100000000'))).toBe(true);
    const listed = readdirSync(join(dir, 'repo/archive/demo/15-1/0000000100000000'));
    expect(listed.filter((n) => n.startsWith('0000000100000000000000F'))).toEqual([]);

    // not found: exit 1 and no noise on stderr
    const notFound = await ours([...args, 'archive-get', '0000000100000000000000FE', join(dir, 'nf')]);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toBe('');
    chmodSync(dir, 0o755);
  });

  it('fails clearly when the S3 endpoint is unreachable, leaving nothing listed as archived', async () => {
    const dir = makeTempDir('pgbr-arch-s3down-');
    const t = s3Target();
    const file = writeConf(dir, {
      global: { ...s3RepoConf({ ...t, port: 1 }, dir), 'lock-path': join(dir, 'lock'), 'log-level-file': 'off', 'io-timeout': '5' },
      demo: { 'pg1-path': cluster.pgdata },
    });
    const seg = join(dir, segments[0]);
    copyFileSync(segPath(segments[0]), seg);
    chownToPostgres(seg);
    const r = await ours([`--config=${file}`, '--stanza=demo', 'archive-push', seg], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^ERROR: \[(049|101|103)\]: /);
  });
});
