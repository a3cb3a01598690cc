import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupFile, type BackupFileCopied, type BackupFileJob } from '../../src/backup/file.js';
import { COMPRESS_TYPES, extensionOf, type CompressType } from '../../src/io/compress.js';
import { sha1Hex } from '../../src/io/hash.js';
import { restoreFile } from '../../src/restore/file.js';
import { removeAllTempDirs } from '../harness/tmp.js';
import { sampleData } from '../io/helpers.js';
import { fileEnv } from './file-harness.js';

const PASS = 'b14XWnAd8PXed+DEPAeDJKhhwvQP8a5JfPfdKZOQ0chW5do8WSQ/lg9Vgikeg2s1';
afterAll(() => removeAllTempDirs());

function job(pgFile: string, size: number, over: Partial<BackupFileJob> = {}): BackupFileJob {
  return { pgFile, pgFileSize: size, pgFileChecksumPage: false, repoFile: 'f', compressType: 'none', ...over };
}

describe('backupFile → restoreFile round trip', () => {
  const env = fileEnv();
  // more than two READ_CHUNKs: every read after the first lands in a buffer a codec may reuse
  const data = sampleData(2_300_000, 7);
  const src = env.source('base/1/16384', data);

  for (const type of COMPRESS_TYPES) {
    for (const cipherPass of [undefined, PASS]) {
      it(`${type}${cipherPass ? ' encrypted' : ''}`, async () => {
        const repoFile = `b/${type}${cipherPass ? '-enc' : ''}/16384${extensionOf(type)}`;
        const r = (await backupFile(job(src, data.length, { repoFile, compressType: type, cipherPass }), env.repo, env.pg)) as BackupFileCopied;
        const stored = readFileSync(join(env.repoPath, repoFile));
        expect(r.copied).toBe(true);
        expect(r.size).toBe(data.length);
        expect(r.checksum).toBe(sha1Hex(data));
        expect(r.repoSize).toBe(stored.length);
        expect(r.pageChecksum).toBeUndefined();
        if (type === 'none' && cipherPass === undefined) {
          expect(r.rck).toBeUndefined();
          expect(stored.equals(data)).toBe(true);
        } else {
          expect(r.rck).toBe(sha1Hex(stored));
          expect(stored.equals(data)).toBe(false);
        }
        if (cipherPass !== undefined) expect(stored.subarray(0, 8).toString()).toBe('Salted__');
        if (type !== 'none') expect(stored.length).toBeLessThan(data.length + 64);

        const target = join(env.dir, `restore-${type}-${cipherPass ? 'e' : 'p'}`);
        const w = await restoreFile(
          { name: 'pg_data/base/1/16384', pgFile: target, size: r.size, checksum: r.checksum, mode: 0o600, timestamp: 1795650900,
            repoFile, compressType: type, cipherPass },
          env.repo,
        );
        expect(w).toEqual({ written: true, size: data.length });
        expect(readFileSync(target).equals(data)).toBe(true);
        const st = statSync(target);
        expect(st.mode & 0o7777).toBe(0o600);
        expect(Math.floor(st.mtimeMs / 1000)).toBe(1795650900);
      });
    }
  }

  it.each(['zst', 'gz'] as const)('%s on several threads (a large file at process-max > cores) stores what restores to the source', async (type) => {
    const large = sampleData(6 * 1024 * 1024, 11);
    const file = env.source(`base/1/16999-${type}`, large);
    const ext = extensionOf(type);
    const one = (await backupFile(job(file, large.length, { repoFile: `mt/1${ext}`, compressType: type }), env.repo, env.pg)) as BackupFileCopied;
    const two = (await backupFile(job(file, large.length, { repoFile: `mt/2${ext}`, compressType: type, compressThreads: 2 }), env.repo, env.pg)) as BackupFileCopied;
    const stored = readFileSync(join(env.repoPath, `mt/2${ext}`));
    expect(stored.equals(readFileSync(join(env.repoPath, `mt/1${ext}`)))).toBe(false);
    expect(two).toMatchObject({ copied: true, size: large.length, checksum: one.checksum, repoSize: stored.length, rck: sha1Hex(stored) });
    const target = join(env.dir, `restore-mt-${type}`);
    await restoreFile({ name: 'pg_data/base/1/16999', pgFile: target, size: two.size, checksum: two.checksum, mode: 0o600,
      timestamp: 1795650900, repoFile: `mt/2${ext}`, compressType: type }, env.repo);
    expect(readFileSync(target).equals(large)).toBe(true);
  });

  it('stores an empty file as one empty compressed stream (sizes of spec §5)', async () => {
    const empty = env.source('empty', Buffer.alloc(0));
    const sizes: Partial<Record<CompressType, number>> = { gz: 20, lz4: 15, zst: 9, bz2: 14, none: 0 };
    for (const [type, size] of Object.entries(sizes) as [CompressType, number][]) {
      const r = (await backupFile(job(empty, 0, { repoFile: `e/${type}`, compressType: type }), env.repo)) as BackupFileCopied;
      expect(r).toMatchObject({ copied: true, size: 0, checksum: sha1Hex(''), repoSize: size });
    }
    const enc = (await backupFile(job(empty, 0, { repoFile: 'e/enc', compressType: 'gz', cipherPass: PASS }), env.repo)) as BackupFileCopied;
    expect(enc.repoSize).toBe(48);
  });
});

describe('backupFile one-pass path (small files, both sides local)', () => {
  const env = fileEnv();
  // env.pg counts its reads, so it is not a plain posix driver: the streamed path; the default is plain
  const both = async (src: string, over: Partial<BackupFileJob> & { pgFileSize: number }) => {
    const name = src.split('/').pop()!;
    const ext = extensionOf(over.compressType ?? 'none');
    const whole = await backupFile(job(src, over.pgFileSize, { ...over, repoFile: `w/${name}${ext}` }), env.repo);
    const streamed = await backupFile(job(src, over.pgFileSize, { ...over, repoFile: `s/${name}${ext}` }), env.repo, env.pg);
    const stored = (dir: string) => (existsSync(join(env.repoPath, dir, name + ext)) ? readFileSync(join(env.repoPath, dir, name + ext)) : null);
    return { whole, streamed, wholeBytes: stored('w'), streamedBytes: stored('s') };
  };

  for (const type of COMPRESS_TYPES) {
    for (const size of [0, 1, 300_000, 1024 * 1024]) {
      it(`${type}, ${size} bytes: the same result and the same stored bytes as the streamed path`, async () => {
        const src = env.source(`one-${type}-${size}`, sampleData(size, size % 7));
        const r = await both(src, { pgFileSize: size, compressType: type });
        expect(r.whole).toEqual(r.streamed);
        expect(r.wholeBytes).not.toBeNull();
        expect(r.wholeBytes!.equals(r.streamedBytes!)).toBe(true);
        expect(r.whole).toMatchObject({ copied: true, size, checksum: sha1Hex(sampleData(size, size % 7)), repoSize: r.wholeBytes!.length });
      });
    }
  }

  it("lets copied small files' buffers be collected as it goes, not at V8's external-memory threshold", async () => {
    // 160 files of 512 KiB: 80 MiB read and written, each buffer dead once its file is written
    const data = sampleData(512 * 1024, 3);
    const srcs = Array.from({ length: 160 }, (_, i) => env.source(`gc/${i}`, data));
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (const [i, src] of srcs.entries()) {
      const r = await backupFile(job(src, data.length, { repoFile: `gc/${i}` }), env.repo);
      expect(r).toMatchObject({ copied: true, size: data.length });
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    }
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });

  it('copies at most the manifest size, skips a vanished file and checks pages as the streamed path does', async () => {
    const data = sampleData(50_000, 4);
    const src = env.source('one-grown', data);
    const grown = await both(src, { pgFileSize: 20_000, compressType: 'lz4' });
    expect(grown.whole).toEqual(grown.streamed);
    expect(grown.whole).toMatchObject({ size: 20_000, checksum: sha1Hex(data.subarray(0, 20_000)) });

    const gone = await both(join(env.pgData, 'one-gone'), { pgFileSize: 100, compressType: 'zst' });
    expect(gone.whole).toEqual({ copied: false, skipped: 'missing' });
    expect(gone.streamed).toEqual(gone.whole);
    expect(gone.wholeBytes).toBeNull();

    const page = readFileSync(new URL('../fixtures/io/pg15-global-1262.page', import.meta.url));
    const bad = Buffer.concat([page, page]);
    bad[8192 + 3000]! ^= 1;
    const rel = env.source('base/1/777', bad);
    const checked = await both(rel, { pgFileSize: bad.length, compressType: 'gz', pgFileChecksumPage: true });
    expect(checked.whole).toEqual(checked.streamed);
    expect((checked.whole as BackupFileCopied).pageChecksum).toEqual({ valid: false, align: true, errors: [1] });
  });
});

describe('backupFile source handling', () => {
  const env = fileEnv();

  it('reads the source exactly once, in one pass', async () => {
    // valid pages, so that no page is read again
    const data = Buffer.concat([readFileSync(new URL('../fixtures/io/pg15-global-1262.page', import.meta.url)), Buffer.alloc(8192 * 120)]);
    const src = env.source('one-pass', data);
    env.pg.reads.length = 0;
    const r = await backupFile(job(src, data.length, { compressType: 'zst', cipherPass: PASS, pgFileChecksumPage: true }), env.repo, env.pg);
    expect(r).toMatchObject({ copied: true, pageChecksum: { valid: true, align: true, errors: [] } });
    expect(env.pg.reads).toHaveLength(1);
    expect(env.pg.reads[0]!.bytes).toBe(data.length);
  });

  it('skips a file that vanished and writes nothing', async () => {
    const r = await backupFile(job(join(env.pgData, 'gone'), 100, { repoFile: 'gone.gz', compressType: 'gz' }), env.repo, env.pg);
    expect(r).toEqual({ copied: false, skipped: 'missing' });
    expect(existsSync(join(env.repoPath, 'gone.gz'))).toBe(false);
  });

  it('copies at most the manifest size of a grown file, and all of a shrunk one', async () => {
    const data = sampleData(50_000, 4);
    const src = env.source('grown', data);
    const grown = (await backupFile(job(src, 20_000), env.repo)) as BackupFileCopied;
    expect(grown).toMatchObject({ size: 20_000, checksum: sha1Hex(data.subarray(0, 20_000)), repoSize: 20_000 });
    const shrunk = (await backupFile(job(src, 80_000), env.repo)) as BackupFileCopied;
    expect(shrunk).toMatchObject({ size: 50_000, checksum: sha1Hex(data) });
  });

  it('with checksumCompare, keeps a matching file with one read and copies a changed one', async () => {
    const data = sampleData(70_000, 5);
    const src = env.source('delta', data);
    const compare = { checksum: sha1Hex(data), size: data.length };
    env.pg.reads.length = 0;
    const same = await backupFile(job(src, data.length, { repoFile: 'delta', checksumCompare: compare }), env.repo, env.pg);
    expect(same).toEqual({ copied: false, matched: true, size: data.length, checksum: compare.checksum });
    expect(env.pg.reads).toHaveLength(1);
    expect(existsSync(join(env.repoPath, 'delta'))).toBe(false);

    const changed = await backupFile(
      job(src, data.length, { repoFile: 'delta', checksumCompare: { ...compare, checksum: sha1Hex('x') } }), env.repo, env.pg);
    expect(changed).toMatchObject({ copied: true, checksum: compare.checksum });
    expect(env.pg.reads).toHaveLength(3);
    expect(readFileSync(join(env.repoPath, 'delta')).equals(data)).toBe(true);
  });

  it('resuming with a source check (--delta): keeps a stored copy only while the source matches, drops it when the source is gone', async () => {
    const data = sampleData(30_000, 7);
    const src = env.source('resumed', data);
    // the copy an interrupted backup stored (compress-type none: stored as is)
    writeFileSync(join(env.repoPath, 'resumed'), data);
    const check = { sha1: sha1Hex(data), repoSize: data.length, source: { checksum: sha1Hex(data), size: data.length } };
    const kept = await backupFile(job(src, data.length, { repoFile: 'resumed', resumeCheck: check }), env.repo, env.pg);
    expect(kept).toEqual({ copied: false, resumed: true });

    // the source changed since: copied again, whatever the stored copy holds
    const changed = Buffer.from(data);
    changed[10]! ^= 0xff;
    writeFileSync(src, changed);
    const recopied = await backupFile(job(src, data.length, { repoFile: 'resumed', resumeCheck: check }), env.repo, env.pg);
    expect(recopied).toMatchObject({ copied: true, checksum: sha1Hex(changed) });
    expect(readFileSync(join(env.repoPath, 'resumed')).equals(changed)).toBe(true);

    // the source is gone: skipped, and the stored copy removed with it
    const gone = await backupFile(job(join(env.pgData, 'resumed-gone'), data.length, { repoFile: 'resumed', resumeCheck: check }), env.repo, env.pg);
    expect(gone).toEqual({ copied: false, skipped: 'missing' });
    expect(existsSync(join(env.repoPath, 'resumed'))).toBe(false);
  });

  it('leaves no repo file when the write fails', async () => {
    const data = sampleData(10_000, 6);
    const src = env.source('w', data);
    env.source('blocker', Buffer.from('x'));
    const repo = new (await import('../../src/storage/posix.js')).PosixStorage(env.pgData);
    await expect(backupFile(job(src, data.length, { repoFile: 'blocker/sub' }), repo)).rejects.toMatchObject({ type: 'FileOpenError' });
  });
});
