import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newArchiveInfo, saveArchiveInfo } from '../../src/repo/archive-info.js';
import { newBackupInfo, parseBackupInfo, saveBackupInfo } from '../../src/repo/backup-info.js';
import { MapStorage } from './map-storage.js';
import { sample } from './fixtures.js';

const PGBACKREST = '/usr/bin/pgbackrest';
const HAVE_PGBACKREST = existsSync(PGBACKREST);
if (!HAVE_PGBACKREST) console.warn(`skipping pgBackRest interop tests: ${PGBACKREST} not installed`);

const PG = { version: '15', systemId: 7712263107255688821n, catalogVersion: 202209061, controlVersion: 1300 };
const dirs: string[] = [];

/** Dump a MapStorage into a new temp repo directory. */
function toRepoDir(storage: MapStorage): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgbr-repo-interop-'));
  dirs.push(dir);
  for (const [path, data] of storage.files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  return dir;
}

function info(repo: string, extra: string[] = [], env: Record<string, string> = {}): string {
  return execFileSync(PGBACKREST, ['--no-config', `--repo1-path=${repo}`, '--stanza=demo', ...extra, 'info'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!HAVE_PGBACKREST)('pgBackRest 2.45 reads what we write', () => {
  it('a new stanza: text and json show "no valid backups" and our system id', async () => {
    const storage = new MapStorage();
    await saveArchiveInfo(storage, 'demo', newArchiveInfo(PG));
    await saveBackupInfo(storage, 'demo', newBackupInfo(PG));
    const repo = toRepoDir(storage);
    expect(info(repo)).toBe('stanza: demo\n    status: error (no valid backups)\n    cipher: none\n\n' +
      '    db (current)\n        wal archive min/max (15): none present\n');
    const json = JSON.parse(info(repo, ['--output=json']).replace(/("system-id":)(\d+)/g, '$1"$2"'));
    expect(json[0].status).toEqual({ code: 2, lock: { backup: { held: false } }, message: 'no valid backups' });
    expect(json[0].db).toEqual([{ id: 1, 'repo-key': 1, 'system-id': '7712263107255688821', version: '15' }]);
    expect(json[0].archive).toEqual([{ database: { id: 1, 'repo-key': 1 }, id: '15-1', max: null, min: null }]);
  });

  it('an encrypted stanza with backups: pgBackRest decrypts both files and lists the backups', async () => {
    const storage = new MapStorage();
    const env = { PGBACKREST_REPO1_CIPHER_PASS: 'interop-test-pass' };
    const backup = parseBackupInfo(sample('encrypted-backup.info.decrypted'));
    await saveArchiveInfo(storage, 'demo', newArchiveInfo({ ...PG, cipherPass: 'archive-sub-pass' }), { cipherPass: env.PGBACKREST_REPO1_CIPHER_PASS });
    backup.history[0].systemId = PG.systemId;
    await saveBackupInfo(storage, 'demo', backup, { cipherPass: env.PGBACKREST_REPO1_CIPHER_PASS });
    const repo = toRepoDir(storage);
    const json = JSON.parse(info(repo, ['--repo1-cipher-type=aes-256-cbc', '--output=json'], env).replace(/("system-id":)(\d+)/g, '$1"$2"'));
    expect(json[0].cipher).toBe('aes-256-cbc');
    expect(json[0].status.message).toBe('ok');
    expect(json[0].backup.map((b: { label: string }) => b.label)).toEqual(backup.backups.map((b) => b.label));
    expect(json[0].backup[1].reference).toEqual(['20261125-235714F']);
  });

  it('a corrupt main file is reported by pgBackRest in our combined-error format', async () => {
    const storage = new MapStorage();
    await saveArchiveInfo(storage, 'demo', newArchiveInfo(PG));
    await saveBackupInfo(storage, 'demo', newBackupInfo(PG));
    const text = storage.files.get('backup/demo/backup.info')!.toString().replace('db-id=1', 'db-id=2');
    storage.files.set('backup/demo/backup.info', Buffer.from(text));
    storage.files.delete('backup/demo/backup.info.copy');
    const repo = toRepoDir(storage);
    const out = info(repo);
    expect(out).toContain(`[ChecksumError] unable to load info file '${repo}/backup/demo/backup.info' or '${repo}/backup/demo/backup.info.copy':`);
    expect(out).toContain(`FileMissingError: unable to open missing file '${repo}/backup/demo/backup.info.copy' for read`);
  });
});
