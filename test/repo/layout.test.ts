import { describe, expect, it } from 'vitest';
import {
  archiveIdPath, archiveInfoPath, backupHistoryManifestPath, backupInfoPath, backupLabelCreate, backupManifestPath,
  BACKUP_LABEL_REGEX, compressExtension, isBackupLabel, parseBackupLabel, walPath,
  WAL_SEGMENT_REGEX, WAL_SEGMENT_STORED_REGEX, walSegmentDir, walSegmentStoredRegex, walStoredName,
} from '../../src/repo/layout.js';
import { PgbrError } from '../../src/error/error.js';

const SHA = 'aeb3311dc78996cd48da187a46ddf2348564afc6';

describe('paths', () => {
  it('builds repo-relative paths', () => {
    expect(archiveInfoPath('demo')).toBe('archive/demo/archive.info');
    expect(backupInfoPath('demo')).toBe('backup/demo/backup.info');
    expect(archiveIdPath('demo', '15-1')).toBe('archive/demo/15-1');
    expect(backupManifestPath('demo', '20261125-235948F')).toBe('backup/demo/20261125-235948F/backup.manifest');
    expect(backupHistoryManifestPath('demo', '20261125-235948F_20261125-235951D'))
      .toBe('backup/demo/backup.history/2026/20261125-235948F_20261125-235951D.manifest.gz');
  });

  it('puts every name starting with 24 hex chars in its 16-char directory, others in the archive id root', () => {
    expect(walSegmentDir('000000010000000000000003')).toBe('0000000100000000');
    expect(walPath('demo', '15-1', `000000010000000000000003-${SHA}.gz`))
      .toBe(`archive/demo/15-1/0000000100000000/000000010000000000000003-${SHA}.gz`);
    expect(walPath('demo', '15-1', '000000010000000000000002.00000028.backup'))
      .toBe('archive/demo/15-1/0000000100000000/000000010000000000000002.00000028.backup');
    expect(walPath('demo', '15-2', '00000002.history')).toBe('archive/demo/15-2/00000002.history');
  });
});

describe('WAL names', () => {
  it('recognises segments and stored names', () => {
    expect(WAL_SEGMENT_REGEX.test('00000001000000000000000A')).toBe(true);
    expect(WAL_SEGMENT_REGEX.test('00000001000000000000000a')).toBe(false);
    expect(WAL_SEGMENT_REGEX.test('00000001000000000000000')).toBe(false);
    const m = WAL_SEGMENT_STORED_REGEX.exec(`000000010000000000000005.partial-${SHA}.zst`)!;
    expect([m[1], m[2], m[3], m[4]]).toEqual(['000000010000000000000005', '.partial', SHA, '.zst']);
    expect(WAL_SEGMENT_STORED_REGEX.exec(`000000010000000000000005-${SHA}`)?.[4]).toBeUndefined();
    expect(WAL_SEGMENT_STORED_REGEX.test(`000000010000000000000005-${SHA}.rar`)).toBe(false);
  });

  it('finds a segment with or without .partial only as asked', () => {
    const re = walSegmentStoredRegex('000000010000000000000005');
    expect(re.test(`000000010000000000000005-${SHA}.gz`)).toBe(true);
    expect(re.test(`000000010000000000000005-${SHA}`)).toBe(true);
    expect(re.test(`000000010000000000000005.partial-${SHA}.gz`)).toBe(false);
    expect(walSegmentStoredRegex('000000010000000000000005.partial').test(`000000010000000000000005.partial-${SHA}.gz`)).toBe(true);
    expect(walStoredName('000000010000000000000003', SHA, 'gz')).toBe(`000000010000000000000003-${SHA}.gz`);
    expect(walStoredName('000000010000000000000003', SHA, 'none')).toBe(`000000010000000000000003-${SHA}`);
  });

  it('maps compress types to extensions and back', () => {
    expect(['gz', 'lz4', 'zst', 'bz2', 'none'].map((t) => compressExtension(t as 'gz'))).toEqual(['.gz', '.lz4', '.zst', '.bz2', '']);
  });
});

describe('backup labels', () => {
  const start = new Date(2026, 10, 25, 23, 59, 48); // local time, like strftime in pgBackRest
  const later = new Date(2026, 10, 26, 0, 1, 5);

  it('creates full, diff and incr labels from local time', () => {
    expect(backupLabelCreate('full', start)).toBe('20261125-235948F');
    expect(backupLabelCreate('diff', later, '20261125-235948F')).toBe('20261125-235948F_20261126-000105D');
    expect(backupLabelCreate('incr', later, '20261125-235948F_20261125-235951D')).toBe('20261125-235948F_20261126-000105I');
    expect(() => backupLabelCreate('incr', later)).toThrow(PgbrError);
  });

  it('parses labels and rejects other names', () => {
    expect(parseBackupLabel('20261125-235948F_20261125-235954I'))
      .toEqual({ label: '20261125-235948F_20261125-235954I', type: 'incr', fullLabel: '20261125-235948F' });
    expect(parseBackupLabel('20261125-235948F').type).toBe('full');
    expect(parseBackupLabel('20261125-235948F_20261125-235951D').type).toBe('diff');
    for (const bad of ['20261125-235948', '20261125-235948D', '20261125-235948F_20261125-235951F', 'backup.info', 'latest']) {
      expect(isBackupLabel(bad)).toBe(false);
    }
    expect(() => parseBackupLabel('latest')).toThrow("invalid backup label 'latest'");
    expect(BACKUP_LABEL_REGEX.source).toContain('F');
  });
});
