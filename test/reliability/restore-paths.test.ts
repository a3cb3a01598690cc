/**
 * Issue 9: restore must not write outside its target. A real backup's manifest is edited
 * (names with `..`, absolute names, a link with no link target) and re-signed, then restored:
 * each is refused with a clear error before anything is written. A symlink planted inside the
 * target pointing outside is replaced, not written through, by a delta restore.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha1Hex } from '../../src/io/hash.js';
import { parseManifest, renderManifest, type Manifest } from '../../src/repo/manifest.js';
import { backup, backupEnv, type BackupEnv } from '../integration/backup-helpers.js';
import { ours } from '../harness/cli.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

let env: BackupEnv;
let label: string;
let manifestFile: string;
let original: string;

beforeAll(async () => {
  env = await backupEnv({});
  ({ label } = await backup(env, 'full'));
  manifestFile = join(env.dir, 'repo/backup/demo', label, 'backup.manifest');
  original = readFileSync(manifestFile, 'utf8');
}, 180_000);

afterAll(async () => {
  await env?.cluster.cleanup();
  removeAllTempDirs();
});

/** Replace the stored manifest (and its copy) with an edited, correctly re-signed one. */
function tamper(edit: (m: Manifest) => void): void {
  const m = parseManifest(original);
  edit(m);
  const text = renderManifest(m);
  for (const f of [manifestFile, `${manifestFile}.copy`]) writeFileSync(f, text);
}

function restoreDir(): { base: string; pg: string } {
  const base = makeTempDir('pgbr-restore-safety-');
  const pg = join(base, 'a', 'pg');
  mkdirSync(pg, { recursive: true, mode: 0o700 });
  chownToPostgres(join(base, 'a'));
  chownToPostgres(pg);
  return { base, pg };
}

const cases: [string, (m: Manifest) => void, string][] = [
  ['a file name with ..', (m) => m.files.push({ ...m.files.find((f) => f.name === 'pg_data/PG_VERSION')!, name: 'pg_data/../../escaped' }), 'escaped'],
  ['an absolute file name', (m) => m.files.push({ ...m.files.find((f) => f.name === 'pg_data/PG_VERSION')!, name: '/tmp/pgbr-escaped-abs' }), ''],
  ['a path name with ..', (m) => m.paths.push({ ...m.paths.find((p) => p.name === 'pg_data/base')!, name: 'pg_data/base/../../../escaped-dir' }), 'escaped-dir'],
  ['a link without a link target', (m) => {
    m.links.push({ name: 'pg_data/evil', destination: '__OUTSIDE__', user: false, group: false });
    m.files.push({ ...m.files.find((f) => f.name === 'pg_data/PG_VERSION')!, name: 'pg_data/evil/planted' });
  }, 'outside/planted'],
];

describe('restore refuses manifests whose names leave the target', () => {
  afterAll(() => writeFileSync(manifestFile, original));

  it.each(cases)('%s', async (_what, edit, escapedRel) => {
    const { base, pg } = restoreDir();
    const outside = join(base, 'outside');
    mkdirSync(outside);
    chownToPostgres(outside);
    tamper((m) => {
      edit(m);
      for (const l of m.links) if (l.destination === '__OUTSIDE__') l.destination = outside;
    });
    const r = await ours([...env.args, 'restore', `--pg1-path=${pg}`, `--set=${label}`]);
    expect(r.code, r.stdout + r.stderr).toBe(29);
    expect(r.stderr).toMatch(/ERROR: \[029\]: invalid manifest (file|path|link) '.*'/);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
    if (escapedRel !== '') expect(existsSync(join(base, escapedRel))).toBe(false);
    expect(existsSync('/tmp/pgbr-escaped-abs')).toBe(false);
    expect(readdirSync(outside)).toEqual([]);
    // Nothing was written into the target either: the refusal comes first.
    expect(readdirSync(pg)).toEqual([]);
  });
});

describe('a symlink planted inside the target', () => {
  it('is replaced by a delta restore, never written through', async () => {
    writeFileSync(manifestFile, original);
    writeFileSync(`${manifestFile}.copy`, original);
    const { base, pg } = restoreDir();
    const first = await ours([...env.args, 'restore', `--pg1-path=${pg}`, `--set=${label}`]);
    expect(first.code, first.stderr).toBe(0);
    const outside = join(base, 'outside');
    mkdirSync(outside);
    chownToPostgres(outside);
    rmSync(join(pg, 'global'), { recursive: true });
    symlinkSync(outside, join(pg, 'global'));
    const r = await ours([...env.args, 'restore', '--delta', `--pg1-path=${pg}`, `--set=${label}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(outside)).toEqual([]);
    expect(lstatSync(join(pg, 'global')).isDirectory()).toBe(true);
    expect(existsSync(join(pg, 'global', 'pg_control'))).toBe(true);
  });
});

describe('a restore that fails part way', () => {
  it('leaves the stored manifest as its marker, so a rerun with --delta may clean up', async () => {
    writeFileSync(manifestFile, original);
    writeFileSync(`${manifestFile}.copy`, original);
    // pg_control: no other file of the backup has its content, which would be copied instead
    const dataDir = join(env.dir, 'repo/backup/demo', label, 'pg_data', 'global');
    const stored = readdirSync(dataDir).find((n) => n.startsWith('pg_control'));
    expect(stored).toBeDefined();
    const storedFile = join(dataDir, stored!);
    const good = readFileSync(storedFile);
    writeFileSync(storedFile, Buffer.alloc(good.length, 0x5a));
    const { pg } = restoreDir();
    try {
      const r = await ours([...env.args, 'restore', `--pg1-path=${pg}`, `--set=${label}`]);
      expect(r.code, r.stderr).not.toBe(0);
      expect(readFileSync(join(pg, 'backup.manifest'), 'utf8')).toBe(original);
      expect(existsSync(join(pg, 'global', 'pg_control'))).toBe(false);
    } finally {
      writeFileSync(storedFile, good);
    }
    const again = await ours([...env.args, 'restore', '--delta', `--pg1-path=${pg}`, `--set=${label}`]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).not.toContain('unable to find');
    expect(existsSync(join(pg, 'backup.manifest'))).toBe(false);
    const control = parseManifest(original).files.find((f) => f.name === 'pg_data/global/pg_control')!;
    expect(sha1Hex(readFileSync(join(pg, 'global', 'pg_control')))).toBe(control.checksum);
  });
});
