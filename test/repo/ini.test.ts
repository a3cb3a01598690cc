import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PgbrError } from '../../src/error/error.js';
import { parseInfo, renderInfo, type InfoSections } from '../../src/repo/ini.js';
import { jsonDecode } from '../../src/repo/json.js';
import { SAMPLE_FILES, sample, storedChecksum } from './fixtures.js';

function parseError(text: string): PgbrError {
  try {
    parseInfo(text);
  } catch (e) {
    return e as PgbrError;
  }
  throw new Error('expected parse to fail');
}

/** Sign `body` (an info file without trailer) the way the spec's checksum algorithm does. */
function signed(body: string, json: string): string {
  const sum = createHash('sha1').update(json).digest('hex');
  return `${body}\n[backrest]\nbackrest-checksum="${sum}"\n`;
}

describe('parseInfo / renderInfo on the real samples', () => {
  it.each(SAMPLE_FILES)('%s: parses, verifies and renders byte-identically', (name) => {
    const text = sample(name);
    const parsed = parseInfo(text);
    expect(parsed.checksum).toBe(storedChecksum(text));
    expect(parsed.sections.get('backrest')?.has('backrest-checksum')).toBe(false);
    expect(renderInfo(parsed.sections)).toBe(text);
  });

  it.each(SAMPLE_FILES)('%s: hands over the values it decoded, equal to decoding them again', (name) => {
    const { sections, decoded } = parseInfo(sample(name));
    let count = 0;
    for (const [section, keys] of decoded) {
      for (const [key, value] of keys) {
        expect(value, `[${section}] ${key}`).toEqual(jsonDecode(sections.get(section)!.get(key)!));
        count++;
      }
    }
    // all but the values left to our own parser: in these samples, those with a run of 16 digits
    // (an integer that may need a bigint; WAL segment names inside strings count as well)
    const all = [...sections.values()].reduce((n, keys) => n + keys.size, 0);
    const long = [...sections.values()].reduce((n, keys) => n + [...keys.values()].filter((v) => /[0-9]{16}/.test(v)).length, 0);
    expect(count).toBe(all - long);
  });

  it('hands over no decoded value for a big integer, and the last of a key given twice', () => {
    const body = '[backrest]\nbackrest-format=5\n\n[db]\nid=7712261891530790220\nk=1\nk={"a":2}\n';
    const json = '{"backrest":{"backrest-format":5},"db":{"id":7712261891530790220,"k":1,"k":{"a":2}}}';
    const { sections, decoded } = parseInfo(signed(body, json));
    expect(decoded.get('db')!.has('id')).toBe(false);
    expect(jsonDecode(sections.get('db')!.get('id')!)).toBe(7712261891530790220n);
    expect([sections.get('db')!.get('k'), decoded.get('db')!.get('k')]).toEqual(['{"a":2}', { a: 2 }]);
  });

  it('keeps big integers as raw text', () => {
    const { sections } = parseInfo(sample('multi-backup.info'));
    expect(sections.get('db')?.get('db-system-id')).toBe('7712261891530790220');
  });

  it('renders sections in byte order and [backrest] first even from an unordered map', () => {
    const sections: InfoSections = new Map([
      ['db:history', new Map([['1', '{"db-id":7712263107255688821,"db-version":"15"}']])],
      ['db', new Map([['db-id', '1'], ['db-system-id', '7712263107255688821'], ['db-version', '"15"']])],
      ['backrest', new Map([['backrest-version', '"2.45"']])],
    ]);
    expect(renderInfo(sections)).toBe(sample('archive.info'));
  });
});

describe('parseInfo errors (2.45 wording)', () => {
  const archive = sample('archive.info');

  it('detects a one-byte change', () => {
    const e = parseError(archive.replace('db-id=1', 'db-id=2'));
    expect(e.code).toBe(26);
    expect(e.message).toBe(
      `invalid checksum, actual '${parseInfoChecksumOf(archive.replace('db-id=1', 'db-id=2'))}' but expected '8bec75b25be09ea80f7661ba8791ef97f139c990'`,
    );
  });

  it('reports a missing checksum', () => {
    const e = parseError(archive.split('\n').filter((l) => !l.startsWith('backrest-checksum')).join('\n'));
    expect(e.type).toBe('ChecksumError');
    expect(e.message).toMatch(/^invalid checksum, actual '[0-9a-f]{40}' but no checksum found$/);
    // pgBackRest 2.45 reports this exact value for an empty file: SHA-1 of "{}}".
    expect(parseError('').message).toBe("invalid checksum, actual '8a456f046f11cb56504a01eb76372f239788d018' but no checksum found");
  });

  it('refuses any format but 5', () => {
    const e = parseError(archive.replace('backrest-format=5', 'backrest-format=4'));
    expect([e.code, e.message]).toEqual([29, 'expected format 5 but found 4']);
  });

  it.each([
    ['junk line\n[backrest]\n', 'key/value found outside of section at line 1: junk line'],
    ['Salted__\u0001\u0002', 'key/value found outside of section at line 1: Salted__\u0001\u0002'],
    [' [backrest]\n', 'key/value found outside of section at line 1:  [backrest]'],
    ['[]\n', 'invalid empty section at line 1: []'],
    ['[backrest]\nbackrest-format=5\n[db]\nfoo\n', "missing '=' in key/value at line 4: foo"],
    ['[backrest]\nbackrest-format=5\n[db]\n=1\n', 'key is zero-length at line 4: =1'],
    ['[backrest]\nbackrest-format=5\n[db]\nfoo=bar\n', "invalid JSON value at line 4 'foo=bar': invalid type at: bar"],
    // the reason names the key, which the syntax-only scan does not keep
    ['[backrest]\nbackrest-format=5\n[db]\nfoo={"k\\"ey" 1}\n', `invalid JSON value at line 4 'foo={"k\\"ey" 1}': expected ':' after key 'k"ey'`],
    ['[backrest]\nbackrest-format=5\n[db]\nfoo=[1,{"a":1.5}]\n', "invalid JSON value at line 4 'foo=[1,{\"a\":1.5}]': only integers are supported at: 1.5}]"],
  ])('format error for %j', (text, message) => {
    const e = parseError(text);
    expect([e.code, e.message]).toEqual([29, message]);
  });

  it('splits a key at the first = whose remainder is JSON (keys with = and ")', () => {
    const body = '[backrest]\nbackrest-format=5\n\n[target:file]\npg_data/a=b"c={"size":1}\npg_data/x=1\n';
    const json = '{"backrest":{"backrest-format":5},"target:file":{"pg_data/a=b\\"c":{"size":1},"pg_data/x":1}}';
    const { sections } = parseInfo(signed(body, json));
    expect([...sections.get('target:file')!]).toEqual([['pg_data/a=b"c', '{"size":1}'], ['pg_data/x', '1']]);
  });
});

function parseInfoChecksumOf(text: string): string {
  return /actual '([0-9a-f]{40})'/.exec(parseError(text).message)![1];
}

describe('parseInfo fuzzing', () => {
  const isPgbr = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(PgbrError);
    }
  };

  it('random bytes never crash with anything but a PgbrError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => isPgbr(() => parseInfo(Buffer.from(bytes)))), { numRuns: 1000 });
  });

  it('random mutations of a sample are detected or rejected', () => {
    const text = sample('backup.info');
    const mutation = fc.tuple(fc.nat({ max: text.length - 1 }), fc.integer({ min: 0, max: 127 }));
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
      const chars = text.split('');
      for (const [at, code] of muts) chars[at] = String.fromCharCode(code);
      const mutated = chars.join('');
      if (mutated === text) return;
      try {
        const parsed = parseInfo(mutated);
        // A mutation can survive only if it leaves the hashed content unchanged (e.g. a blank line).
        expect(renderInfo(parsed.sections)).toBe(text);
      } catch (e) {
        expect(e).toBeInstanceOf(PgbrError);
      }
    }), { numRuns: 1000 });
  });
});
