import { SPEC_DIR } from '../harness/spec.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PgbrError } from '../../src/error/error.js';
import { parseInfo } from '../../src/repo/ini.js';
import { manifestFromSections } from '../../src/repo/manifest-decode.js';
import {
  EMPTY_SHA1, fileRepoPath, manifestFile, pageErrorListFromBlocks, pageErrorListText, parseManifest, renderManifest,
  backupReferenceList, referencedLabels, databaseList, tablespaceList, linkList, type Manifest,
} from '../../src/repo/manifest.js';
import { sample, storedChecksum } from './fixtures.js';

const TOOL = join(SPEC_DIR, 'tools', 'info-checksum.mjs');

function thrown(f: () => unknown): PgbrError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PgbrError);
    return e as PgbrError;
  }
  throw new Error('expected an error');
}

/** Replace the stored checksum with the one the content has (for deliberately edited text). */
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

function lineOf(text: string, key: string): string {
  return text.split('\n').find((l) => l.startsWith(`${key}=`))!;
}

describe('backup.manifest samples', () => {
  it.each(['full.backup.manifest', 'diff.backup.manifest', 'incr.backup.manifest'])(
    '%s: parse then render is byte-identical',
    (name) => {
      const text = sample(name);
      expect(renderManifest(parseManifest(text))).toBe(text);
      expect(renderManifest(parseManifest(Buffer.from(text)))).toBe(text);
    },
  );

  it('builds the same model from the values the parse decoded, and takes them from there', () => {
    const parsed = parseInfo(sample('full.backup.manifest'));
    expect(manifestFromSections(parsed.sections, parsed.decoded)).toEqual(manifestFromSections(parsed.sections));
    // a file's value is not parsed again when the parse handed it over
    const [name, value] = [...parsed.decoded.get('target:file')!].find(([, v]) => (v as { size: number }).size > 0)!;
    parsed.decoded.get('target:file')!.set(name, { ...(value as object), size: 12345 });
    expect(manifestFromSections(parsed.sections, parsed.decoded).files.find((f) => f.name === name)!.size).toBe(12345);
    expect(manifestFromSections(parsed.sections).files.find((f) => f.name === name)!.size).not.toBe(12345);
  });

  it('decodes the fixed sections into typed values', () => {
    const m = parseManifest(sample('incr.backup.manifest'));
    expect(m.backup).toMatchObject({
      label: '20261125-235948F_20261125-235954I',
      type: 'incr',
      prior: '20261125-235948F_20261125-235951D',
    });
    expect(m.backup.reference).toHaveLength(3);
    expect(m.backup.reference[2]).toBe(m.backup.label);
    expect(m.db).toEqual({ catalogVersion: 202209061, controlVersion: 1300, id: 1, systemId: 7712263107255688821n, version: '15' });
    expect(m.options).toEqual({
      archiveCheck: true, archiveCopy: false, backupStandby: false, bufferSize: 1048576, checksumPage: true,
      compressType: 'gz', compressLevel: 6, compressLevelNetwork: 3, delta: false, hardlink: false, online: true,
      processMax: 1,
    });
    expect(m.targets).toEqual([{ name: 'pg_data', type: 'path', path: '/srv/pgdemo/mini' }]);
    expect(m.databases.map((d) => [d.name, d.id, d.lastSystemId])).toEqual([['template0', 4, 4], ['template1', 1, 4]]);
    expect(databaseList(m)).toEqual([]);
    expect(m.files).toHaveLength(668);
    expect(m.paths).toHaveLength(25);
    expect(m.links).toEqual([]);
    expect(m.cipherPass).toBeUndefined();
  });

  it('applies the defaults on read: owner, mode, repo-size, implied empty checksum', () => {
    const m = parseManifest(sample('full.backup.manifest'));
    const version = manifestFile(m, 'pg_data/PG_VERSION')!;
    expect(version).toEqual({
      name: 'pg_data/PG_VERSION', size: 3, timestamp: 1795651183, checksum: '587b596f04f7db9c2cad3d6b87dd2b3a05de4f35',
      rck: 'b8b3ecfaf3ed3d6865df5807d66c5fd8cde3289e', repoSize: 23, user: 'postgres', group: 'postgres', mode: 0o600,
    });
    const empty = manifestFile(m, 'pg_data/base/1/13394')!;
    expect(empty.checksum).toBe(EMPTY_SHA1);
    expect(empty.checksum).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(empty).toMatchObject({ size: 0, repoSize: 20, checksumPage: true });
    expect(m.paths.find((p) => p.name === 'pg_data/base')).toEqual({ name: 'pg_data/base', user: 'postgres', group: 'postgres', mode: 0o700 });
  });

  it('repo-size defaults to size when the entry has none', () => {
    const text = sample('full.backup.manifest').replace(
      /^pg_data\/PG_VERSION=.*$/m,
      'pg_data/PG_VERSION={"checksum":"587b596f04f7db9c2cad3d6b87dd2b3a05de4f35","size":3,"timestamp":1795651183}',
    );
    const f = manifestFile(parseManifest(resign(text)), 'pg_data/PG_VERSION')!;
    expect(f.repoSize).toBe(3);
    expect(f.rck).toBeUndefined();
  });

  it('a changed value is ChecksumError 26 naming both checksums', () => {
    const text = sample('full.backup.manifest');
    const bad = text.replace('"size":3,"timestamp":1795651183', '"size":4,"timestamp":1795651183');
    expect(bad).not.toBe(text);
    const e = thrown(() => parseManifest(bad));
    expect(e.type).toBe('ChecksumError');
    expect(e.code).toBe(26);
    expect(e.message).toMatch(new RegExp(`^invalid checksum, actual '[0-9a-f]{40}' but expected '${storedChecksum(text)}'$`));
  });

  it('re-sorts JSON object keys written out of order', () => {
    const text = sample('full.backup.manifest');
    const original = lineOf(text, 'pg_data/base/1/112');
    const shuffled = 'pg_data/base/1/112={"timestamp":1795651183,"size":8192,"repo-size":86,"rck":"d344a41853823b857a58e3d8c21d976f7b6fe7be",' +
      '"checksum-page":true,"checksum":"9890dd22d170e0de4f4d9404aba2557a33b9909b"}';
    const edited = resign(text.replace(original, shuffled));
    expect(edited).not.toBe(text);
    expect(renderManifest(parseManifest(edited))).toBe(text);
  });

  it('keeps unknown keys, sections and object members through a round trip', () => {
    let text = sample('full.backup.manifest');
    text = text.replace('backup-label=', 'backup-future="x"\nbackup-label=');
    text = text.replace('"size":3,"timestamp":1795651183}', '"size":3,"szo":2,"timestamp":1795651183,"zzz":[1,{"a":null}]}');
    text = text.replace('[target:file]\n', '[future:section]\nk={"b":1}\n\n[target:file]\n');
    text = resign(text);
    const m = parseManifest(text);
    expect(manifestFile(m, 'pg_data/PG_VERSION')).toMatchObject({ sizeOriginal: 2, extra: { zzz: [1, { a: null }] } });
    expect(m.extraKeys?.get('backup')?.get('backup-future')).toBe('"x"');
    expect(renderManifest(m)).toBe(text);
  });

  it('derives backup-reference from the files when the key is missing (< 2.42)', () => {
    const text = sample('incr.backup.manifest');
    const m = parseManifest(resign(text.replace(/^backup-reference=.*\n/m, '')));
    const chain = ['20261125-235948F', '20261125-235948F_20261125-235951D', '20261125-235948F_20261125-235954I'];
    expect(m.backup.reference).toEqual(chain);
    expect(backupReferenceList(parseManifest(text))).toEqual(chain);
    expect(renderManifest(m)).toBe(text);
  });

  it('reports missing required values with pgBackRest messages', () => {
    const text = sample('full.backup.manifest');
    const noSize = resign(text.replace('"repo-size":23,"size":3,', '"repo-size":23,'));
    expect(thrown(() => parseManifest(noSize)).message).toBe("missing size for file 'pg_data/PG_VERSION'");
    const noTime = resign(text.replace('"size":3,"timestamp":1795651183', '"size":3'));
    expect(thrown(() => parseManifest(noTime)).message).toBe("missing timestamp for file 'pg_data/PG_VERSION'");
    const noBase = resign(text.replace(/^pg_data=\{"path".*\n/m, ''));
    expect(thrown(() => parseManifest(noBase)).type).toBe('FormatError');
    const badOwner = resign(text.replace('"size":3,"timestamp":1795651183}', '"size":3,"timestamp":1795651183,"user":true}'));
    expect(thrown(() => parseManifest(badOwner)).message).toMatch(/owner bool must be false/);
  });
});

describe('file repo location', () => {
  it('points referenced files at the owning backup with the compress extension', () => {
    const m = parseManifest(sample('incr.backup.manifest'));
    const ref = m.files.find((f) => f.reference !== undefined)!;
    expect(fileRepoPath(m, ref.name)).toEqual({ kind: 'file', path: `${ref.reference}/${ref.name}.gz` });
    const own = m.files.find((f) => f.reference === undefined)!;
    expect(fileRepoPath(m, own.name)).toEqual({ kind: 'file', path: `${m.backup.label}/${own.name}.gz` });
    expect(fileRepoPath(m, 'pg_data/nope')).toBeUndefined();
  });
});

/** A small manifest exercising every entry kind, built without parsing. */
function built(): Manifest {
  const owner = { user: 'postgres', group: 'postgres' } as const;
  return {
    backup: {
      label: '20261125-235521F_20261125-235530I', type: 'incr', prior: '20261125-235521F',
      reference: ['20261125-235521F', '20261125-235521F_20261125-235530I'],
      archiveStart: '000000010000000000000007', archiveStop: '000000010000000000000007',
      lsnStart: '0/7000028', lsnStop: '0/7000100',
      timestampCopyStart: 1795650931, timestampStart: 1795650930, timestampStop: 1795650932,
    },
    db: { catalogVersion: 202209061, controlVersion: 1300, id: 1, systemId: 18446744073709551615n, version: '15' },
    options: { archiveCheck: true, archiveCopy: false, compressType: 'lz4', compressLevel: 1, hardlink: false, online: true },
    targets: [
      { name: 'pg_data', type: 'path', path: '/srv/pg data' },
      { name: 'pg_data/pg_wal', type: 'link', path: '/srv/wal' },
      { name: 'pg_data/postgresql.conf', type: 'link', path: '/etc/pg', file: 'pg.conf' },
      { name: 'pg_tblspc/16384', type: 'link', path: '/srv/ts1', tablespaceId: 16384, tablespaceName: 'ts1' },
    ],
    cipherPass: 'b14XWnAd8PXed+DEPAeDJKhhwvQP8a5JfPfdKZOQ0chW5do8WSQ/lg9Vgikeg2s1',
    databases: [{ name: 'app "db"', id: 16390, lastSystemId: 4 }, { name: 'template1', id: 1, lastSystemId: 4 }],
    annotation: { ticket: 'T-1' },
    files: [
      { name: 'pg_data/PG_VERSION', size: 3, timestamp: 1795650900, checksum: '587b596f04f7db9c2cad3d6b87dd2b3a05de4f35',
        repoSize: 21, rck: 'b8b3ecfaf3ed3d6865df5807d66c5fd8cde3289e', reference: '20261125-235521F', ...owner, mode: 0o600 },
      { name: 'pg_data/base/1/16384', size: 73728, timestamp: 1795651238, checksum: '1c1e26c530592982d93bca8b26d394b3f46fdcb4',
        checksumPage: false, checksumPageError: pageErrorListFromBlocks([1, 2, 3, 5]), repoSize: 9181, ...owner, mode: 0o600 },
      { name: 'pg_data/empty', size: 0, timestamp: 1795650900, checksum: EMPTY_SHA1, repoSize: 15, user: false, group: 'postgres', mode: 0o644 },
      { name: 'pg_tblspc/16384/PG_15_202209061/5/16390', size: 8192, timestamp: 1795650901,
        checksum: '9890dd22d170e0de4f4d9404aba2557a33b9909b', checksumPage: true, repoSize: 70, user: 'app', group: false, mode: 0o600 },
    ],
    links: [
      { name: 'pg_data/pg_tblspc/16384', destination: '/srv/ts1', ...owner },
      { name: 'pg_data/pg_wal', destination: '/srv/wal', user: 'root', group: 'postgres' },
      { name: 'pg_data/postgresql.conf', destination: '/etc/pg/pg.conf', ...owner },
    ],
    paths: [
      { name: 'pg_data', ...owner, mode: 0o750 },
      { name: 'pg_data/base', ...owner, mode: 0o700 },
      { name: 'pg_tblspc', ...owner, mode: 0o750 },
      { name: 'pg_tblspc/16384', user: 'app', group: 'app', mode: 0o750 },
    ],
  };
}

describe('programmatic manifest', () => {
  it('renders a file the reference checksum tool accepts and that parses back to the same model', () => {
    const m = built();
    const text = renderManifest(m);
    const file = join(mkdtempSync(join(tmpdir(), 'manifest-')), 'backup.manifest');
    writeFileSync(file, text);
    execFileSync(process.execPath, [TOOL, '--quiet', file]);
    expect(parseManifest(text)).toEqual({ ...m, backrestVersion: '2.45' });
    expect(renderManifest(parseManifest(text))).toBe(text);
  });

  it('writes defaults from the pg_data path and only the differences per entry', () => {
    const text = renderManifest(built());
    expect(text).toContain('\n[target:file:default]\ngroup="postgres"\nmode="0640"\nuser="postgres"\n');
    expect(text).toContain('\n[target:path:default]\ngroup="postgres"\nmode="0750"\nuser="postgres"\n');
    expect(text).toContain('\n[target:link:default]\ngroup="postgres"\nuser="postgres"\n');
    expect(lineOf(text, 'pg_data/base/1/16384')).toBe(
      'pg_data/base/1/16384={"checksum":"1c1e26c530592982d93bca8b26d394b3f46fdcb4","checksum-page":false,' +
      '"checksum-page-error":[[1,3],5],"mode":"0600","repo-size":9181,"size":73728,"timestamp":1795651238}',
    );
    expect(lineOf(text, 'pg_data/empty')).toBe('pg_data/empty={"mode":"0644","repo-size":15,"size":0,"timestamp":1795650900,"user":false}');
    expect(lineOf(text, 'pg_data/pg_wal')).toBe('pg_data/pg_wal={"path":"/srv/wal","type":"link"}');
    expect(text).toContain('\npg_data/pg_wal={"destination":"/srv/wal","user":"root"}\n');
    expect(text).toContain('\npg_tblspc/16384={"group":"app","user":"app"}\n');
    expect(text).toContain('\npg_data/base={"mode":"0700"}\n');
    expect(lineOf(text, 'pg_tblspc/16384')).toBe(
      'pg_tblspc/16384={"path":"/srv/ts1","tablespace-id":"16384","tablespace-name":"ts1","type":"link"}');
    expect(text).toContain('\n[metadata]\nannotation={"ticket":"T-1"}\n');
    expect(text).toContain('\nbackup-reference="20261125-235521F,20261125-235521F_20261125-235530I"\n');
    expect(text).toContain('\ndb-system-id=18446744073709551615\n');
    expect(text).toContain('\noption-compress=true\noption-compress-level=1\noption-compress-type="lz4"\n');
    expect(text).toContain('\napp "db"={"db-id":16390,"db-last-system-id":4}\n');
    const order = [...text.matchAll(/^\[(.*)\]$/gm)].map((x) => x[1]);
    expect(order).toEqual(['backrest', 'backup', 'backup:db', 'backup:option', 'backup:target', 'cipher', 'db', 'metadata',
      'target:file', 'target:file:default', 'target:link', 'target:link:default', 'target:path', 'target:path:default', 'backrest']);
  });

  it('answers the info --set lookups and repo locations', () => {
    const m = built();
    expect(databaseList(m)).toEqual([{ name: 'app "db"', oid: 16390 }]);
    expect(tablespaceList(m)).toEqual([{ name: 'ts1', oid: 16384, destination: '/srv/ts1' }]);
    expect(linkList(m)).toEqual([
      { name: 'pg_wal', destination: '/srv/wal' },
      // a file link goes by the file it points to, as 2.45 lists it
      { name: 'pg.conf', destination: '/etc/pg/pg.conf' },
    ]);
    expect(fileRepoPath(m, 'pg_data/PG_VERSION')).toEqual({ kind: 'file', path: '20261125-235521F/pg_data/PG_VERSION.lz4' });
    expect(referencedLabels(m)).toEqual(['20261125-235521F']);
  });

  it('page error lists collapse runs and print like the warning', () => {
    expect(pageErrorListFromBlocks([1, 2, 3, 5])).toEqual([[1, 3], 5]);
    expect(pageErrorListFromBlocks([0, 7, 8, 10, 11, 12])).toEqual([0, [7, 8], [10, 12]]);
    expect(pageErrorListFromBlocks([])).toEqual([]);
    expect(pageErrorListText([[1, 3], 5])).toBe('1-3, 5');
  });

  it('refuses to render without a pg_data path', () => {
    const m = built();
    m.paths = m.paths.filter((p) => p.name !== 'pg_data');
    expect(thrown(() => renderManifest(m)).type).toBe('AssertError');
  });
});
