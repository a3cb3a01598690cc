/**
 * The progress line's numbers: percent truncated like pgBackRest's, rate and ETA from the average
 * since the start, and durations.
 */
import { describe, expect, it } from 'vitest';
import { etaSeconds, formatDuration, formatProgress, percentHundredths, percentText, rate, type ProgressState } from '../../src/progress/format.js';

const MB = 1024 * 1024;
const state = (over: Partial<ProgressState>): ProgressState => ({
  label: 'backup', filesDone: 0, filesTotal: 10, bytesDone: 0, bytesTotal: 100 * MB, elapsedMs: 0, ...over,
});

describe('percent', () => {
  it('truncates to hundredths like the backup log and the lock file', () => {
    expect(percentHundredths(99996, 100000)).toBe(9999);
    expect(percentText(9999)).toBe('99.99');
    expect(percentText(5)).toBe('0.05');
    expect(percentText(10000)).toBe('100.00');
    expect(percentHundredths(1, 3)).toBe(3333);
  });

  it('calls an empty set complete', () => {
    expect(percentHundredths(0, 0)).toBe(10000);
  });
});

describe('rate and ETA', () => {
  it('are unknown during the first second', () => {
    const s = state({ bytesDone: 10 * MB, elapsedMs: 999 });
    expect(rate(s)).toBeUndefined();
    expect(etaSeconds(s)).toBeUndefined();
  });

  it('use the average rate since the start', () => {
    const s = state({ bytesDone: 25 * MB, elapsedMs: 5000 });
    expect(rate(s)).toBe(5 * MB);
    expect(etaSeconds(s)).toBe(15);
  });

  it('has no ETA while nothing is done, and 0 when everything is', () => {
    expect(etaSeconds(state({ elapsedMs: 3000 }))).toBeUndefined();
    expect(etaSeconds(state({ bytesDone: 100 * MB, elapsedMs: 3000 }))).toBe(0);
  });

  it('rounds a partial second up', () => {
    expect(etaSeconds(state({ bytesDone: 30 * MB, elapsedMs: 1000 }))).toBe(3);
  });
});

describe('formatDuration', () => {
  it('prints m:ss below an hour and h:mm:ss above', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(7)).toBe('0:07');
    expect(formatDuration(750)).toBe('12:30');
    expect(formatDuration(3723)).toBe('1:02:03');
  });
});

describe('formatProgress', () => {
  it('shows files, sizes in pgBackRest units, percent, rate and ETA', () => {
    const s = state({ filesDone: 3, bytesDone: 25 * MB, elapsedMs: 5000 });
    expect(formatProgress(s)).toBe('backup: 3/10 files, 25MB/100MB (25.00%), 5MB/s, ETA 0:15');
  });

  it('shows placeholders before the rate is known', () => {
    expect(formatProgress(state({ label: 'restore' }))).toBe('restore: 0/10 files, 0B/100MB (0.00%), --, ETA --:--');
  });
});
