import { SPEC_SAMPLES } from '../harness/spec.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PgbrError } from '../../src/error/error.js';
import { encryptBuffer } from '../../src/io/cipher-key.js';
import { parseInfo } from '../../src/repo/ini.js';
import {
  EMPTY_SHA1, databaseList, fileRepoPath, linkList, loadManifest, manifestFile, parseManifest, renderManifest,
  saveManifest, tablespaceList,
} from '../../src/repo/manifest.js';
import { MapStorage } from './map-storage.js';
import { sample } from './fixtures.js';

const SPEC = SPEC_SAMPLES;
const spec = (name: string): string => readFileSync(`${SPEC}/${name}`, 'utf8');

/** Replace the stored checksum with the one the content has (excerpts are cut down on purpose). */
function resign(text: string): string {
  try {
    parseInfo(text);
    return text;
  } catch (e) {
    const actual = /actual '([0-9a-f]{40})'/.exec((e as Error).message);
    if (!(e instanceof PgbrError) || e.type !== 'ChecksumError' || actual === null) throw e;
    return text.replace(/backrest-checksum="[0-9a-f]{40}"/, `backrest-checksum="${actual[1]}"`);
  }
}

/** Swap the body of `[section]` (up to the next blank line) for `lines`. */
function replaceSection(text: string, section: string, lines: string[]): string {
  const re = new RegExp(`\\n\\[${section.replace(/[[\]:]/g, '\\$&')}\\]\\n[\\s\\S]*?\\n\\n`);
  expect(re.test(text)).toBe(true);
  return text.replace(re, `\n[${section}]\n${lines.join('\n')}\n\n`);
}

describe('bundle excerpt', () => {
  const excerpt = spec('bundle.backup.manifest.excerpt.txt');
  const first = excerpt.split('\n## ')[1];
  const backupLines = first.split('[backup]\n')[1].split('\n\n')[0].split('\n');
  const fileLines = first.split('\n').filter((l) => l.startsWith('pg_data/'));
  const text = resign(replaceSection(replaceSection(sample('full.backup.manifest'), 'backup', backupLines), 'target:file', fileLines));

  it('reads bni/bno, the bundle flag and offset 0 when bno is left out', () => {
    expect(fileLines).toHaveLength(6);
    const m = parseManifest(text);
    expect(m.backup.bundle).toBe(true);
    expect(manifestFile(m, 'pg_data/base/1/112')).toMatchObject({ bundleId: 1, bundleOffset: 2738130, repoSize: 86, size: 8192 });
    expect(fileRepoPath(m, 'pg_data/global/pg_control')).toEqual({
      kind: 'bundle', path: '20261125-235721F/bundle/2', offset: 1432207, length: 205,
    });
    expect(fileRepoPath(m, 'pg_data/backup_label')).toEqual({ kind: 'file', path: '20261125-235721F/pg_data/backup_label.gz' });
    const empty = manifestFile(m, 'pg_data/base/1/13394')!;
    expect(empty).toMatchObject({ size: 0, repoSize: 0, checksum: EMPTY_SHA1 });
    expect(empty.rck).toBeUndefined();
    expect(fileRepoPath(m, 'pg_data/base/1/13394')).toEqual({ kind: 'none' });
    expect(renderManifest(m)).toBe(text);
  });

  it('writes bno only when it is not 0', () => {
    const m = parseManifest(text);
    const f = manifestFile(m, 'pg_data/base/1/112')!;
    f.bundleOffset = 0;
    expect(renderManifest(m)).toContain('\npg_data/base/1/112={"bni":1,"checksum":"9890dd22d170e0de4f4d9404aba2557a33b9909b",');
    expect(fileRepoPath(m, f.name)).toMatchObject({ kind: 'bundle', offset: 0 });
  });
});

describe('encrypted excerpt', () => {
  const lines = spec('encrypted-incr.backup.manifest.excerpt.txt').split('\n').filter((l) => l !== '...' && !l.startsWith('#'));
  const body = lines.join('\n').replace(
    '\n\n[backrest]\nbackrest-checksum',
    '\n\n[target:path]\npg_data={}\n\n[target:path:default]\ngroup="postgres"\nmode="0700"\nuser="postgres"\n\n[backrest]\nbackrest-checksum',
  );
  const text = resign(body);

  it('reads [cipher], tablespace target, link and databases', () => {
    const m = parseManifest(text);
    expect(m.cipherPass).toBe('b14XWnAd8PXed+DEPAeDJKhhwvQP8a5JfPfdKZOQ0chW5do8WSQ/lg9Vgikeg2s1');
    expect(m.targets[1]).toEqual({
      name: 'pg_tblspc/16384', type: 'link', path: '/srv/pgdemo/ts1', tablespaceId: 16384, tablespaceName: 'ts1',
    });
    expect(tablespaceList(m)).toEqual([{ name: 'ts1', oid: 16384, destination: '/srv/pgdemo/ts1' }]);
    expect(linkList(m)).toEqual([]);
    expect(m.links).toEqual([{ name: 'pg_data/pg_tblspc/16384', destination: '/srv/pgdemo/ts1', user: 'postgres', group: 'postgres' }]);
    expect(databaseList(m)).toEqual([{ name: 'postgres', oid: 5 }]);
    expect(manifestFile(m, 'pg_data/base/5/1247')).toMatchObject({ reference: '20261125-235714F', repoSize: 13232, mode: 0o600 });
    const out = renderManifest(m);
    expect(out).toContain('\n\n[cipher]\ncipher-pass="b14XWnAd8PXed+DEPAeDJKhhwvQP8a5JfPfdKZOQ0chW5do8WSQ/lg9Vgikeg2s1"\n\n[db]\n');
    // The excerpt's cut marks leave stray blank lines; apart from those the output is the input.
    expect(out).toBe(text.replace(/\n{3,}/g, '\n\n').replace(/([^\n])\n\[target:file:default\]/, '$1\n\n[target:file:default]'));
    expect(parseManifest(out)).toEqual(m);
  });
});

describe('page checksum error excerpt', () => {
  it('parses [[1,3],5] and writes it back unchanged', () => {
    const line = spec('page-checksum-error.excerpt.txt').split('\n').find((l) => l.startsWith('pg_data/'))!;
    const text = sample('full.backup.manifest');
    const edited = resign(text.replace(/^pg_data\/base\/1\/16384=.*$/m, line));
    expect(edited).toContain(`\n${line}\n`);
    const m = parseManifest(edited);
    expect(manifestFile(m, 'pg_data/base/1/16384')).toMatchObject({ checksumPage: false, checksumPageError: [[1, 3], 5] });
    expect(renderManifest(m)).toBe(edited);
  });
});

describe('load and save', () => {
  it('saves main and copy byte-identically and loads them back', async () => {
    const storage = new MapStorage();
    const m = parseManifest(sample('diff.backup.manifest'));
    await saveManifest(storage, 'demo', m);
    const path = `backup/demo/${m.backup.label}/backup.manifest`;
    expect(storage.files.get(path)!.toString()).toBe(sample('diff.backup.manifest'));
    expect(storage.files.get(`${path}.copy`)).toEqual(storage.files.get(path));
    const loaded = await loadManifest(storage, 'demo', m.backup.label);
    expect(loaded.loadedFrom).toBe(path);
    expect(loaded.value).toEqual(m);
  });

  it('falls back to the copy when the main file is corrupt, and decrypts with the cipher pass', async () => {
    const storage = new MapStorage();
    const m = parseManifest(sample('incr.backup.manifest'));
    await saveManifest(storage, 'demo', m, { cipherPass: 'sub-pass' });
    const path = `backup/demo/${m.backup.label}/backup.manifest`;
    expect(storage.files.get(path)!.subarray(0, 8).toString()).toBe('Salted__');
    storage.files.set(path, encryptBuffer(Buffer.from(sample('full.backup.manifest').replace('"size":3,', '"size":5,')), 'sub-pass'));
    const loaded = await loadManifest(storage, 'demo', m.backup.label, { cipherPass: 'sub-pass' });
    expect(loaded.loadedFrom).toBe(`${path}.copy`);
    expect(loaded.mainError?.type).toBe('ChecksumError');
    expect(loaded.value).toEqual(m);
  });

  it('reports both tries when neither file loads', async () => {
    const e = await loadManifest(new MapStorage(), 'demo', '20261125-235948F').catch((x: unknown) => x as PgbrError);
    expect(e).toBeInstanceOf(PgbrError);
    expect((e as PgbrError).type).toBe('FileMissingError');
    expect((e as PgbrError).message).toMatch(/^unable to load backup manifest file 'backup\/demo\/20261125-235948F\/backup.manifest' or '.*\.copy':\n/);
  });
});

describe('fuzz', () => {
  const base = sample('full.backup.manifest').split('\n').slice(0, 80).join('\n') +
    '\n\n[target:file:default]\ngroup="postgres"\nmode="0600"\nuser="postgres"\n\n[target:path]\npg_data={}\n\n' +
    '[target:path:default]\ngroup="postgres"\nmode="0700"\nuser="postgres"\n\n[backrest]\nbackrest-checksum="' + '0'.repeat(40) + '"\n';
  const valid = resign(base);

  it('the trimmed base manifest is valid', () => {
    expect(parseManifest(valid).files.length).toBeGreaterThan(20);
  });

  it('a random edit, re-signed or not, gives a stable rendering or a PgbrError, never anything else', () => {
    const alphabet = fc.constantFrom(...'{}[]",:=0123456789-abcfnrtuelsx\n\\ '.split(''));
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.nat(12), fc.array(alphabet, { maxLength: 8 }), fc.boolean(), (at, cut, ins, sign) => {
        let text = valid.slice(0, at) + ins.join('') + valid.slice(at + cut);
        try {
          if (sign) text = resign(text);
          const out = renderManifest(parseManifest(text));
          expect(renderManifest(parseManifest(out))).toBe(out);
        } catch (e) {
          if (!(e instanceof PgbrError)) throw e;
        }
      }),
      { numRuns: 400 },
    );
  });
});
