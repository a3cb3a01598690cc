import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile, chmod, lstat, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgbrError } from '../../src/error/error.js';
import { PosixStorage } from '../../src/storage/posix.js';
import { sysErr } from '../../src/storage/errno.js';
import { readAll, runConformance } from './conformance.js';

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    out.push(r);
    if (e.isDirectory()) out.push(...(await walk(dir, r)));
  }
  return out;
}

runConformance('posix', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pgbr-posix-'));
  return {
    driver: new PosixStorage(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
    rawNames: () => walk(root),
  };
});

describe('PosixStorage specifics', () => {
  let root: string;
  let s: PosixStorage;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pgbr-posix-x-'));
    s = new PosixStorage(root);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('creates paths 0750 and files 0640 whatever the umask', async () => {
    const old = process.umask(0o077);
    try {
      await s.write('m/a/b/file', Buffer.from('x'));
    } finally {
      process.umask(old);
    }
    expect((await stat(join(root, 'm'))).mode & 0o777).toBe(0o750);
    expect((await stat(join(root, 'm/a/b'))).mode & 0o777).toBe(0o750);
    expect((await stat(join(root, 'm/a/b/file'))).mode & 0o777).toBe(0o640);
    expect((await s.info('m/a/b/file'))?.mode).toBe(0o640);
  });

  it('honours an explicit file mode', async () => {
    await s.write('m/exec', Buffer.from('x'), { mode: 0o600 });
    expect((await stat(join(root, 'm/exec'))).mode & 0o777).toBe(0o600);
  });

  it('writes through <name>.pgbackrest.tmp and renames it', async () => {
    await writeFile(join(root, 'tmpcheck.pgbackrest.tmp'), 'stale');
    await s.write('tmpcheck', Buffer.from('fresh'));
    expect(await readdir(root)).toContain('tmpcheck');
    expect(await readdir(root)).not.toContain('tmpcheck.pgbackrest.tmp');
  });

  it('writes directly with atomic false', async () => {
    await s.write('direct', Buffer.from('d'), { atomic: false, sync: false });
    expect((await readAll(await s.read('direct'))).toString()).toBe('d');
  });

  it('fails with PathMissingError when createPath is false and the parent is missing', async () => {
    const e = await s.write('no/parent/f', Buffer.from('x'), { createPath: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PgbrError);
    expect((e as PgbrError).type).toBe('PathMissingError');
    expect((e as PgbrError).message).toBe(
      `unable to open file '${root}/no/parent/f' for write: [2] No such file or directory`,
    );
  });

  it('names the absolute path when a file is missing', async () => {
    const e = await s.read('x/missing').catch((x: unknown) => x);
    expect((e as PgbrError).message).toBe(`unable to open missing file '${root}/x/missing' for read`);
  });

  it('creates and reports symlinks', async () => {
    await s.write('links/20230101-000000F/backup.manifest', Buffer.from('m'));
    await s.linkCreate('20230101-000000F', 'links/latest');
    expect(await readlink(join(root, 'links/latest'))).toBe('20230101-000000F');
    expect(await s.info('links/latest')).toMatchObject({ type: 'link', linkDestination: '20230101-000000F', size: 0 });
    expect(await s.info('links/latest', { followLink: true })).toMatchObject({ name: 'latest', type: 'path' });
    const listed = await s.list('links');
    expect(listed.find((i) => i.name === 'latest')).toMatchObject({ type: 'link', linkDestination: '20230101-000000F' });
    expect((await lstat(join(root, 'links/latest'))).isSymbolicLink()).toBe(true);
  });

  it('refuses non-recursive removal of a non-empty path', async () => {
    await s.write('full/f', Buffer.from('x'));
    const e = await s.pathRemove('full', { recurse: false }).catch((x: unknown) => x);
    expect((e as PgbrError).type).toBe('PathRemoveError');
    expect((e as PgbrError).message).toBe(`unable to remove path '${root}/full': [39] Directory not empty`);
  });

  it('syncs paths and reports a missing one', async () => {
    await s.pathSync('');
    const e = await s.pathSync('no-such-dir').catch((x: unknown) => x);
    expect((e as PgbrError).type).toBe('PathMissingError');
  });

  it.skipIf(process.getuid?.() === 0)('maps EACCES on read to FileOpenError', async () => {
    await s.write('secret', Buffer.from('x'));
    await chmod(join(root, 'secret'), 0);
    const e = await s.read('secret').catch((x: unknown) => x);
    expect((e as PgbrError).type).toBe('FileOpenError');
    expect((e as PgbrError).message).toBe(`unable to open file '${root}/secret' for read: [13] Permission denied`);
  });

  it('formats system errors like pgBackRest', () => {
    const eacces = Object.assign(new Error('x'), { code: 'EACCES', errno: -13 });
    expect(sysErr('FileOpenError', "unable to open file '/r/f' for read", eacces).message).toBe(
      "unable to open file '/r/f' for read: [13] Permission denied",
    );
    const enospc = Object.assign(new Error('x'), { code: 'ENOSPC', errno: -28 });
    const e = sysErr('FileWriteError', "unable to write '/r/f'", enospc);
    expect([e.type, e.code, e.message]).toEqual(['FileWriteError', 64, "unable to write '/r/f': [28] No space left on device"]);
  });
});

describe('PosixStorage on a full file system', () => {
  let dir: string;
  let mounted = false;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgbr-posix-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false; // needs root and mount rights; the test is skipped otherwise
    }
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  });

  it('maps ENOSPC to FileWriteError naming the temp file and removes it', async (ctx) => {
    if (!mounted) ctx.skip();
    const s = new PosixStorage(dir);
    const e = await s.write('big', Buffer.alloc(256 * 1024, 1)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PgbrError);
    expect([(e as PgbrError).type, (e as PgbrError).code, (e as PgbrError).message]).toEqual([
      'FileWriteError', 64, `unable to write '${dir}/big.pgbackrest.tmp': [28] No space left on device`,
    ]);
    expect(await readdir(dir)).toEqual([]);
  });
});
