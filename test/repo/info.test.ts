import { describe, expect, it } from 'vitest';
import { PgbrError } from '../../src/error/error.js';
import { decryptBuffer } from '../../src/io/cipher-key.js';
import { loadInfoFile, saveInfoFile } from '../../src/repo/info.js';
import { parseInfo, type ParsedInfo } from '../../src/repo/ini.js';
import { MapStorage } from './map-storage.js';
import { sample } from './fixtures.js';

const PATH = 'backup/demo/backup.info';
const PASS = 'test-pass-not-secret';
const identity = (p: ParsedInfo): ParsedInfo => p;

async function loadError(storage: MapStorage, opts = {}): Promise<PgbrError> {
  try {
    await loadInfoFile(storage, PATH, identity, opts);
  } catch (e) {
    return e as PgbrError;
  }
  throw new Error('expected load to fail');
}

describe('saveInfoFile / loadInfoFile', () => {
  it('writes X then X.copy atomically with identical bytes', async () => {
    const storage = new MapStorage();
    const text = sample('backup.info');
    await saveInfoFile(storage, PATH, text);
    expect(storage.writes).toEqual([{ path: PATH, atomic: true }, { path: `${PATH}.copy`, atomic: true }]);
    expect(storage.files.get(PATH)!.toString()).toBe(text);
    expect(storage.files.get(`${PATH}.copy`)!.toString()).toBe(text);
    const loaded = await loadInfoFile(storage, PATH, identity);
    expect(loaded.loadedFrom).toBe(PATH);
    expect(loaded.mainError).toBeUndefined();
    expect(loaded.value.checksum).toBe('84b86f5721e8dd17625f2408d969521d9f75c1d7');
  });

  it('encrypts once: both files share the salt and decrypt to the text', async () => {
    const storage = new MapStorage();
    const text = sample('encrypted-backup.info.decrypted');
    await saveInfoFile(storage, PATH, text, { cipherPass: PASS });
    const main = storage.files.get(PATH)!;
    expect(main.subarray(0, 8).toString('latin1')).toBe('Salted__');
    expect(storage.files.get(`${PATH}.copy`)!.equals(main)).toBe(true);
    expect(decryptBuffer(main, PASS).toString()).toBe(text);
    const loaded = await loadInfoFile(storage, PATH, identity, { cipherPass: PASS });
    expect(loaded.value.sections.get('cipher')?.get('cipher-pass')).toBe('"WZMI7Lw1kuoy2IQ8IGAjYHikqeg5TnkQS7PmZpMD0Zy8w8Rem/gLIqsKQYtp3mzW"');
  });

  it('falls back to the copy when X is corrupt and reports why', async () => {
    const storage = new MapStorage();
    await saveInfoFile(storage, PATH, sample('backup.info'));
    storage.files.set(PATH, Buffer.from(sample('backup.info').replace('db-id=1', 'db-id=2')));
    const loaded = await loadInfoFile(storage, PATH, identity);
    expect(loaded.loadedFrom).toBe(`${PATH}.copy`);
    expect(loaded.mainError?.type).toBe('ChecksumError');
    expect(parseInfo(sample('backup.info')).sections).toEqual(loaded.value.sections);
  });

  it('falls back to the copy when X is missing, and when the decode callback rejects X', async () => {
    const storage = new MapStorage();
    await saveInfoFile(storage, PATH, sample('backup.info'));
    storage.files.delete(PATH);
    expect((await loadInfoFile(storage, PATH, identity)).mainError?.type).toBe('FileMissingError');
    await saveInfoFile(storage, PATH, sample('backup.info'));
    let calls = 0;
    const picky = (p: ParsedInfo): ParsedInfo => {
      if (calls++ === 0) throw new PgbrError('FormatError', 'first one is bad');
      return p;
    };
    const loaded = await loadInfoFile(storage, PATH, picky);
    expect([loaded.loadedFrom, loaded.mainError?.message]).toEqual([`${PATH}.copy`, 'first one is bad']);
  });

  it('both corrupt: one line per try, same type kept', async () => {
    const storage = new MapStorage();
    const bad = sample('backup.info').replace('db-id=1', 'db-id=2');
    await saveInfoFile(storage, PATH, bad);
    const e = await loadError(storage, { displayPath: (p: string) => `/repo/${p}` });
    expect(e.type).toBe('ChecksumError');
    expect(e.message).toBe(
      "unable to load info file '/repo/backup/demo/backup.info' or '/repo/backup/demo/backup.info.copy':\n" +
        "ChecksumError: invalid checksum, actual '54ebced614b98a5a299bfece3c18294a9c8e8cd7' but expected '84b86f5721e8dd17625f2408d969521d9f75c1d7'\n" +
        "ChecksumError: invalid checksum, actual '54ebced614b98a5a299bfece3c18294a9c8e8cd7' but expected '84b86f5721e8dd17625f2408d969521d9f75c1d7'",
    );
  });

  it('mixed failures: missing + other gives the other type; two different types give FileOpenError', async () => {
    const storage = new MapStorage();
    storage.files.set(PATH, Buffer.from('junk\n'));
    let e = await loadError(storage);
    expect(e.type).toBe('FormatError');
    expect(e.message.split('\n').slice(1)).toEqual([
      'FormatError: key/value found outside of section at line 1: junk',
      `FileMissingError: unable to open missing file '${PATH}.copy' for read`,
    ]);
    storage.files.set(`${PATH}.copy`, Buffer.from(sample('backup.info').replace('db-id=1', 'db-id=2')));
    e = await loadError(storage);
    expect(e.type).toBe('FileOpenError');
    expect(e.code).toBe(41);
    storage.files.clear();
    expect((await loadError(storage)).type).toBe('FileMissingError');
  });

  it('encrypted repo: plaintext file and wrong pass fail as pgBackRest does', async () => {
    const storage = new MapStorage();
    await saveInfoFile(storage, PATH, sample('backup.info'));
    let e = await loadError(storage, { cipherPass: PASS });
    expect(e.message.split('\n')[1]).toBe('CryptoError: cipher header invalid');
    await saveInfoFile(storage, PATH, sample('backup.info'), { cipherPass: PASS });
    e = await loadError(storage);
    expect(e.type).toBe('FormatError');
    expect(e.message.split('\n')[1]).toMatch(/^FormatError: key\/value found outside of section at line 1: Salted__/);
    e = await loadError(storage, { cipherPass: 'wrong' });
    expect(e.type === 'CryptoError' || e.type === 'FormatError' || e.type === 'FileOpenError').toBe(true);
  });
});
