import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgbrError } from '../../src/error/error.js';
import { partBuffers } from '../../src/storage/part-buffers.js';
import { S3Storage, type S3Options } from '../../src/storage/s3.js';
import type { S3Client, S3Operation } from '../../src/storage/s3-client.js';
import { s3Target, type S3Target } from '../harness/s3.js';
import { patternStream, readAll, runConformance } from '../storage/conformance.js';

function driverOptions(t: S3Target, extra: Partial<S3Options> = {}): S3Options {
  return {
    bucket: t.bucket, endpoint: t.endpoint, port: t.port, region: t.region, uriStyle: t.uriStyle,
    accessKeyId: t.accessKey, secretAccessKey: t.secretKey, verifyTls: t.verifyTls, caFile: t.caFile,
    repoPath: t.path, uploadChunkSize: 5 * 1024 * 1024, maxAttempts: 2, ...extra,
  };
}

/** Every key under a prefix, straight from the server (not through the driver). */
async function rawKeys(t: S3Target, prefix: string): Promise<string[]> {
  const s = new S3Storage(driverOptions(t, { repoPath: '/' }));
  try {
    return (await s.list(prefix, { recurse: true })).filter((i) => i.type === 'file').map((i) => i.name);
  } finally {
    await s.close();
  }
}

async function failure(p: Promise<unknown>): Promise<PgbrError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(PgbrError);
  return e as PgbrError;
}

runConformance('s3', async () => {
  const t = s3Target();
  const driver = new S3Storage(driverOptions(t));
  return {
    driver,
    cleanup: async () => {
      await driver.pathRemove('');
      await driver.close();
    },
    rawNames: () => rawKeys(t, t.path.slice(1)),
  };
});

describe('S3Storage specifics', () => {
  let t: S3Target;
  let s: S3Storage;
  beforeAll(() => {
    t = s3Target();
    s = new S3Storage(driverOptions(t));
  });
  afterAll(async () => {
    await s.pathRemove('');
    await s.close();
  });

  it('gets its server from PGBR_TEST_S3_* inherited from global setup', () => {
    expect(process.env.PGBR_TEST_S3_ENDPOINT).toBeTruthy();
    expect(t.port).toBeGreaterThan(0);
    expect(t.path).toMatch(/^\/t-[0-9a-z]+-[0-9a-f]{8}$/);
  });

  /** The S3 operations `run` sends through the driver, in order. */
  async function operations(driver: S3Storage, run: () => Promise<unknown>): Promise<S3Operation[]> {
    const client = (driver as unknown as { conn: S3Client }).conn;
    const ops: S3Operation[] = [];
    client.observer = (op) => ops.push(op);
    try {
      await run();
    } finally {
      client.observer = undefined;
    }
    return ops;
  }

  it('stores keys under the repo path without a leading slash and uploads big streams in parts', async () => {
    const ops = await operations(s, () => s.write('archive/x/file', patternStream(11 * 1024 * 1024)));
    expect(ops).toEqual(['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'UploadPart', 'CompleteMultipartUpload']);
    expect((await s.info('archive/x/file'))?.size).toBe(11 * 1024 * 1024);
    expect(await rawKeys(t, t.path.slice(1))).toContain('archive/x/file');
  });

  it('sends a source of at most one part as a single PutObject', async () => {
    const ops = await operations(s, () => s.write('archive/x/small', patternStream(5 * 1024 * 1024)));
    expect(ops).toEqual(['PutObject']);
    expect((await readAll(await s.read('archive/x/small'))).equals(await readAll(patternStream(5 * 1024 * 1024)))).toBe(true);
  });

  it('looks for a file with one HeadObject and for a path with one listing, where info of a missing name sends both', async () => {
    await s.write('exists/dir/file', Buffer.from('x'));
    expect(await operations(s, () => s.fileExists('exists/dir/file'))).toEqual(['HeadObject']);
    expect(await operations(s, () => s.fileExists('exists/dir'))).toEqual(['HeadObject']);
    expect(await operations(s, () => s.fileExists('exists/nope'))).toEqual(['HeadObject']);
    expect(await operations(s, () => s.info('exists/nope'))).toEqual(['HeadObject', 'ListObjectsV2']);
    expect(await operations(s, () => s.pathExists('exists/dir'))).toEqual(['ListObjectsV2']);
    expect(await operations(s, () => s.pathExists('exists/nope'))).toEqual(['ListObjectsV2']);
  });

  it('lists only the keys an anchored expression can match', async () => {
    const sha = 'a'.repeat(40);
    for (const n of ['000000010000000100000001', '000000010000000100000002', '000000010000000100000020']) {
      await s.write(`narrow/0000000100000001/${n}-${sha}.gz`, Buffer.from(n));
    }
    const client = (s as unknown as { conn: S3Client }).conn;
    const prefixes: string[] = [];
    client.observer = (_op, req) => prefixes.push(req.query?.prefix ?? '');
    try {
      const found = await s.list('narrow/0000000100000001', { expression: /^000000010000000100000002-[0-9a-f]{40}(\.gz)?$/ });
      expect(found.map((f) => f.name)).toEqual([`000000010000000100000002-${sha}.gz`]);
      expect(await s.list('narrow', { expression: /^0000000100000001$/ })).toMatchObject([{ name: '0000000100000001', type: 'path' }]);
      expect(await s.list('narrow/0000000100000001', { expression: /^00000001000000010000000[0-9]-/ })).toHaveLength(2);
    } finally {
      client.observer = undefined;
    }
    const base = t.path.slice(1);
    expect(prefixes).toEqual([
      `${base}/narrow/0000000100000001/000000010000000100000002-`,
      `${base}/narrow/0000000100000001`,
      `${base}/narrow/0000000100000001/00000001000000010000000`,
    ]);
  });

  it('reads the next parts while two are on their way, and no further', async () => {
    const client = (s as unknown as { conn: S3Client }).conn;
    const events: string[] = [];
    const request = client.request.bind(client);
    client.request = async (req) => {
      const part = req.op === 'UploadPart' ? ` ${req.query?.partNumber}` : '';
      events.push(`send ${req.op}${part}`);
      const res = await request(req);
      events.push(`done ${req.op}${part}`);
      return res;
    };
    const MIB = 1024 * 1024;
    const chunks = 21;
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < chunks; i++) {
        events.push(`read ${i}`);
        yield Buffer.alloc(MIB, i);
      }
    }
    try {
      await s.write('ahead/f', Readable.from(source(), { objectMode: false, highWaterMark: 1 }));
    } finally {
      client.request = request;
    }
    const at = (e: string): number => events.indexOf(e);
    // Parts are MiB 0-4, 5-9, 10-14, 15-19 and 20. Part 2 is read while part 1 is out (with the
    // request that starts the upload); part 3 is full at MiB 15, and waits for part 1 or 2 to be
    // stored. The stream reads one chunk ahead of the upload either way, so MiB 17 waits too.
    expect(events.slice(at('send CreateMultipartUpload'), at('done UploadPart 1')).filter((e) => e.startsWith('read')).length).toBeGreaterThan(2);
    const firstStored = Math.min(at('done UploadPart 1'), at('done UploadPart 2'));
    expect(at('read 17')).toBeGreaterThan(firstStored);
    expect(at('send UploadPart 3')).toBeGreaterThan(firstStored);
    // two parts on their way at once, never more
    let out = 0;
    let most = 0;
    for (const e of events) {
      if (e.startsWith('send UploadPart')) most = Math.max(most, ++out);
      if (e.startsWith('done UploadPart')) out--;
    }
    expect(most).toBe(2);
    expect(events.filter((e) => e.startsWith('send UploadPart'))).toEqual([1, 2, 3, 4, 5].map((n) => `send UploadPart ${n}`));
    const back = await readAll(await s.read('ahead/f'));
    expect(back.length).toBe(chunks * MIB);
    for (let i = 0; i < chunks; i++) expect(back[i * MIB]).toBe(i);
  });

  it('gathers streamed parts in reused buffers: uploads side by side come back intact, and later ones allocate none', async () => {
    const MIB = 1024 * 1024;
    const size = 11 * MIB + 12345;
    // Each upload its own bytes, in 700 KiB chunks that straddle the part boundaries: a part
    // buffer handed back while still being sent would carry another upload's bytes.
    const content = (k: number): Buffer => {
      const b = Buffer.alloc(size);
      for (let i = 0; i < size; i++) b[i] = (i * (k + 3) + k * 101) % 253;
      return b;
    };
    const stream = (b: Buffer): Readable => Readable.from((function* () {
      for (let o = 0; o < b.length; o += 700 * 1024) yield b.subarray(o, o + 700 * 1024);
    })(), { objectMode: false });
    const datas = [0, 1, 2].map(content);
    const before = partBuffers.allocated;
    const ops = await operations(s, () => Promise.all(datas.map((d, k) => s.write(`pooled/${k}`, stream(d)))));
    expect(ops.filter((o) => o === 'UploadPart')).toHaveLength(9);
    const allocated = partBuffers.allocated;
    // at most three at a time per upload: two on their way, one filling
    expect(allocated - before).toBeLessThanOrEqual(9);
    for (let k = 3; k < 5; k++) {
      datas.push(content(k));
      await s.write(`pooled/${k}`, stream(datas[k]));
    }
    expect(partBuffers.allocated).toBe(allocated);
    // every buffer came back once its upload was done
    expect(partBuffers.idle(5 * MIB)).toBeGreaterThanOrEqual(2);
    expect(partBuffers.idle(5 * MIB)).toBe(allocated);
    for (const [k, d] of datas.entries()) expect((await readAll(await s.read(`pooled/${k}`))).equals(d), `pooled/${k}`).toBe(true);
  });

  it('aborts the multipart upload when the source fails after the first part', async () => {
    let failed: unknown;
    const ops = await operations(s, () => s.write('abort/f', patternStream(30 * 1024 * 1024, 12 * 1024 * 1024)).catch((e: unknown) => (failed = e)));
    expect(String(failed)).toContain('source failed on purpose');
    expect(ops).toContain('CreateMultipartUpload');
    expect(ops).toContain('AbortMultipartUpload');
    expect(ops).not.toContain('CompleteMultipartUpload');
    expect(await s.info('abort/f')).toBeNull();
  });

  it('uses the bucket root for repo path /', async () => {
    const root = new S3Storage(driverOptions(t, { repoPath: '/' }));
    const name = `${t.path.slice(1)}-root/f`;
    await root.write(name, Buffer.from('r'));
    expect((await readAll(await root.read(name))).toString()).toBe('r');
    expect(await rawKeys(t, `${t.path.slice(1)}-root`)).toEqual(['f']);
    await root.pathRemove(`${t.path.slice(1)}-root`);
    await root.close();
  });

  it('reads a small object whole with one GetObject, and leaves a larger one unread', async () => {
    const data = await readAll(patternStream(200_000)); // many TLS records
    await s.write('small/whole', data);
    expect(await operations(s, async () => expect((await s.readSmall('small/whole', 1 << 20))!.equals(data)).toBe(true))).toEqual(['GetObject']);
    expect((await s.readSmall('small/whole', 1 << 20, { offset: 5, limit: 10 }))!.equals(data.subarray(5, 15))).toBe(true);
    expect((await s.readSmall('small/whole', 1 << 20, { offset: 199_990 }))!.equals(data.subarray(199_990))).toBe(true);
    expect((await s.readSmall('small/whole', 1 << 20, { offset: 5, limit: 0 }))!.length).toBe(0);
    expect(await s.readSmall('small/whole', 199_999)).toBeUndefined();
    // the connection left with an unread body is not reused: the next reads are whole and right
    for (let i = 0; i < 3; i++) expect((await s.readSmall('small/whole', 200_000))!.equals(data)).toBe(true);
    expect(await s.readSmall('small/none', 10, { ignoreMissing: true })).toBeNull();
    await expect(s.readSmall('small/none', 10)).rejects.toMatchObject({ type: 'FileMissingError' });
  });

  it('names the repo path in missing-file errors like pgBackRest', async () => {
    const e = await failure(s.read('nope'));
    expect([e.type, e.code, e.message]).toEqual(['FileMissingError', 55, `unable to open missing file '${t.path}/nope' for read`]);
  });

  it('reports a missing bucket as an HTTP 404 ProtocolError with the S3 code', async () => {
    const bad = new S3Storage(driverOptions(t, { bucket: 'no-such-bucket-pgbr' }));
    const e = await failure(bad.list(''));
    await bad.close();
    expect([e.type, e.code]).toEqual(['ProtocolError', 39]);
    expect(e.message).toMatch(/^HTTP request failed with 404 \(Not Found\):\n/);
    expect(e.message).toContain('NoSuchBucket');
  });

  it('reports an unknown access key as 403 without leaking the secret', async () => {
    const secret = 'TopSecretValue123';
    const bad = new S3Storage(driverOptions(t, { accessKeyId: 'NOT-A-KEY', secretAccessKey: secret }));
    const e = await failure(bad.write('x', Buffer.from('x')));
    await bad.close();
    expect(e.type).toBe('ProtocolError');
    expect(e.message).toMatch(/^HTTP request failed with 403 \(Forbidden\):/);
    expect(e.message).toContain('InvalidAccessKeyId');
    expect(e.message).not.toContain(secret);
  });

  it('reports a refused connection as HostConnectError', async () => {
    const bad = new S3Storage(driverOptions(t, { endpoint: '127.0.0.1', port: 1 }));
    const e = await failure(bad.info('x'));
    await bad.close();
    expect([e.type, e.code, e.message]).toEqual(['HostConnectError', 49, "unable to connect to '127.0.0.1:1': [111] Connection refused"]);
  });

  it.skipIf(s3Target().caFile === undefined)('verifies TLS: untrusted fails, verify-tls=n works', async () => {
    const strict = new S3Storage(driverOptions(t, { caFile: undefined, verifyTls: true }));
    const e = await failure(strict.info('x'));
    await strict.close();
    expect(e.type).toBe('CryptoError');
    const lax = new S3Storage(driverOptions(t, { caFile: undefined, verifyTls: false }));
    expect(await lax.info('definitely-missing')).toBeNull();
    await lax.close();
  });
});

describe.skipIf(!existsSync('/usr/bin/pgbackrest'))('pgBackRest 2.45 against the same S3 server', () => {
  let t: S3Target;
  let s: S3Storage;
  let dir: string;
  let conf: string;
  beforeAll(() => {
    t = s3Target();
    s = new S3Storage(driverOptions(t));
    dir = mkdtempSync(join(tmpdir(), 'pgbr-s3-interop-'));
    conf = join(dir, 'pgbackrest.conf');
    const tls = t.caFile !== undefined ? `repo1-storage-ca-file=${t.caFile}` : `repo1-storage-verify-tls=${t.verifyTls ? 'y' : 'n'}`;
    writeFileSync(conf, [
      '[global]', 'repo1-type=s3', `repo1-path=${t.path}`, `repo1-s3-bucket=${t.bucket}`,
      `repo1-s3-endpoint=${t.endpoint}`, `repo1-storage-port=${t.port}`, `repo1-s3-region=${t.region}`,
      `repo1-s3-key=${t.accessKey}`, `repo1-s3-key-secret=${t.secretKey}`, `repo1-s3-uri-style=${t.uriStyle}`,
      tls, `log-path=${dir}`, `lock-path=${dir}`, 'log-level-console=off', 'log-level-stderr=error', '',
    ].join('\n'));
  });
  afterAll(async () => {
    await s.pathRemove('');
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const pgbr = (args: string[], input?: Buffer): Buffer =>
    execFileSync('/usr/bin/pgbackrest', [`--config=${conf}`, ...args], { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });

  it('reads what we wrote, and we read what it wrote (multipart both ways)', async () => {
    const big = await readAll(patternStream(12 * 1024 * 1024 + 5));
    await s.write('ours/big.bin', big);
    await s.write('ours/a b=c.txt', Buffer.from('spaces'));
    expect(pgbr(['repo-get', 'ours/big.bin']).equals(big)).toBe(true);
    expect(pgbr(['repo-get', 'ours/a b=c.txt']).toString()).toBe('spaces');
    expect(pgbr(['repo-ls', '--recurse']).toString()).toBe('ours\nours/a b=c.txt\nours/big.bin\n');

    pgbr(['--repo1-storage-upload-chunk-size=5MiB', 'repo-put', 'theirs/big.bin'], big);
    expect((await readAll(await s.read('theirs/big.bin'))).equals(big)).toBe(true);
    expect((await s.list('')).map((i) => i.name).sort()).toEqual(['ours', 'theirs']);
  });
});
