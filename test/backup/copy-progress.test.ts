/**
 * While files copy, the backup lock's percent complete (read by `info`) is rewritten whenever it
 * has grown by more than 10 hundredths of a percent, as pgBackRest 2.45 does
 * (`percentComplete - currentPercentComplete > 10`), and the logged percent is truncated like it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyFiles } from '../../src/backup/copy.js';
import type { CopyJob } from '../../src/backup/manifest-jobs.js';
import { parseManifest } from '../../src/repo/manifest.js';
import { Logger, type LoggerSettings } from '../../src/log/logger.js';
import type { LockHandle } from '../../src/lock/lock.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

const SAMPLE = new URL('../../../shared/spec/samples/full.backup.manifest', import.meta.url);
// One large file, then small ones of exactly 10 hundredths of a percent each (files are copied
// largest first): 1000 bytes in all.
const SIZES = [980, ...Array.from({ length: 20 }, () => 1)];
const TOTAL = SIZES.reduce((a, b) => a + b, 0);

afterAll(() => removeAllTempDirs());

describe('copyFiles progress', () => {
  it('updates the lock every time the percent grows by more than 0.1 %', async () => {
    const dir = makeTempDir('pgbr-copy-progress-');
    const pg = join(dir, 'pg');
    mkdirSync(pg, { recursive: true });
    const manifest = parseManifest(readFileSync(SAMPLE));
    const template = manifest.files.find((f) => f.name.startsWith('pg_data/base/') && f.size > 0)!;
    const jobs: CopyJob[] = [];
    manifest.files = [];
    SIZES.forEach((size, i) => {
      const name = `pg_data/f${String(i).padStart(4, '0')}`;
      writeFileSync(join(pg, name.slice(8)), 'x'.repeat(size));
      manifest.files.push({ ...template, name, size });
      jobs.push({ name, pgFile: join(pg, name.slice(8)), size, checksumPage: false, segmentNo: 0, queue: 0 } as CopyJob);
    });
    const seen: number[] = [];
    const lock: LockHandle = { files: [], progress: (p) => void seen.push(p), release: () => undefined };
    const logFile = join(dir, 'copy.log');
    const settings: LoggerSettings = { console: 'off', stderr: 'off', file: 'detail', filePath: logFile, timestamp: false, processMax: 1 };
    const log = new Logger(settings);
    log.configure(settings);

    await copyFiles({ jobs, manifest, stanza: 'demo', storage: { type: 'posix', path: join(dir, 'repo') }, processMax: 1, compressType: 'none', log, lock });
    log.closeFile();

    // A step of exactly 10 is not enough: after the large file, every second small file writes.
    const pcts: number[] = [];
    for (let done = 0, k = 0; k < SIZES.length; k++) pcts.push(Math.floor(((done += SIZES[k]!) / TOTAL) * 10000));
    const expected: number[] = [];
    for (let k = 0, last = 0; k < pcts.length; k++) if (pcts[k]! - last > 10) expected.push((last = pcts[k]!));
    expect(seen).toEqual(expected);
    expect(seen[0]).toBe(9800);
    expect(seen.length).toBe(11);
    expect(seen.at(-1)).toBe(10000);
    const logged = [...readFileSync(logFile, 'utf8').matchAll(/\((\d+B), ([\d.]+)%\)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(logged).toHaveLength(SIZES.length);
    expect(logged.slice(0, 2)).toEqual(['980B 98.00', '1B 98.10']);
    expect(logged.at(-1)).toBe('1B 100.00');
  });
});
