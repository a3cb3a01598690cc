import { describe, expect, it } from 'vitest';
import {
  dependentSet, expireAdhoc, expireDiffCount, expireEventText, expireFullCount, expireFullTime, RetentionState,
  type RetentionEntry,
} from '../../src/expire/plan-backups.js';
import {
  archiveRetentionList, checkHistoryMatch, dirKept, fileKept, planArchiveId, RemovedRanges,
} from '../../src/expire/plan-archive.js';
import { planHistory } from '../../src/expire/plan-history.js';

const seg = (n: number) => `0000000100000000${n.toString(16).toUpperCase().padStart(8, '0')}`;
let n = 0;
function b(label: string, prior?: string, opts: Partial<RetentionEntry> = {}): RetentionEntry {
  n += 2;
  const type = label.endsWith('F') ? 'full' : label.endsWith('D') ? 'diff' : 'incr';
  return { label, type, dbId: 1, archiveStart: seg(n), archiveStop: seg(n), timestampStop: 1000 * n, ...(prior ? { prior } : {}), ...opts };
}

const F1 = '20240101-000000F';
const F2 = '20240102-000000F';
const F3 = '20240103-000000F';
const D1 = `${F1}_20240101-010000D`;
const I1 = `${F1}_20240101-020000I`;
const D2 = `${F2}_20240102-010000D`;
const I2 = `${F2}_20240102-020000I`;
const sample = () => [b(F1), b(D1, F1), b(I1, D1), b(F2), b(D2, F2), b(I2, D2), b(F3)];

describe('backup retention planning', () => {
  it('dependents follow backup-prior chains', () => {
    expect(dependentSet(sample(), D1)).toEqual([D1, I1]);
    expect(dependentSet(sample(), F2)).toEqual([F2, D2, I2]);
  });

  it('count retention keeps the newest fulls with their dependents', () => {
    const s = new RetentionState(sample());
    expireFullCount(s, 2);
    expect(s.events).toEqual([{ kind: 'full', labels: [F1, D1, I1] }]);
    expect(expireEventText(s.events[0]!)).toBe(`expire full backup set ${F1}, ${D1}, ${I1}`);
    expireFullCount(s, 5);
    expect(s.events.length).toBe(1);
  });

  it('diff retention counts fulls but only expires diffs and their incrs', () => {
    const two = new RetentionState(sample());
    expireDiffCount(two, 2);
    expect(two.events).toEqual([{ kind: 'diff', labels: [D1, I1] }]);
    const s = new RetentionState(sample());
    expireDiffCount(s, 1);
    expect(s.events).toEqual([{ kind: 'diff', labels: [D1, I1] }, { kind: 'diff', labels: [D2, I2] }]);
    expect(s.backups.map((x) => x.label)).toEqual([F1, F2, F3]);
    expect(expireEventText({ kind: 'diff', labels: [D1] })).toBe(`expire diff backup ${D1}`);
  });

  it('time retention keeps the newest full older than the limit and everything after it', () => {
    const all = sample();
    const s = new RetentionState(all);
    const f2Stop = all.find((x) => x.label === F2)!.timestampStop;
    expect(expireFullTime(s, f2Stop + 1)).toBe(1);
    expect(s.events).toEqual([{ kind: 'time-based', labels: [F1, D1, I1] }]);
    const none = new RetentionState(sample());
    expect(expireFullTime(none, 0)).toBe(0);
    expect(none.events).toEqual([]);
  });

  it('--set expires dependents, flags the latest, refuses the only newest full', () => {
    const s = new RetentionState(sample());
    expect(expireAdhoc(s, D2)).toEqual({});
    expect(s.events).toEqual([{ kind: 'adhoc', labels: [D2, I2] }]);
    const t = new RetentionState(sample());
    expect(expireAdhoc(t, F3)).toEqual({ latestRemoved: F3 });
    const only = new RetentionState([b(F1)]);
    expect(() => expireAdhoc(only, F1)).toThrow(/cannot be expired until another full backup/);
    const otherDb = new RetentionState([b(F1, undefined, { dbId: 1 }), b(F2, undefined, { dbId: 2 })]);
    expect(() => expireAdhoc(otherDb, F2)).toThrow(/BackupSetInvalid|cannot be expired/);
  });
});

describe('archive retention planning', () => {
  const backups = [
    b(F1, undefined, { archiveStart: seg(2), archiveStop: seg(3) }),
    b(D1, F1, { archiveStart: seg(5), archiveStop: seg(5) }),
    b(F2, undefined, { archiveStart: seg(8), archiveStop: seg(9) }),
    b(F3, undefined, { archiveStart: seg(12), archiveStop: seg(12) }),
  ];

  it('full type: the oldest kept full keeps from its start, older backups their own range', () => {
    const ret = archiveRetentionList(backups, 'full', 2)!;
    expect(ret.kept).toEqual([F3, F2]);
    const plan = planArchiveId({ archiveId: '15-1', pgId: 1, currentPgId: 1, backups, retention: ret });
    expect(plan).toEqual({
      archiveId: '15-1', action: 'expire', retentionStart: seg(8),
      ranges: [
        { label: F1, start: seg(2), stop: seg(3) },
        { label: D1, start: seg(5), stop: seg(5) },
        { label: F2, start: seg(8) },
      ],
    });
    if (plan.action !== 'expire') return;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((i) => fileKept(`${seg(i)}-abc.gz`, plan.ranges))).toEqual(
      [false, true, true, false, true, false, false, true, true],
    );
    expect(dirKept('0000000100000000', plan.ranges)).toBe(true);
    expect(dirKept('00000000000000AA', plan.ranges)).toBe(false);
  });

  it('diff and incr types count more backups; too few backups expire nothing', () => {
    expect(archiveRetentionList(backups, 'diff', 3)!.kept).toEqual([F3, F2, D1]);
    expect(archiveRetentionList(backups, 'incr', 1)!.kept).toEqual([F3]);
    expect(archiveRetentionList(backups, 'full', 4)).toBeUndefined();
  });

  it('an old archive id without retained backups goes whole, the current one never', () => {
    const ret = archiveRetentionList(backups, 'full', 1)!;
    expect(planArchiveId({ archiveId: '14-2', pgId: 2, currentPgId: 3, backups, retention: ret }).action).toBe('remove-path');
    expect(planArchiveId({ archiveId: '15-3', pgId: 3, currentPgId: 3, backups, retention: ret }).action).toBe('none');
  });

  it('history lists must match', () => {
    const h = [{ id: 1, version: '15', systemId: 1n }];
    expect(() => checkHistoryMatch(h, h)).not.toThrow();
    expect(() => checkHistoryMatch(h, [{ id: 1, version: '15', systemId: 2n }])).toThrow(/do not match/);
  });

  it('removed runs are logged as ranges split by kept files', () => {
    const r = new RemovedRanges();
    r.removedFile(`${seg(1)}-x`);
    r.removedFile(`${seg(2)}-x`);
    r.kept();
    r.removedFile(`${seg(4)}-x`);
    r.flush();
    expect(r.lines).toEqual([{ start: seg(1), stop: seg(2) }, { start: seg(4), stop: seg(4) }]);
    expect(r.total).toBe(3);
  });
});

describe('history retention planning', () => {
  it('removes old years whole and old manifests of expired backups only', () => {
    const years = new Map([
      ['2020', ['20200101-000000F.manifest.gz']],
      ['2024', [`${F1}.manifest.gz`, `${F2}.manifest.gz`, '20240601-000000F.manifest.gz']],
    ]);
    const plan = planHistory({ years, current: new Set([F2]), minLabel: '20240301-000000F' });
    expect(plan).toEqual([
      { kind: 'path', year: '2020' },
      { kind: 'manifest', year: '2024', file: `${F1}.manifest.gz` },
    ]);
  });
});
