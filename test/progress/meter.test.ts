/**
 * The progress meter draws only on a terminal, never when per-file lines are logged, erases its
 * line before any log line, and leaves the screen clean when stopped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, type LoggerSettings } from '../../src/log/logger.js';
import { startProgress, type ProgressOutput } from '../../src/progress/meter.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

afterEach(() => removeAllTempDirs());

const MB = 1024 * 1024;

function logger(over: Partial<LoggerSettings> = {}): Logger {
  const s: LoggerSettings = { console: 'off', stderr: 'off', file: 'off', timestamp: false, processMax: 1, ...over };
  const log = new Logger(s);
  log.configure(s);
  return log;
}

function output(isTTY: boolean, columns?: number): ProgressOutput & { text: string } {
  const out = { isTTY, columns, text: '', write: (t: string) => void (out.text += t) };
  return out;
}

describe('startProgress', () => {
  it('writes nothing when stdout is not a terminal', () => {
    const out = output(false);
    const p = startProgress({ label: 'backup', filesTotal: 2, bytesTotal: 2 * MB, log: logger({ file: 'info' }), out, tickMs: 0 });
    p.fileDone(MB);
    p.log.warn('something');
    p.fileDone(MB);
    p.stop();
    expect(out.text).toBe('');
  });

  it('writes nothing when per-file detail lines are logged', () => {
    const out = output(true);
    const p = startProgress({ label: 'backup', filesTotal: 1, bytesTotal: MB, log: logger({ console: 'detail' }), out, tickMs: 0 });
    p.fileDone(MB);
    p.stop();
    expect(out.text).toBe('');
  });

  it('draws the line with \\r, redraws as files finish and erases it on stop', () => {
    const out = output(true);
    let now = 0;
    const p = startProgress({
      label: 'restore', filesTotal: 2, bytesTotal: 4 * MB, log: logger({ console: 'info' }), out, tickMs: 0, now: () => now,
    });
    now = 2000;
    p.fileDone(2 * MB);
    p.stop();
    expect(out.text).toBe(
      '\rrestore: 0/2 files, 0B/4MB (0.00%), --, ETA --:--\x1b[K' +
        '\rrestore: 1/2 files, 2MB/4MB (50.00%), 1MB/s, ETA 0:02\x1b[K' +
        '\r\x1b[K',
    );
  });

  it('redraws at most every minRedrawMs when files finish', () => {
    const out = output(true);
    let now = 0;
    const p = startProgress({ label: 'backup', filesTotal: 3, bytesTotal: 3, log: logger(), out, tickMs: 0, minRedrawMs: 100, now: () => now });
    now = 50;
    p.fileDone(1);
    now = 120;
    p.fileDone(1);
    p.stop();
    expect(out.text.split('\r').filter((l) => l.startsWith('backup:')).map((l) => l.split(',')[0])).toEqual([
      'backup: 0/3 files',
      'backup: 2/3 files',
    ]);
  });

  it('erases the line before a log write and draws it again after', () => {
    const dir = makeTempDir('pgbr-progress-');
    const file = join(dir, 'log');
    const log = logger({ file: 'info', filePath: file });
    const out = output(true);
    const p = startProgress({ label: 'backup', filesTotal: 1, bytesTotal: 1, log, out, tickMs: 0 });
    const before = out.text;
    p.log.info('hello');
    p.log.detail('not logged anywhere');
    expect(out.text.slice(before.length)).toBe('\r\x1b[K' + before);
    p.stop();
    log.closeFile();
    expect(readFileSync(file, 'utf8')).toContain('P00   INFO: hello\n');
    expect(readFileSync(file, 'utf8')).not.toContain('not logged');
  });

  it('cuts the line to the terminal width so \\r can erase it', () => {
    const out = output(true, 20);
    const p = startProgress({ label: 'backup', filesTotal: 1, bytesTotal: 1, log: logger(), out, tickMs: 0 });
    p.stop();
    expect(out.text).toBe('\rbackup: 0/1 files, \x1b[K\r\x1b[K');
  });

  it('erases the line on SIGINT before other handlers run', () => {
    const out = output(true);
    const seen: string[] = [];
    const other = (): void => void seen.push(out.text.endsWith('\r\x1b[K') ? 'erased' : 'shown');
    process.on('SIGINT', other);
    const p = startProgress({ label: 'backup', filesTotal: 1, bytesTotal: 1, log: logger(), out, tickMs: 0 });
    try {
      process.emit('SIGINT');
      expect(seen).toEqual(['erased']);
    } finally {
      p.stop();
      process.removeListener('SIGINT', other);
    }
    expect(process.listeners('SIGINT')).not.toContain(other);
  });
});
