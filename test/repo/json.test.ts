import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PgbrError } from '../../src/error/error.js';
import { compareBytes, jsonDecode, jsonEncode, jsonInvalidReason, jsonString } from '../../src/repo/json.js';

function decodeError(text: string): PgbrError {
  try {
    jsonDecode(text);
  } catch (e) {
    return e as PgbrError;
  }
  throw new Error(`expected '${text}' to fail`);
}

describe('jsonEncode', () => {
  it('writes compact objects with keys in byte order whatever the insertion order', () => {
    expect(jsonEncode({ size: 3, checksum: 'x', 'checksum-page': true, bni: 1, Z: null, é: 1, a: [1, 'b'] }))
      .toBe('{"Z":null,"a":[1,"b"],"bni":1,"checksum":"x","checksum-page":true,"size":3,"é":1}');
  });

  it('escapes only the 7-character set and passes other bytes raw', () => {
    expect(jsonString('a"b\\c\nd\re\tf\bg\fh')).toBe('"a\\"b\\\\c\\nd\\re\\tf\\bg\\fh"');
    expect(jsonString('/\u0001\u001fé€')).toBe('"/\u0001\u001fé€"');
    expect(jsonEncode({ 'k=v"': 'x' })).toBe('{"k=v\\"":"x"}');
  });

  it('writes bigint exactly and leaves out undefined properties', () => {
    expect(jsonEncode({ 'db-id': 7712261891530790220n, skip: undefined as never })).toBe('{"db-id":7712261891530790220}');
    expect(jsonEncode(18446744073709551615n)).toBe('18446744073709551615');
    expect(jsonEncode([true, false, null, -5, 0])).toBe('[true,false,null,-5,0]');
  });

  it('refuses non-integer numbers', () => {
    expect(() => jsonEncode(1.5)).toThrow(/json value 1.5 is not an integer/);
  });

  it('sorts by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF61 is 0xEF 0xBD 0xA1, U+1F600 is 0xF0..: byte order puts U+FF61 first; UTF-16 does not.
    expect(['\u{1F600}', '\uFF61'].sort(compareBytes)).toEqual(['\uFF61', '\u{1F600}']);
  });

  it('orders any two strings as Buffer.compare orders their UTF-8 bytes', () => {
    // Characters from each range that matters: ASCII, 2- and 3-byte BMP, above the surrogates
    // (U+E000..U+FFFF) and astral (surrogate pairs); short strings so prefixes and ties come up.
    const alphabet = ['a', 'b', '/', '_', '\u00e9', '\u0800', '\u4e2d', '\ue000', '\uffee', '\u{1F600}', '\u{10000}'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const word = () => Array.from({ length: next() % 4 }, () => alphabet[next() % alphabet.length]).join('');
    for (let i = 0; i < 5000; i++) {
      const a = word();
      const b = word();
      const expected = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      expect(Math.sign(compareBytes(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(expected);
    }
  });
});

describe('jsonDecode', () => {
  it('keeps integers above 2^53 exact as bigint and safe ones as number', () => {
    const v = jsonDecode('{"db-id":7712261891530790220,"n":9007199254740991,"m":-9007199254740993}');
    expect(v).toEqual({ 'db-id': 7712261891530790220n, n: 9007199254740991, m: -9007199254740993n });
    expect(jsonDecode(`-${'1'.repeat(100)}`)).toBe(-BigInt('1'.repeat(100)));
  });

  it('decodes strings with every escape, arrays and nesting', () => {
    expect(jsonDecode('"a\\"\\\\\\/\\n\\r\\t\\b\\f\\u00e9"')).toBe('a"\\/\n\r\t\b\fé');
    expect(jsonDecode(' {"a":[[1,3],5],"b":{}, "c":[] } ')).toEqual({ a: [[1, 3], 5], b: {}, c: [] });
  });

  it('treats __proto__ as an ordinary key', () => {
    const v = jsonDecode('{"__proto__":{"x":1}}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each([
    ['', 'expected json value but found end of input'],
    ['bar', 'invalid type at: bar'],
    ['"x', `expected '"' but found end of input`],
    ['{"a":1,}', `expected '"' at: }`],
    ['[1 2]', `expected ',' or ']' but found '2'`],
    ['1.5', 'only integers are supported at: 1.5'],
    // JSON.parse would take these as integers; the dialect refuses them all the same
    ['1.0', 'only integers are supported at: 1.0'],
    ['[1e3]', 'only integers are supported at: 1e3]'],
    ['{"a": -2E1}', 'only integers are supported at: -2E1}'],
    ['01', 'invalid number at: 01'],
    ['1 x', 'unexpected characters after value at: x'],
    ['"\\x"', `invalid escape character 'x'`],
    ['{"a" 1}', `expected ':' after key 'a'`],
  ])('rejects %j with JsonFormatError', (text, message) => {
    const e = decodeError(text);
    expect(e).toBeInstanceOf(PgbrError);
    expect(e.code).toBe(99);
    expect(e.message).toBe(message);
  });

  it('gives the same answers whether or not the engine JSON.parse can take the text', () => {
    // 16 digits: possibly unsafe, so decoded here; the text inside strings changes nothing
    expect(jsonDecode('[1234567890123456,9007199254740993]')).toEqual([1234567890123456, 9007199254740993n]);
    expect(jsonDecode('{"a":"x:1.5","b":"3e5","c":[0,-0]}')).toEqual({ a: 'x:1.5', b: '3e5', c: [0, -0] });
    // raw control characters, which JSON.parse refuses and pgBackRest writes unescaped
    expect(jsonDecode('"a\u0001b\u001fc"')).toBe('a\u0001b\u001fc');
    expect(jsonInvalidReason('{"a":1.0}')).toBe('only integers are supported at: 1.0}');
    expect(jsonInvalidReason('{"a":[1,2]}')).toBeNull();
    const nested = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    expect(jsonInvalidReason(nested(256))).toBeNull();
    expect(jsonInvalidReason(nested(300))).toBe('json nested deeper than 256 levels');
  });

  it('decodes random text as its own parser does', () => {
    // trailing spaces past 512 characters keep a text from JSON.parse: the parser alone decides
    const outcome = (text: string): unknown => {
      try {
        return { value: jsonDecode(text) };
      } catch (e) {
        return { failed: (e as PgbrError).code };
      }
    };
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'{}[]",:\\u0123456789-.eE truefalsenul'.split('')), maxLength: 60 }), (s) => {
      expect(outcome(s)).toStrictEqual(outcome(s + ' '.repeat(513)));
    }), { numRuns: 5000 });
  });

  it('refuses deep nesting without overflowing the stack', () => {
    expect(decodeError('['.repeat(100000)).message).toBe('json nested deeper than 256 levels');
  });

  it('round trips encoded values', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null), fc.boolean(), fc.integer(), fc.bigInt({ min: 2n ** 60n, max: 2n ** 64n }), fc.string(),
        fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(fc.property(value, (v) => {
      const text = jsonEncode(v as never);
      expect(jsonEncode(jsonDecode(text))).toBe(text);
    }));
  });

  it('never throws anything but JsonFormatError on random input', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'{}[]",:\\u0123456789-truefalsenul \n'.split('')) }), (s) => {
      try {
        jsonDecode(s);
      } catch (e) {
        expect(e).toBeInstanceOf(PgbrError);
        expect((e as PgbrError).code).toBe(99);
      }
    }), { numRuns: 2000 });
  });
});
