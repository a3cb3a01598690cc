import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../../src/lock/lock.js';
import { checkStop } from '../../src/lock/stop.js';
import { PgbrError } from '../../src/error/error.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pgbr-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function lockError(fn: () => unknown): PgbrError {
  try {
    fn();
  } catch (e) {
    return e as PgbrError;
  }
  throw new Error('expected an error');
}

describe('acquireLock', () => {
  it('writes pgBackRest lock content and excludes a second holder with error 50', () => {
    const lockPath = tmp();
    const h = acquireLock({ lockPath, stanza: 'demo', type: 'backup', execId: '1-abcdef01' });
    expect(readFileSync(join(lockPath, 'demo-backup.lock'), 'utf8')).toBe(`{"execId":"1-abcdef01","pid":${process.pid}}`);
    const e = lockError(() => acquireLock({ lockPath, stanza: 'demo', type: 'all', execId: '2-x' }));
    expect(e.code).toBe(50);
    expect(e.message).toBe(`unable to acquire lock on file '${lockPath}/demo-backup.lock': Resource temporarily unavailable`);
    expect(e.hints).toEqual(['is another pgBackRest process running?']);
    // the archive lock taken before the failure was given back
    const a = acquireLock({ lockPath, stanza: 'demo', type: 'archive', execId: '3-x' });
    a.release();
    h.progress(1934);
    expect(readFileSync(join(lockPath, 'demo-backup.lock'), 'utf8')).toBe(
      `{"execId":"1-abcdef01","pctCplt":1934,"pid":${process.pid}}`,
    );
    h.release();
    expect(existsSync(join(lockPath, 'demo-backup.lock'))).toBe(false);
    acquireLock({ lockPath, stanza: 'demo', type: 'all', execId: '4-x' }).release();
  });

  it('reports a lock file it cannot open as [050] with the system error, not as an unhandled error', () => {
    const lockPath = tmp();
    // a directory in the lock file's place: open(O_RDWR) fails with EISDIR even for root
    mkdirSync(join(lockPath, 'demo-backup.lock'));
    const e = lockError(() => acquireLock({ lockPath, stanza: 'demo', type: 'all', execId: 'x' }));
    expect(e.code).toBe(50);
    expect(e.message).toBe(`unable to acquire lock on file '${lockPath}/demo-backup.lock': Is a directory`);
    expect(e.hints).toEqual([]);
    // the archive lock taken first was given back
    acquireLock({ lockPath, stanza: 'demo', type: 'archive', execId: 'y' }).release();
  });

  it('is excluded by any other flock(2) holder, as pgBackRest takes it', () => {
    const lockPath = tmp();
    const file = join(lockPath, 'demo-archive.lock');
    writeFileSync(file, '');
    const holder = spawn('flock', [file, 'sleep', '30'], { stdio: 'ignore', detached: true });
    try {
      // wait until the holder has the lock
      for (let i = 0; i < 100 && spawnSync('flock', ['--nonblock', file, 'true']).status === 0; i++) {
        spawnSync('sleep', ['0.05']);
      }
      expect(lockError(() => acquireLock({ lockPath, stanza: 'demo', type: 'archive', execId: 'x' })).code).toBe(50);
    } finally {
      process.kill(-(holder.pid as number), 'SIGKILL');
    }
  });

  it('is freed when the holding process is killed', { timeout: 60_000 }, () => {
    const lockPath = tmp();
    // A child holds the lock through the flock utility on an inherited descriptor, like we do.
    const file = join(lockPath, 'demo-backup.lock');
    writeFileSync(file, '');
    const child = spawn('bash', ['-c', `exec 3<>'${file}'; flock 3; exec sleep 30`], { stdio: 'ignore', detached: true });
    for (let i = 0; i < 400 && spawnSync('flock', ['--nonblock', file, 'true']).status === 0; i++) spawnSync('sleep', ['0.05']);
    expect(lockError(() => acquireLock({ lockPath, stanza: 'demo', type: 'backup', execId: 'x' })).code).toBe(50);
    process.kill(-(child.pid as number), 'SIGKILL');
    let ok = false;
    for (let i = 0; i < 400 && !ok; i++) {
      try {
        acquireLock({ lockPath, stanza: 'demo', type: 'backup', execId: 'y' }).release();
        ok = true;
      } catch {
        spawnSync('sleep', ['0.05']);
      }
    }
    expect(ok).toBe(true);
  });
});

describe('checkStop', () => {
  it('fails with 62 for a stanza stop file and for all.stop', () => {
    const lockPath = tmp();
    expect(() => checkStop(lockPath, 'demo')).not.toThrow();
    writeFileSync(join(lockPath, 'demo.stop'), '');
    expect(lockError(() => checkStop(lockPath, 'demo'))).toMatchObject({ code: 62, message: 'stop file exists for stanza demo' });
    expect(() => checkStop(lockPath, 'other')).not.toThrow();
    writeFileSync(join(lockPath, 'all.stop'), '');
    expect(lockError(() => checkStop(lockPath, 'other'))).toMatchObject({ code: 62, message: 'stop file exists for all stanzas' });
  });
});
