import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { backupFile, type BackupFileCopied } from '../../src/backup/file.js';
import type { CompressType } from '../../src/io/compress.js';
import { NativeGzDecoder, gzAddon } from '../../src/io/gz-native.js';
import { sha1Hex } from '../../src/io/hash.js';
import { PosixStorage } from '../../src/storage/posix.js';
import type { ReadOptions, StorageDriver } from '../../src/storage/storage.js';
import { restoreFile, type RestoreFileJob } from '../../src/restore/file.js';
import { CountingStorage, fileEnv } from '../backup/file-harness.js';
import { removeAllTempDirs } from '../harness/tmp.js';
import { sampleData } from '../io/helpers.js';
import { readAll } from '../storage/conformance.js';

afterAll(() => removeAllTempDirs());

const env = fileEnv();
const repo = new CountingStorage(env.repoPath);
const data = sampleData(100_000, 9);
const TS = 1795650900;

async function stored(repoFile: string, compressType: CompressType, content = data): Promise<BackupFileCopied> {
  const src = env.source(`src-${repoFile.replace(/\W/g, '_')}`, content);
  const job = { pgFile: src, pgFileSize: content.length, pgFileChecksumPage: false, repoFile, compressType };
  return (await backupFile(job, repo)) as BackupFileCopied;
}

function restoreJob(target: string, repoFile: string, over: Partial<RestoreFileJob> = {}): RestoreFileJob {
  return { name: 'pg_data/base/1/1', pgFile: join(env.dir, target), size: data.length, checksum: sha1Hex(data), mode: 0o640,
    timestamp: TS, repoFile, compressType: 'none', ...over };
}

/** Stores 1.5 MB of `type` as `name` and restores it through `driver`; returns the data. */
async function restoresBig(name: string, type: CompressType, driver: StorageDriver): Promise<Buffer> {
  const big = sampleData(1_500_000, 5);
  await stored(name, type, big);
  const job = restoreJob(`t-${name}`, name, { compressType: type, size: big.length, checksum: sha1Hex(big) });
  expect(await restoreFile(job, driver)).toEqual({ written: true, size: big.length });
  expect(readFileSync(job.pgFile).equals(big)).toBe(true);
  return big;
}

describe('restoreFile', () => {
  it('fails with ChecksumError on a corrupted repo file and leaves no target', async () => {
    await stored('corrupt', 'none');
    const bytes = readFileSync(join(env.repoPath, 'corrupt'));
    bytes[500]! ^= 0xff;
    writeFileSync(join(env.repoPath, 'corrupt'), bytes);
    const job = restoreJob('t-corrupt', 'corrupt');
    await expect(restoreFile(job, repo)).rejects.toMatchObject({
      type: 'ChecksumError',
      message: `error restoring 'pg_data/base/1/1': actual checksum '${sha1Hex(bytes)}' does not match expected checksum '${sha1Hex(data)}'`,
    });
    expect(existsSync(job.pgFile)).toBe(false);
  });

  it('fails on a corrupted compressed file and leaves no target', async () => {
    await stored('corrupt.gz', 'gz');
    const bytes = readFileSync(join(env.repoPath, 'corrupt.gz'));
    bytes[bytes.length - 6]! ^= 0xff; // inside the gzip CRC/length trailer
    writeFileSync(join(env.repoPath, 'corrupt.gz'), bytes);
    const job = restoreJob('t-corrupt-gz', 'corrupt.gz', { compressType: 'gz' });
    await expect(restoreFile(job, repo)).rejects.toBeInstanceOf(Error);
    expect(existsSync(job.pgFile)).toBe(false);
  });

  it('restores an lz4 file that decodes to many pieces of the reused output buffer', async () => {
    const big = await restoresBig('big.lz4', 'lz4', repo);

    const bytes = readFileSync(join(env.repoPath, 'big.lz4'));
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(join(env.repoPath, 'big.lz4'), bytes);
    const bad = restoreJob('t-big-lz4-bad', 'big.lz4', { compressType: 'lz4', size: big.length, checksum: sha1Hex(big) });
    await expect(restoreFile(bad, repo)).rejects.toBeInstanceOf(Error);
    expect(existsSync(bad.pgFile)).toBe(false);
  });

  it.skipIf(gzAddon() === undefined)('decodes a gz file of 16 MiB or more on the pool, with the same checks', async () => {
    const spy = vi.spyOn(NativeGzDecoder.prototype, 'stepInto');
    try {
      const big = sampleData(17 * 1024 * 1024 + 123, 11);
      await stored('huge.gz', 'gz', big);
      const job = restoreJob('t-huge-gz', 'huge.gz', { compressType: 'gz', size: big.length, checksum: sha1Hex(big) });
      expect(await restoreFile(job, repo)).toEqual({ written: true, size: big.length });
      expect(readFileSync(job.pgFile).equals(big)).toBe(true);
      expect(spy.mock.calls.length).toBeGreaterThan(16);

      const bytes = readFileSync(join(env.repoPath, 'huge.gz'));
      bytes[bytes.length >> 1]! ^= 0xff;
      writeFileSync(join(env.repoPath, 'huge.gz'), bytes);
      const bad = restoreJob('t-huge-gz-bad', 'huge.gz', { compressType: 'gz', size: big.length, checksum: sha1Hex(big) });
      await expect(restoreFile(bad, repo)).rejects.toMatchObject({ type: 'FormatError', message: expect.stringMatching(/^zlib threw error: \[-3\]/) });
      expect(existsSync(bad.pgFile)).toBe(false);

      // a smaller file keeps the decoding in its own thread
      spy.mockClear();
      await restoresBig('mid.gz', 'gz', repo);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('restores a byte range of a bundle', async () => {
    const other = sampleData(3000, 2);
    const a = await stored('part-a.zst', 'zst', other);
    const b = await stored('part-b.zst', 'zst');
    const bundle = Buffer.concat([readFileSync(join(env.repoPath, 'part-a.zst')), readFileSync(join(env.repoPath, 'part-b.zst'))]);
    writeFileSync(join(env.repoPath, 'bundle-1'), bundle);
    const job = restoreJob('t-bundle', 'bundle-1', { compressType: 'zst', repoOffset: a.repoSize, repoLength: b.repoSize });
    expect(await restoreFile(job, repo)).toEqual({ written: true, size: data.length });
    expect(readFileSync(job.pgFile).equals(data)).toBe(true);
  });

  it('creates a zero-length file without reading the repo', async () => {
    repo.reads.length = 0;
    const job = restoreJob('t-empty', 'no-such-file', { size: 0, checksum: sha1Hex(''), mode: 0o600 });
    expect(await restoreFile(job, repo)).toEqual({ written: true, size: 0 });
    expect(statSync(job.pgFile).size).toBe(0);
    expect(statSync(job.pgFile).mode & 0o777).toBe(0o600);
    expect(repo.reads).toHaveLength(0);
  });

  it('with delta keeps a file of equal size and SHA-1, rewrites a different one', async () => {
    await stored('delta', 'none');
    const job = restoreJob('t-delta', 'delta', { delta: true });
    writeFileSync(job.pgFile, data);
    repo.reads.length = 0;
    expect(await restoreFile(job, repo)).toEqual({ written: false, size: data.length });
    expect(repo.reads).toHaveLength(0);
    expect(Math.floor(statSync(job.pgFile).mtimeMs / 1000)).toBe(TS);

    const changed = Buffer.from(data);
    changed[10]! ^= 1;
    writeFileSync(job.pgFile, changed);
    expect(await restoreFile(job, repo)).toEqual({ written: true, size: data.length });
    expect(readFileSync(job.pgFile).equals(data)).toBe(true);
  });

  it('with delta and force compares size and mtime instead of content', async () => {
    await stored('force', 'none');
    const job = restoreJob('t-force', 'force', { delta: true, force: true, copyStart: TS + 10 });
    const changed = Buffer.from(data);
    changed[10]! ^= 1;
    writeFileSync(job.pgFile, changed);
    utimesSync(job.pgFile, TS, TS);
    expect(await restoreFile(job, repo)).toEqual({ written: false, size: data.length });
    expect(readFileSync(job.pgFile).equals(changed)).toBe(true);

    utimesSync(job.pgFile, TS + 1, TS + 1);
    expect(await restoreFile(job, repo)).toEqual({ written: true, size: data.length });
    expect(readFileSync(job.pgFile).equals(data)).toBe(true);
  });

  it('with delta and force copies a file whose mtime is not before the backup copy began (backup_label)', async () => {
    await stored('force-late', 'none');
    // the manifest timestamp is the copy start itself: the file may have changed while it was copied
    const job = restoreJob('t-force-late', 'force-late', { delta: true, force: true, copyStart: TS });
    const changed = Buffer.from(data);
    changed[10]! ^= 1;
    writeFileSync(job.pgFile, changed);
    utimesSync(job.pgFile, TS, TS);
    expect(await restoreFile(job, repo)).toEqual({ written: true, size: data.length });
    expect(readFileSync(job.pgFile).equals(data)).toBe(true);
  });

  it('fails on a missing repo file', async () => {
    await expect(restoreFile(restoreJob('t-missing', 'missing'), repo)).rejects.toMatchObject({ type: 'FileMissingError' });
  });

  it.each([
    ['small', data],
    ['streamed (over 1 MiB)', sampleData(1_500_000, 13)],
  ])('copies a %s file from a restored file with its content (localSource), reading nothing from the repo', async (_, content) => {
    const source = join(env.dir, `t-source-${content.length}`);
    writeFileSync(source, content);
    repo.reads.length = 0;
    // the repo holds no such file: only the local copy can give these bytes
    const job = restoreJob(`t-local-${content.length}`, 'not-in-repo', {
      size: content.length, checksum: sha1Hex(content), compressType: 'lz4', cipherPass: 'unused', localSource: source,
    });
    expect(await restoreFile(job, repo)).toEqual({ written: true, size: content.length });
    expect(readFileSync(job.pgFile).equals(content)).toBe(true);
    expect(statSync(job.pgFile).mode & 0o777).toBe(0o640);
    expect(Math.floor(statSync(job.pgFile).mtimeMs / 1000)).toBe(TS);
    expect(repo.reads).toHaveLength(0);
  });

  it('fetches from the repo when the local copy is changed or gone, and fails as before when the repo fails too', async () => {
    await stored('local-fallback.lz4', 'lz4');
    const source = join(env.dir, 't-source-changed');
    const changed = Buffer.from(data);
    changed[99]! ^= 1;
    writeFileSync(source, changed);
    const job = restoreJob('t-local-fallback', 'local-fallback.lz4', { compressType: 'lz4', localSource: source });
    repo.reads.length = 0;
    expect(await restoreFile(job, repo)).toEqual({ written: true, size: data.length });
    expect(readFileSync(job.pgFile).equals(data)).toBe(true);
    expect(repo.reads).toHaveLength(1);

    const gone = restoreJob('t-local-gone', 'local-fallback.lz4', { compressType: 'lz4', localSource: join(env.dir, 'no-such-source') });
    expect(await restoreFile(gone, repo)).toEqual({ written: true, size: data.length });
    expect(readFileSync(gone.pgFile).equals(data)).toBe(true);

    const neither = restoreJob('t-local-neither', 'missing', { localSource: source });
    await expect(restoreFile(neither, repo)).rejects.toMatchObject({ type: 'FileMissingError' });
    expect(existsSync(neither.pgFile)).toBe(false);
  });
});

/**
 * A repo driver with `readSmall` (as S3 has), over the same files. It records what it fetched whole,
 * and reads nothing whole that is over the limit.
 */
class SmallReadStorage extends CountingStorage {
  readonly whole: string[] = [];
  readonly asked: string[] = [];

  async readSmall(path: string, maxSize: number, opts: ReadOptions = {}): Promise<Buffer | null | undefined> {
    this.asked.push(path);
    const stream = await PosixStorage.prototype.read.call(this, path, opts);
    if (stream === null) return null;
    const data = await readAll(stream);
    if (data.length > maxSize) return undefined;
    this.whole.push(path);
    return data;
  }
}
const smallReads = new SmallReadStorage(env.repoPath);

// A plain posix repo and a driver with readSmall both take restoreFile's one-pass path for files up
// to 1 MiB (restoreWhole); the instrumented repo above always streams. All must give the same bytes
// and the same errors.
describe.each([
  ['a plain posix repo', env.repo],
  ['a repo driver with readSmall', smallReads],
])('restoreFile of a small file from %s', (_, plain) => {
  const small = sampleData(200_000, 7);

  async function storedSmall(name: string, compressType: CompressType): Promise<BackupFileCopied> {
    return stored(name, compressType, small);
  }

  function smallJob(target: string, repoFile: string, over: Partial<RestoreFileJob> = {}): RestoreFileJob {
    return restoreJob(target, repoFile, { size: small.length, checksum: sha1Hex(small), ...over });
  }

  async function failure(job: RestoreFileJob, driver: typeof plain): Promise<{ type: string; message: string }> {
    const e = (await restoreFile(job, driver).then(() => undefined, (x: unknown) => x)) as { type: string; message: string } | undefined;
    expect(e, `${job.pgFile} should fail`).toBeDefined();
    expect(existsSync(job.pgFile)).toBe(false);
    return { type: e!.type, message: e!.message.replace(job.pgFile, '<target>') };
  }

  it.each(['none', 'lz4', 'zst', 'gz', 'bz2'] as const)('restores %s with its mode and mtime', async (type) => {
    await storedSmall(`small.${type}`, type);
    const job = smallJob(`t-small-${type}`, `small.${type}`, { compressType: type, mode: 0o600 });
    expect(await restoreFile(job, plain)).toEqual({ written: true, size: small.length });
    expect(readFileSync(job.pgFile).equals(small)).toBe(true);
    const st = statSync(job.pgFile);
    expect(st.mode & 0o777).toBe(0o600);
    expect(Math.floor(st.mtimeMs / 1000)).toBe(TS);
  });

  it('restores a byte range of a bundle', async () => {
    const a = await stored('whole-a.lz4', 'lz4', sampleData(5000, 3));
    const b = await storedSmall('whole-b.lz4', 'lz4');
    writeFileSync(join(env.repoPath, 'whole-bundle'), Buffer.concat([
      readFileSync(join(env.repoPath, 'whole-a.lz4')), readFileSync(join(env.repoPath, 'whole-b.lz4')), Buffer.from('trailing'),
    ]));
    const job = smallJob('t-whole-bundle', 'whole-bundle', { compressType: 'lz4', repoOffset: a.repoSize, repoLength: b.repoSize });
    expect(await restoreFile(job, plain)).toEqual({ written: true, size: small.length });
    expect(readFileSync(job.pgFile).equals(small)).toBe(true);
  });

  it('fails like the streamed path, leaving no target, on bad or missing repo files', async () => {
    const cases: Array<[string, CompressType, (b: Buffer) => Buffer]> = [
      ['flip-none', 'none', (b) => (b[100]! ^= 1, b)],
      ['flip-lz4', 'lz4', (b) => (b[b.length >> 1]! ^= 0xff, b)],
      ['cut-lz4', 'lz4', (b) => b.subarray(0, b.length - 10)],
      ['flip-zst', 'zst', (b) => (b[b.length >> 1]! ^= 0xff, b)],
      ['cut-gz', 'gz', (b) => b.subarray(0, b.length >> 1)],
      ['long-none', 'none', (b) => Buffer.concat([b, Buffer.from('x')])],
      // stored larger than a whole read takes: readSmall leaves it to the streamed path
      ['huge-none', 'none', (b) => Buffer.concat([b, Buffer.alloc(3 * 1024 * 1024, 1)])],
    ];
    for (const [name, type, spoil] of cases) {
      await storedSmall(name, type);
      const file = join(env.repoPath, name);
      writeFileSync(file, spoil(readFileSync(file)));
      const job = smallJob(`t-${name}`, name, { compressType: type });
      const streamed = await failure({ ...job, pgFile: `${job.pgFile}-streamed` }, repo);
      expect(await failure(job, plain), name).toEqual(streamed);
    }
    const missing = smallJob('t-whole-missing', 'whole-missing');
    expect(await failure(missing, plain)).toEqual(await failure(missing, repo));
    expect((await failure(missing, plain)).type).toBe('FileMissingError');
  });

  it('streams a file over 1 MiB and still restores it whole', async () => {
    await restoresBig('whole-big.zst', 'zst', plain);
  });
});

describe('restoreFile from a repo driver with readSmall', () => {
  it('fetches a small file whole and streams a large one', async () => {
    const small = sampleData(300_000, 4);
    await stored('fetch-small.lz4', 'lz4', small);
    smallReads.reads.length = 0;
    smallReads.whole.length = 0;
    const job = restoreJob('t-fetch-small', 'fetch-small.lz4', { compressType: 'lz4', size: small.length, checksum: sha1Hex(small) });
    expect(await restoreFile(job, smallReads)).toEqual({ written: true, size: small.length });
    expect(readFileSync(job.pgFile).equals(small)).toBe(true);
    expect(smallReads.whole).toEqual(['fetch-small.lz4']);
    expect(smallReads.reads).toHaveLength(0);

    await restoresBig('fetch-big.lz4', 'lz4', smallReads);
    expect(smallReads.whole).toEqual(['fetch-small.lz4']);
    expect(smallReads.reads.map((r) => r.path)).toEqual(['fetch-big.lz4']);
  });

  it('leaves an encrypted file to the streamed path', async () => {
    await stored('fetch-enc', 'none');
    smallReads.asked.length = 0;
    smallReads.reads.length = 0;
    // not encrypted in fact: the streamed path's decryption fails on it
    const job = restoreJob('t-fetch-enc', 'fetch-enc', { cipherPass: 'x' });
    await expect(restoreFile(job, smallReads)).rejects.toBeInstanceOf(Error);
    expect(smallReads.asked).toHaveLength(0);
    expect(smallReads.reads.map((r) => r.path)).toEqual(['fetch-enc']);
  });
});
