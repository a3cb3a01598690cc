/**
 * repo-ls, repo-get and info --set against pgBackRest 2.45 on repos it wrote: stdout, stderr and exit
 * code identical byte for byte (plain and encrypted repo, a tablespace, a user database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ours, theirs } from '../harness/cli.js';
import { removeAllTempDirs } from '../harness/tmp.js';
import { buildRepoFixture, type RepoFixture } from '../verify/repo-fixture.js';

let fx: RepoFixture;

beforeAll(async () => {
  fx = await buildRepoFixture();
}, 300_000);

afterAll(async () => {
  await fx?.cluster.cleanup();
  removeAllTempDirs();
});

async function same(args: string[]): Promise<string> {
  const full = [`--config=${fx.conf}`, ...args];
  const [t, o] = [await theirs(full), await ours(full)];
  expect({ code: o.code, stdout: o.stdout, stderr: o.stderr }).toEqual({ code: t.code, stdout: t.stdout, stderr: t.stderr });
  return o.stdout;
}

function firstWal(repo: number): string {
  const dir = join(fx.dir, `repo${repo}`, 'archive/demo/15-1/0000000100000000');
  return `archive/demo/15-1/0000000100000000/${readdirSync(dir).filter((f) => /^[0-F]{24}-/.test(f)).sort()[0]}`;
}

describe('repo-ls', () => {
  const cases: string[][] = [
    [],
    ['--output=json'],
    ['archive/demo', '--recurse'],
    ['archive/demo', '--recurse', '--sort=desc', '--output=json'],
    ['backup/demo', '--output=json'],
    ['backup', '--recurse', '--filter=manifest$'],
    ['backup', '--recurse', '--filter=manifest$', '--output=json', '--sort=desc'],
    ['backup/demo/backup.info', '--output=json'],
    ['backup/demo/backup.info'],
    ['nothing-here'],
    ['nothing-here', '--output=json'],
    ['archive', '--filter=nothing', '--output=json'],
    ['/not/in/repo'],
    ['a', 'b'],
  ];
  for (const c of cases) {
    it(`repo-ls ${c.join(' ')}`, async () => {
      const out = await same(['--repo=2', 'repo-ls', ...c]);
      if (c.length === 0) expect(out).toBe('archive\nbackup\n');
    });
  }

  it('an absolute path inside the repo', async () => {
    expect(await same(['repo-ls', join(fx.dir, 'repo1', 'backup/demo'), '--filter=info'])).toBe('backup.info\nbackup.info.copy\n');
  });
});

describe('repo-get', () => {
  it('info files, manifest, WAL and backup file: decrypted with the right passphrase, never decompressed', async () => {
    const [full] = fx.labels[2]!;
    expect(await same(['--repo=2', 'repo-get', 'archive/demo/archive.info'])).toContain('[cipher]\ncipher-pass=');
    expect(await same(['--repo=2', 'repo-get', 'backup/demo/backup.info.copy'])).toContain('[backup:current]');
    expect(await same(['--repo=2', '--stanza=demo', 'repo-get', `backup/demo/${full}/backup.manifest`])).toContain('[backup:target]');
    const wal = await same(['--repo=2', 'repo-get', firstWal(2)]);
    expect(wal.length).toBeGreaterThan(0);
    await same(['--repo=2', 'repo-get', `backup/demo/${full}/pg_data/PG_VERSION.gz`]);
    await same(['--repo=1', 'repo-get', firstWal(1)]);
  });

  it('--raw, --ignore-missing and errors', async () => {
    const raw = await same(['--repo=2', 'repo-get', '--raw', 'archive/demo/archive.info']);
    expect(raw.startsWith('Salted__')).toBe(true);
    await same(['repo-get', 'missing/file']);
    await same(['repo-get', '--ignore-missing', 'missing/file']);
    await same(['repo-get']);
    await same(['repo-get', 'a//b']);
  });
});

describe('info --set', () => {
  it('JSON and text with database list and tablespace, on plain and encrypted repos', async () => {
    for (const repo of [1, 2]) {
      for (const label of fx.labels[repo]!) {
        const json = await same(['--stanza=demo', `--repo=${repo}`, 'info', `--set=${label}`, '--output=json']);
        const b = JSON.parse(json)[0].backup[0];
        expect(b['database-ref']).toEqual([{ name: 'app', oid: expect.any(Number) }, { name: 'postgres', oid: 5 }]);
        expect(b.tablespace).toEqual([{ destination: join(fx.dir, 'ts1'), name: 'ts1', oid: expect.any(Number) }]);
        const text = await same(['--stanza=demo', `--repo=${repo}`, 'info', `--set=${label}`]);
        expect(text).toContain('            tablespaces:\n                ts1 (');
      }
    }
    await same(['--stanza=demo', 'info', `--set=${fx.labels[1]![0]}`]);
    await same(['--stanza=demo', 'info', '--set=20200101-000000F', '--output=json']);
    await same(['--stanza=demo', 'info', '--set=20200101-000000F']);
  });
});
