import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptStream, encryptStream } from '../../src/io/cipher.js';
import { compressStream, decompressStream, extensionOf } from '../../src/io/compress.js';
import { sha1Hex } from '../../src/io/hash.js';
import { through } from './helpers.js';

/**
 * Real pgBackRest 2.45 writes WAL with each compression type (plain and encrypted); we must read its
 * files, and it must read ours (archive-get of a file we wrote in its place).
 */
const INITDB = '/usr/lib/postgresql/15/bin/initdb';
const enabled = existsSync(INITDB) && existsSync('/usr/bin/pgbackrest') && process.getuid?.() === 0;
const REPO_PASS = 'interop-test-repo-pass';
let dir = '';
let wal = Buffer.alloc(0);
let segment = '';

function pgbackrest(repo: string, encrypted: boolean, args: string[]): string {
  const opts = ['--config=/dev/null', '--stanza=t', `--pg1-path=${dir}/data`, `--repo1-path=${join(dir, repo)}`];
  opts.push('--log-level-file=off', '--log-level-console=error', `--lock-path=${dir}/lock`);
  if (encrypted) opts.push('--repo1-cipher-type=aes-256-cbc');
  const env = { ...process.env, PGBACKREST_REPO1_CIPHER_PASS: REPO_PASS };
  const r = spawnSync('pgbackrest', [...opts, ...args], { env });
  if (r.status !== 0) throw new Error(`pgbackrest ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout.toString();
}

function archivedFile(repo: string): string {
  const path = join(dir, repo, 'archive/t/15-1/0000000100000000');
  const name = readdirSync(path).find((n) => n.startsWith(segment));
  if (name === undefined) throw new Error('no archived file');
  return join(path, name);
}

async function archiveSubPass(repo: string): Promise<string> {
  const info = await through(readFileSync(join(dir, repo, 'archive/t/archive.info')), [decryptStream(REPO_PASS)]);
  return /^cipher-pass="(.+)"$/m.exec(info.toString())![1]!;
}

describe.runIf(enabled)('pgBackRest interop', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pgbr-io-interop-'));
    chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout), Number(spawnSync('id', ['-g', 'postgres']).stdout));
    const r = spawnSync('runuser', ['-u', 'postgres', '--', INITDB, '-D', join(dir, 'data')]);
    expect(r.status, r.stderr.toString()).toBe(0);
    segment = readdirSync(join(dir, 'data/pg_wal')).find((n) => /^[0-9A-F]{24}$/.test(n))!;
    wal = readFileSync(join(dir, 'data/pg_wal', segment));
    for (const [repo, enc] of [['plain', false], ['enc', true]] as const) pgbackrest(repo, enc, ['--no-online', 'stanza-create']);
  }, 60_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  for (const type of ['gz', 'lz4', 'zst', 'bz2'] as const) {
    for (const encrypted of [false, true]) {
      it(`${type}${encrypted ? ' + aes-256-cbc' : ''}: we read pgBackRest's file and it reads ours`, async () => {
        const repo = encrypted ? 'enc' : 'plain';
        rmSync(join(dir, repo, 'archive/t/15-1'), { recursive: true, force: true });
        pgbackrest(repo, encrypted, [`--compress-type=${type}`, 'archive-push', join(dir, 'data/pg_wal', segment)]);
        const file = archivedFile(repo);
        expect(file.endsWith(`-${sha1Hex(wal)}${extensionOf(type)}`)).toBe(true);
        const pass = encrypted ? await archiveSubPass(repo) : undefined;
        const decrypt = pass === undefined ? [] : [decryptStream(pass)];
        const theirs = await through(readFileSync(file), [...decrypt, decompressStream(type)], 1 << 16);
        expect(theirs.equals(wal)).toBe(true);

        const encrypt = pass === undefined ? [] : [encryptStream(pass)];
        writeFileSync(file, await through(wal, [compressStream(type), ...encrypt], 1 << 16));
        const out = join(dir, `restored-${type}-${repo}`);
        pgbackrest(repo, encrypted, ['archive-get', segment, out]);
        expect(readFileSync(out).equals(wal)).toBe(true);
      }, 60_000);
    }
  }
});
