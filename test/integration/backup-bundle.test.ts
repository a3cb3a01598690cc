/**
 * repo-bundle=y: small files stored together in `bundle/<id>`, each one its own compressed stream.
 * pgBackRest 2.45 restores and verifies what we write; an incremental keeps pointing into its
 * prior's bundles for unchanged files; a delta backup that copies a file again drops the prior's
 * bundle location.
 */
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sha1Hex } from '../../src/io/hash.js';
import { fileRepoLocation, parseManifest, type Manifest } from '../../src/repo/manifest.js';
import { chownToPostgres } from '../harness/tmp.js';
import { backup, sharedBackupEnv, pgbench, restoreAndSnapshot, snapshot, theirVerify } from './backup-helpers.js';

const BUNDLE_LIMIT = 64 * 1024;
const env = sharedBackupEnv(
  { repo: (d) => ({ 'repo1-path': join(d, 'repo'), 'repo1-bundle': 'y', 'repo1-bundle-size': '1MiB', 'repo1-bundle-limit': '64KiB' }) },
  {
    setup: async () => {
      await pgbench(env.cluster, ['-i', '-s', '2']);
      await env.cluster.psql('CREATE TABLE empty_one (id int)');
    },
    timeoutMs: 180_000,
  },
);

const setDir = (label: string): string => join(env.dir, 'repo', 'backup', 'demo', label);
const manifestOf = (label: string): Manifest => parseManifest(readFileSync(join(setDir(label), 'backup.manifest')));

/** The stored bytes of `name` as the manifest locates them, gunzipped. */
function storedContent(m: Manifest, name: string): { stored: Buffer; plain: Buffer } {
  const file = m.files.find((f) => f.name === name)!;
  const at = fileRepoLocation(m, file);
  const base = join(env.dir, 'repo', 'backup', 'demo');
  if (at.kind === 'none') return { stored: Buffer.alloc(0), plain: Buffer.alloc(0) };
  const bytes = readFileSync(join(base, at.path));
  const stored = at.kind === 'bundle' ? bytes.subarray(at.offset, at.offset + at.length) : bytes;
  return { stored, plain: gunzipSync(stored) };
}

describe('repo-bundle', () => {
  let full: string;

  it('full: small files in bundles, larger ones alone, zero-length ones not stored; 2.45 verifies and restores it', async () => {
    const before = await snapshot(env.cluster);
    const r = await backup(env, 'full', ['--log-level-console=detail']);
    full = r.label;
    const m = manifestOf(full);
    expect(m.backup.bundle).toBe(true);
    expect(readFileSync(join(setDir(full), 'backup.manifest'), 'utf8')).toContain('\nbackup-bundle=true\n');

    const zero = m.files.filter((f) => f.size === 0);
    const small = m.files.filter((f) => f.size > 0 && f.size <= BUNDLE_LIMIT && !['pg_data/backup_label', 'pg_data/tablespace_map'].includes(f.name));
    const large = m.files.filter((f) => f.size > BUNDLE_LIMIT);
    expect(zero.length).toBeGreaterThan(10);
    expect(small.length).toBeGreaterThan(100);
    expect(large.length).toBeGreaterThan(3);
    for (const f of zero) {
      expect(f.bundleId).toBeUndefined();
      expect(f.rck).toBeUndefined();
      expect(f.repoSize).toBe(0);
      expect(r.run.stdout).toContain(`DETAIL: store zero-length file ${env.cluster.pgdata}/${f.name.slice('pg_data/'.length)}\n`);
      expect(existsSync(join(setDir(full), `${f.name}.gz`))).toBe(false);
    }
    for (const f of large) expect(f.bundleId).toBeUndefined();
    // every small file is cut out of its bundle by offset and stored size, and is the file backed up
    const ids = new Set<number>();
    for (const f of small) {
      expect(f.bundleId, f.name).toBeGreaterThan(0);
      ids.add(f.bundleId!);
      const { stored, plain } = storedContent(m, f.name);
      expect(sha1Hex(stored)).toBe(f.rck);
      expect(sha1Hex(plain)).toBe(f.checksum);
    }
    // bundles of at most 1 MiB of original bytes: several of them, numbered from 1
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: ids.size }, (_, i) => i + 1));
    expect(ids.size).toBeGreaterThan(2);
    expect(readdirSync(join(setDir(full), 'bundle')).sort()).toEqual([...ids].map(String).sort());
    for (const id of ids) {
      const total = small.filter((f) => f.bundleId === id).reduce((n, f) => n + f.size, 0);
      expect(total).toBeLessThan(1024 * 1024);
    }
    // no directory is created before the copy: only those holding stored files exist
    expect(existsSync(join(setDir(full), 'pg_data', 'pg_notify'))).toBe(false);
    expect(r.run.stdout).toMatch(/DETAIL: backup file \S+ \(bundle 1\/0, /);

    const verified = await theirVerify(env);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/status: valid, total files checked: \d+, total valid files: \d+/);
    expect(verified.stdout).not.toMatch(/(missing|checksum invalid|size invalid|other): [1-9]|status: invalid/);
    expect(await restoreAndSnapshot(env, full, { tool: 'theirs' })).toEqual(before);
  }, 300_000);

  it('incr: unchanged files keep pointing into the full\'s bundles, changed ones go into its own; both tools restore it', async () => {
    await pgbench(env.cluster, ['-n', '-t', '200', '-c', '2']);
    const before = await snapshot(env.cluster);
    const r = await backup(env, 'incr', ['--log-level-console=detail']);
    const m = manifestOf(r.label);
    // 2.45 names every file left with a prior backup, in manifest order, once the copy is done
    const lines = r.run.stdout.split('\n').map((l) => l.replace(/^\S+ \S+ P\d\d +/, ''));
    const refs = lines.filter((l) => l.startsWith('DETAIL: reference '));
    expect(refs).toEqual(m.files.filter((f) => f.reference !== undefined).map((f) => `DETAIL: reference ${f.name} to ${f.reference}`));
    const lastCopy = lines.reduce((at, l, i) => (/^DETAIL: (backup|match) file /.test(l) ? i : at), -1);
    const stop = lines.findIndex((l) => l.startsWith('INFO: execute non-exclusive backup stop'));
    expect(lines.indexOf(refs[0]!)).toBeGreaterThan(lastCopy);
    expect(lines.indexOf(refs.at(-1)!)).toBeLessThan(stop);
    const kept = m.files.filter((f) => f.reference === full && f.bundleId !== undefined);
    const own = m.files.filter((f) => f.reference === undefined && f.bundleId !== undefined);
    expect(kept.length).toBeGreaterThan(100);
    expect(own.length).toBeGreaterThan(0);
    for (const f of [...kept.slice(0, 20), ...own]) expect(sha1Hex(storedContent(m, f.name).plain)).toBe(f.checksum);
    expect(await restoreAndSnapshot(env, r.label, { tool: 'theirs' })).toEqual(before);
    expect(await restoreAndSnapshot(env, r.label, { tool: 'ours' })).toEqual(before);
  }, 300_000);

  it('delta without bundling: a file re-copied alone no longer names the prior\'s bundle', async () => {
    // same size and mtime, other bytes: only delta's checksum finds the change
    const probe = join(env.cluster.pgdata, 'bundle_probe.txt');
    writeFileSync(probe, 'first content 1\n');
    chownToPostgres(probe);
    const mtime = new Date('2026-01-01T00:00:00Z');
    utimesSync(probe, mtime, mtime);
    const base = await backup(env, 'incr');
    expect(manifestOf(base.label).files.find((f) => f.name === 'pg_data/bundle_probe.txt')?.bundleId).toBeGreaterThan(0);
    writeFileSync(probe, 'other content 2\n');
    utimesSync(probe, mtime, mtime);
    const r = await backup(env, 'incr', ['--delta', '--no-repo1-bundle']);
    const m = manifestOf(r.label);
    const entry = m.files.find((f) => f.name === 'pg_data/bundle_probe.txt')!;
    expect(entry.reference).toBeUndefined();
    expect(entry.bundleId).toBeUndefined();
    expect(entry.bundleOffset).toBeUndefined();
    expect(storedContent(m, entry.name).plain.toString()).toBe('other content 2\n');
    expect(statSync(join(setDir(r.label), 'pg_data', 'bundle_probe.txt.gz')).isFile()).toBe(true);
    // 2.45 finds every file of every backup where the manifests say (a stale bundle id pointed
    // into this backup's own, missing, bundle directory)
    const verified = await theirVerify(env);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).not.toMatch(/(missing|checksum invalid|size invalid|other): [1-9]|status: invalid/);
  }, 300_000);
});
