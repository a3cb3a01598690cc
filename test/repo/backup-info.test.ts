import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PgbrError } from '../../src/error/error.js';
import { newArchiveInfo, renderArchiveInfo } from '../../src/repo/archive-info.js';
import {
  backupInfoFromSections, loadBackupInfo, newBackupInfo, parseBackupInfo, renderBackupInfo, saveBackupInfo,
} from '../../src/repo/backup-info.js';
import { backupEntryToJson } from '../../src/repo/backup-entry.js';
import { checkArchiveInfoPg, checkBackupInfoPg, checkStanzaInfo, checkStanzaInfoPg } from '../../src/repo/info-check.js';
import { parseInfo } from '../../src/repo/ini.js';
import { jsonDecode, jsonEncode } from '../../src/repo/json.js';
import { addHistory } from '../../src/repo/pg-history.js';
import { MapStorage } from './map-storage.js';
import { sample } from './fixtures.js';

const SYS = 7712261891530790220n;

function thrown(f: () => void): PgbrError {
  try {
    f();
  } catch (e) {
    return e as PgbrError;
  }
  throw new Error('expected an error');
}

describe('backup.info model', () => {
  it.each(['backup.info', 'multi-backup.info', 'encrypted-backup.info.decrypted', 'upgrade-backup.info.decrypted'])(
    '%s: parse then render is byte-identical',
    (name) => {
      expect(renderBackupInfo(parseBackupInfo(sample(name)))).toBe(sample(name));
    },
  );

  it('decodes an entry into typed fields, the system id exactly', () => {
    const info = parseBackupInfo(sample('multi-backup.info'));
    expect(info.history[0]).toEqual({ id: 1, version: '15', systemId: SYS, catalogVersion: 202209061, controlVersion: 1300 });
    expect(info.backups).toHaveLength(12);
    const incr = info.backups[2];
    expect(incr).toMatchObject({
      label: '20261125-235521F_20261125-235530I', type: 'incr', prior: '20261125-235521F_20261125-235527D',
      reference: ['20261125-235521F', '20261125-235521F_20261125-235527D'], archiveStart: '000000010000000000000007',
      repoSize: 4163865, repoSizeDelta: 556999, size: 25851666, sizeDelta: 1433886, lsnStart: '0/7000028',
      timestampStart: 1795650930, dbId: 1, error: false, optionCompress: true, optionOnline: true, backrestFormat: 5,
    });
    expect(info.backups[11].optionCompress).toBe(false);
    expect(renderBackupInfo(info)).toContain('\ndb-system-id=7712261891530790220\n');
  });

  it('newBackupInfo renders exactly like a file written by 2.45 stanza-create', () => {
    // fixtures/stanza-create-*.info: written by `pgbackrest stanza-create --no-online` for a fresh initdb.
    const pg = { version: '15', systemId: 7712298050211055003n };
    const info = newBackupInfo({ ...pg, catalogVersion: 202209061, controlVersion: 1300 });
    expect(renderBackupInfo(info)).toBe(sample('stanza-create-backup.info'));
    expect(parseBackupInfo(sample('stanza-create-backup.info'))).toEqual(info);
    expect(renderArchiveInfo(newArchiveInfo(pg))).toBe(sample('stanza-create-archive.info'));
  });

  it('stanza-upgrade: addHistory keeps backups and cipher and matches the sample', () => {
    const info = parseBackupInfo(sample('encrypted-backup.info.decrypted'));
    addHistory(info, { version: '15', systemId: 7712263008348944020n, catalogVersion: 202209061, controlVersion: 1300 });
    info.backups.push(parseBackupInfo(sample('upgrade-backup.info.decrypted')).backups[3]);
    expect(renderBackupInfo(info)).toBe(sample('upgrade-backup.info.decrypted'));
  });

  it('writes entry keys in byte order, sorts labels, keeps unknown keys, writes null for offline', () => {
    const info = parseBackupInfo(sample('backup.info'));
    const [full, diff] = info.backups;
    full.extra = { 'backup-zz-future': { b: 1, a: [2] }, 'backup-aa': 'x' };
    full.archiveStart = null;
    full.annotation = { z: '1', 'a b': 'q"' };
    info.backups = [diff, full];
    const text = renderBackupInfo(info);
    const line = text.split('\n').find((l) => l.startsWith('20261125-235948F='))!;
    expect(line.startsWith('20261125-235948F={"backrest-format":5,"backrest-version":"2.45","backup-aa":"x",' +
      '"backup-annotation":{"a b":"q\\"","z":"1"},"backup-archive-start":null,')).toBe(true);
    expect(line).toContain('"backup-type":"full","backup-zz-future":{"a":[2],"b":1},"db-id":1,');
    expect(text.indexOf('20261125-235948F=')).toBeLessThan(text.indexOf('20261125-235948F_20261125-235951D='));
    const again = parseBackupInfo(text);
    expect(again.backups[0].extra).toEqual(full.extra);
    expect(again.backups[0].annotation).toEqual(full.annotation);
    expect(renderBackupInfo(again)).toBe(text);
  });

  it('a missing required entry key is a FormatError', () => {
    const { sections } = parseInfo(sample('backup.info'));
    const entry = backupEntryToJson(parseBackupInfo(sample('backup.info')).backups[0]);
    delete entry['backup-info-size'];
    sections.get('backup:current')!.set('20261125-235948F', jsonEncode(entry));
    expect(thrown(() => backupInfoFromSections(sections)).message).toBe("missing backup-info-size for backup '20261125-235948F'");
  });
});

describe('info checks (2.45 texts)', () => {
  const archive = newArchiveInfo({ version: '15', systemId: 7712263107255688821n });
  const backup = newBackupInfo({ version: '15', systemId: 7712263107255688821n, catalogVersion: 202209061, controlVersion: 1300 });
  const other = { version: '15', systemId: 7712298050211055003n };

  it('archive-push against another cluster: ArchiveMismatchError', () => {
    const e = thrown(() => checkArchiveInfoPg(archive, other));
    expect([e.code, e.fullMessage]).toEqual([44,
      'PostgreSQL version 15, system-id 7712298050211055003 do not match repo1 stanza version 15, system-id 7712263107255688821\n' +
      'HINT: are you archiving to the correct stanza?']);
    expect(() => checkArchiveInfoPg(archive, { version: '15', systemId: 7712263107255688821n })).not.toThrow();
  });

  it('backup against another cluster: BackupMismatchError', () => {
    const e = thrown(() => checkBackupInfoPg(backup, other));
    expect([e.code, e.fullMessage]).toEqual([51,
      'PostgreSQL version 15, system-id 7712298050211055003 do not match stanza version 15, system-id 7712263107255688821\n' +
      'HINT: is this the correct stanza?']);
  });

  it('stanza-create on a repo of another cluster: FileInvalidError', () => {
    const e = thrown(() => checkStanzaInfoPg(archive, backup, other));
    expect([e.code, e.fullMessage]).toEqual([28,
      'backup and archive info files exist but do not match the database\n' +
      'HINT: is this the correct stanza?\nHINT: did an error occur during stanza-upgrade?']);
  });

  it('archive.info and backup.info that disagree: FileInvalidError listing both', () => {
    const upgraded = newBackupInfo({ version: '15', systemId: 7712263107255688821n, catalogVersion: 202209061, controlVersion: 1300 });
    addHistory(upgraded, { version: '15', systemId: 5n, catalogVersion: 202209061, controlVersion: 1300 });
    const e = thrown(() => checkStanzaInfo(archive, upgraded));
    expect([e.code, e.fullMessage]).toEqual([28,
      'backup info file and archive info file do not match\n' +
      'archive: id = 1, version = 15, system-id = 7712263107255688821\n' +
      'backup : id = 2, version = 15, system-id = 5\n' +
      'HINT: this may be a symptom of repository corruption!']);
  });
});

describe('loadBackupInfo / saveBackupInfo', () => {
  it('encrypted round trip and hints on failure', async () => {
    const storage = new MapStorage();
    const info = parseBackupInfo(sample('encrypted-backup.info.decrypted'));
    await saveBackupInfo(storage, 'demo', info, { cipherPass: 'repo-pass' });
    expect(storage.files.get('backup/demo/backup.info')!.equals(storage.files.get('backup/demo/backup.info.copy')!)).toBe(true);
    expect((await loadBackupInfo(storage, 'demo', { cipherPass: 'repo-pass' })).value).toEqual(info);
    const e = await loadBackupInfo(storage, 'demo').catch((x: PgbrError) => x);
    expect((e as PgbrError).hints).toEqual([
      'backup.info cannot be opened and is required to perform a backup.',
      'has a stanza-create been performed?',
    ]);
  });
});

describe('backup.info model fuzzing', () => {
  it('random values for entry and history keys fail only with PgbrError', () => {
    const base = parseInfo(sample('backup.info')).sections;
    const entryKeys = Object.keys(backupEntryToJson(parseBackupInfo(sample('backup.info')).backups[1]));
    const anyJson = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.bigInt(), fc.string(), fc.array(fc.string(), { maxLength: 2 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
    fc.assert(fc.property(fc.constantFrom(...entryKeys, 'db-system-id', 'db-catalog-version'), anyJson, fc.boolean(), (key, value, drop) => {
      const sections = new Map([...base].map(([n, m]) => [n, new Map(m)]));
      const label = '20261125-235948F_20261125-235951D';
      const entry = JSON.parse(sections.get('backup:current')!.get(label)!) as Record<string, unknown>;
      const history = jsonDecodeObject(sections.get('db:history')!.get('1')!);
      const target = key.startsWith('db-') && key !== 'db-id' ? history : entry;
      if (drop) delete target[key];
      else target[key] = value;
      sections.get('backup:current')!.set(label, jsonEncode(entry as never));
      sections.get('db:history')!.set('1', jsonEncode(history as never));
      try {
        backupInfoFromSections(sections);
      } catch (e) {
        expect(e).toBeInstanceOf(PgbrError);
        expect((e as PgbrError).type).toBe('FormatError');
      }
    }), { numRuns: 1000 });
  });
});

function jsonDecodeObject(text: string): Record<string, unknown> {
  return jsonDecode(text) as Record<string, unknown>;
}
