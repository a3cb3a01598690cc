import { describe, expect, it } from 'vitest';
import { PgbrError } from '../../src/error/error.js';
import { parseInfo } from '../../src/repo/ini.js';
import {
  archiveInfoFromSections, loadArchiveInfo, newArchiveInfo, parseArchiveInfo, renderArchiveInfo, saveArchiveInfo,
} from '../../src/repo/archive-info.js';
import { addHistory, archiveIdOf, currentHistory, needsUpgrade } from '../../src/repo/pg-history.js';
import { MapStorage } from './map-storage.js';
import { sample } from './fixtures.js';

describe('archive.info model', () => {
  it.each(['archive.info', 'encrypted-archive.info.decrypted', 'upgrade-archive.info.decrypted'])(
    '%s: parse then render is byte-identical',
    (name) => {
      expect(renderArchiveInfo(parseArchiveInfo(sample(name)))).toBe(sample(name));
    },
  );

  it('reads the db-id quirk: the history JSON db-id is the system id', () => {
    const info = parseArchiveInfo(sample('upgrade-archive.info.decrypted'));
    expect(info.history).toEqual([
      { id: 1, version: '15', systemId: 7712261891530790220n },
      { id: 2, version: '15', systemId: 7712263008348944020n },
    ]);
    expect(info.currentId).toBe(2);
    expect(info.cipherPass).toBe('g6yZvTeVPVCBM6bKzc6XKfK/h93clG19vSCNgKHUtX0aLNe32Dg32V3acM9vtYqP');
    expect(archiveIdOf(info)).toBe('15-2');
  });

  it('newArchiveInfo renders exactly like the sample written by stanza-create', () => {
    const info = newArchiveInfo({ version: '15', systemId: 7712263107255688821n });
    expect(renderArchiveInfo(info)).toBe(sample('archive.info'));
    expect(archiveIdOf(info)).toBe('15-1');
  });

  it('addHistory reproduces the stanza-upgrade sample (cipher kept, [db] follows)', () => {
    const info = newArchiveInfo({
      version: '15', systemId: 7712261891530790220n, cipherPass: 'g6yZvTeVPVCBM6bKzc6XKfK/h93clG19vSCNgKHUtX0aLNe32Dg32V3acM9vtYqP',
    });
    expect(renderArchiveInfo(info)).toBe(sample('encrypted-archive.info.decrypted'));
    const pg = { version: '15', systemId: 7712263008348944020n };
    expect(needsUpgrade(info, pg)).toBe(true);
    expect(addHistory(info, pg).id).toBe(2);
    expect(needsUpgrade(info, pg)).toBe(false);
    expect(currentHistory(info).systemId).toBe(7712263008348944020n);
    expect(renderArchiveInfo(info)).toBe(sample('upgrade-archive.info.decrypted'));
  });

  it('orders history ids numerically (10 after 9)', () => {
    const info = newArchiveInfo({ version: '15', systemId: 1n });
    for (let i = 2; i <= 10; i++) addHistory(info, { version: '15', systemId: BigInt(i) });
    const text = renderArchiveInfo(info);
    expect(text).toContain('9={"db-id":9,"db-version":"15"}\n10={"db-id":10,"db-version":"15"}\n');
    expect(parseArchiveInfo(text).currentId).toBe(10);
  });

  it('a missing or mistyped required key is a FormatError naming it', () => {
    const sections = () => parseInfo(sample('archive.info')).sections;
    const noDbId = sections();
    noDbId.get('db:history')!.set('1', '{"db-version":"15"}');
    expect(() => archiveInfoFromSections(noDbId)).toThrow(new PgbrError('FormatError', 'missing db-id for archive history id 1'));
    const noCurrent = sections();
    noCurrent.get('db')!.delete('db-id');
    expect(() => archiveInfoFromSections(noCurrent)).toThrow("section 'db', key 'db-id' does not exist");
    const badVersion = sections();
    badVersion.get('db:history')!.set('1', '{"db-id":1,"db-version":15}');
    expect(() => archiveInfoFromSections(badVersion)).toThrow('archive history id 1 is not a string');
    const unknownCurrent = sections();
    unknownCurrent.get('db')!.set('db-id', '3');
    expect(() => archiveInfoFromSections(unknownCurrent)).toThrow('current history id 3 not found in history');
  });
});

describe('loadArchiveInfo / saveArchiveInfo', () => {
  it('round trips through storage and adds pgBackRest hints on failure', async () => {
    const storage = new MapStorage();
    const info = newArchiveInfo({ version: '15', systemId: 7712263107255688821n });
    await saveArchiveInfo(storage, 'demo', info);
    expect(storage.files.get('archive/demo/archive.info')!.toString()).toBe(sample('archive.info'));
    expect((await loadArchiveInfo(storage, 'demo')).value).toEqual(info);
    storage.files.clear();
    const e = await loadArchiveInfo(storage, 'demo').catch((x: PgbrError) => x);
    expect((e as PgbrError).fullMessage).toBe(
      "unable to load info file 'archive/demo/archive.info' or 'archive/demo/archive.info.copy':\n" +
        "FileMissingError: unable to open missing file 'archive/demo/archive.info' for read\n" +
        "FileMissingError: unable to open missing file 'archive/demo/archive.info.copy' for read\n" +
        'HINT: archive.info cannot be opened but is required to push/get WAL segments.\n' +
        'HINT: is archive_command configured correctly in postgresql.conf?\n' +
        'HINT: has a stanza-create been performed?\n' +
        'HINT: use --no-archive-check to disable archive checks during backup if you have an alternate archiving scheme.',
    );
  });
});
