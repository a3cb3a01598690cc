import { describe, expect, it } from 'vitest';
import { formatLong, formatShort, logTimestamp } from '../../src/log/format.js';

const time = new Date(2026, 10, 25, 23, 58, 17, 792);

describe('log line format', () => {
  it('long form has timestamp, process and right-aligned level', () => {
    expect(logTimestamp(time)).toBe('2026-11-25 23:58:17.792');
    expect(formatLong({ level: 'info', message: 'pushed', processId: 0, time }, { timestamp: true, processMax: 1 })).toBe(
      '2026-11-25 23:58:17.792 P00   INFO: pushed',
    );
    expect(formatLong({ level: 'detail', message: 'x', processId: 3, time }, { timestamp: false, processMax: 4 })).toBe('P03 DETAIL: x');
    expect(formatLong({ level: 'info', message: 'x', processId: 7, time }, { timestamp: false, processMax: 100 })).toBe('P007   INFO: x');
  });

  it('indents continuation lines under the message, in both forms', () => {
    expect(formatLong({ level: 'info', message: 'stanza: main\n  status: ok', processId: 0, time }, { timestamp: true, processMax: 1 })).toBe(
      '2026-11-25 23:58:17.792 P00   INFO: stanza: main\n' + ' '.repeat(36) + '  status: ok',
    );
    expect(formatShort({ level: 'warn', message: 'WAL file exists\nHINT: valid', processId: 0, time })).toBe(
      'WARN: WAL file exists\n      HINT: valid',
    );
    expect(formatShort({ level: 'error', code: 45, message: 'different\nHINT: h', processId: 0, time })).toBe(
      'ERROR: [045]: different\n       HINT: h',
    );
  });
});
