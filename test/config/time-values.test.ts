import { describe, expect, it } from 'vitest';
import { parseTime } from '../../src/config/values.js';
import { parseConfig } from '../../src/config/parse.js';

describe('time option values, read as pgBackRest 2.45 reads them (strtod, then whole milliseconds)', () => {
  it('takes the number that starts the text and ignores what follows', () => {
    const cases: Array<[string, number | undefined]> = [
      ['60', 60], ['60s', 60], ['1m', 1], ['1e2', 100], ['0x10', 16], ['.5', 0.5], ['5.', 5], ['  5', 5], ['5 ', 5],
      ['+5', 5], ['-5', -5], ['1.5s', 1.5], ['1,5', 1], ['1.0001', 1], ['0x', 0], ['1e', 1], ['0x1.8p1', 3],
      ['abc', undefined], ['', undefined], ['s60', undefined],
    ];
    for (const [text, want] of cases) expect(parseTime(text), text).toBe(want);
    expect(parseTime('inf')).toBe(Infinity);
    expect(parseTime('nan')).toBeNaN();
  });

  it('reports a value no number starts as not valid, and inf, nan and negatives as out of range', () => {
    const message = (v: string): string => {
      try {
        parseConfig([`--io-timeout=${v}`, '--stanza=x', '--no-config', 'info'], {});
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(message('60s')).toBe('accepted');
    expect(message('abc')).toBe("'abc' is not valid for 'io-timeout' option");
    expect(message('-1')).toBe("'-1' is out of range for 'io-timeout' option");
    expect(message('inf')).toBe("'inf' is out of range for 'io-timeout' option");
    expect(message('nan')).toBe("'nan' is out of range for 'io-timeout' option");
    expect(message('0.0001')).toBe("'0.0001' is out of range for 'io-timeout' option");
  });
});
