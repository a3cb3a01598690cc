/**
 * Issue 6: stop and start. Our transcript (output, exit codes, files and modes) must be pgBackRest
 * 2.45's, including `stop --force` against processes that really hold a lock with flock, and the
 * commands that refuse to run while a stop file exists.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeAllTempDirs, chownToPostgres, isRoot, postgresUser } from '../harness/tmp.js';
import { ours, theirs, type CliRunOptions, maskRun } from '../harness/cli.js';
import type { RunResult } from '../harness/run.js';

type Tool = (args: readonly string[], opts?: CliRunOptions) => Promise<RunResult>;
const holders: ChildProcess[] = [];

afterAll(() => {
  for (const h of holders) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
  removeAllTempDirs();
});

/** Output without what differs from run to run: timestamps, durations, exec ids, pids, the temp dir. */
function normalize(text: string, dir: string): string {
  return maskRun(text.replace(/process \d+/g, 'process N'), dir);
}

function lockDir(): { dir: string; lock: string; args: string[] } {
  const dir = makeTempDir('pgbr-ctl-');
  const lock = join(dir, 'lock');
  return { dir, lock, args: [`--lock-path=${lock}`, `--log-path=${join(dir, 'log')}`, '--log-level-file=off', '--log-level-console=info'] };
}

/** `name` and mode of each file in the lock dir, plus the dir's own mode. */
function lockState(lock: string): string[] {
  if (!existsSync(lock)) return ['<none>'];
  const files = readdirSync(lock).sort().map((f) => `${f} ${(statSync(join(lock, f)).mode & 0o777).toString(8)}`);
  return [`dir ${(statSync(lock).mode & 0o777).toString(8)}`, ...files];
}

async function transcript(tool: Tool, steps: string[][]): Promise<string[]> {
  const { dir, lock, args } = lockDir();
  const out: string[] = [];
  for (const step of steps) {
    const r = await tool([...args, ...step]);
    out.push(`$ ${step.join(' ')} rc=${r.code}`, normalize(r.stdout, dir), normalize(r.stderr, dir), ...lockState(lock));
  }
  return out;
}

describe('stop and start', () => {
  it('write and remove the same files with the same messages as pgBackRest', async () => {
    const steps = [
      ['start'],
      ['--stanza=main', 'start'],
      ['--stanza=main', 'stop'],
      ['--stanza=main', 'stop'],
      ['stop'],
      ['stop'],
      ['--stanza=other', 'stop', '--force'],
      ['start'],
      ['start'],
      ['--stanza=main', 'start'],
      ['--stanza=main', 'start'],
    ];
    const mine = await transcript(ours, steps);
    expect(mine).toEqual(await transcript(theirs, steps));
    expect(mine.join('\n')).toContain('WARN: stop file already exists for stanza main');
    expect(mine.join('\n')).toContain('WARN: stop file already exists for all stanzas');
    expect(mine.join('\n')).toContain('WARN: stop file does not exist for stanza main');
    expect(mine).toContain('main.stop 640');
    expect(mine).toContain('dir 770');
  });

  it('make stanza-create and archive-push fail with [062] until start', async () => {
    const { args } = lockDir();
    const conf = [...args, '--stanza=main', '--pg1-path=/nonexistent', '--repo1-path=/nonexistent'];
    for (const stop of [['--stanza=main', 'stop'], ['stop']]) {
      expect((await ours([...args, ...stop])).code).toBe(0);
      const what = stop.length === 2 ? 'stanza main' : 'all stanzas';
      for (const cmd of [['stanza-create'], ['archive-push', '/nonexistent/pg_wal/000000010000000000000001']]) {
        const r = await ours([...conf, ...cmd]);
        expect(r.code).toBe(62);
        expect(r.stderr).toBe(`ERROR: [062]: stop file exists for ${what}\n`);
      }
      expect((await ours([...args, ...stop.map((a) => (a === 'stop' ? 'start' : a))])).code).toBe(0);
    }
    const after = await ours([...conf, 'archive-push', '/nonexistent/pg_wal/000000010000000000000001']);
    expect(after.code).not.toBe(62);
  });
});

/**
 * A process that holds `<lock>/<file>` with flock the way pgBackRest does and writes its pid there;
 * it ignores nothing, so SIGTERM ends it. Runs as postgres, like the CLI that has to signal it.
 */
async function holdLock(lock: string, file: string): Promise<ChildProcess> {
  const path = join(lock, file);
  const script = `exec 9>>'${path}'; flock -n 9 || exit 3; printf '{"execId":"%s-0badcafe","pid":%s}' $$ $$ > '${path}'; echo held; exec sleep 60`;
  const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'], ...(isRoot ? postgresUser() : {}) });
  holders.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  return child;
}

function exited(child: ChildProcess, ms = 5000): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still running' as NodeJS.Signals), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? code);
    });
  });
}

describe('stop --force', () => {
  async function forcedStop(tool: Tool, stanzaArgs: string[]) {
    const { dir, lock, args } = lockDir();
    // the lock dir must exist before the holders open files in it
    expect((await tool([...args, 'stop'])).code).toBe(0);
    expect((await tool([...args, 'start'])).code).toBe(0);
    const mainBackup = await holdLock(lock, 'main-backup.lock');
    const otherArchive = await holdLock(lock, 'other-archive.lock');
    writeFileSync(join(lock, 'main-archive.lock'), '{"execId":"1-00000000","pid":1}'); // stale: nobody holds it
    writeFileSync(join(lock, 'notes.txt'), 'not a lock file');
    for (const f of ['main-archive.lock', 'notes.txt']) chownToPostgres(join(lock, f));
    const r = await tool([...args, ...stanzaArgs, 'stop', '--force']);
    const result = {
      code: r.code,
      stdout: normalize(r.stdout, dir),
      stderr: normalize(r.stderr, dir),
      mainBackup: await exited(mainBackup),
      otherArchive: await exited(otherArchive, stanzaArgs.length === 0 ? 5000 : 300),
      files: lockState(lock),
    };
    otherArchive.kill('SIGKILL');
    return { result, pid: mainBackup.pid };
  }

  it('terminates the holder of the stanza lock, only that one, like pgBackRest', async () => {
    const mine = await forcedStop(ours, ['--stanza=main']);
    expect(mine.result.code).toBe(0);
    expect(mine.result.mainBackup).toBe('SIGTERM');
    expect(mine.result.otherArchive).toBe('still running');
    expect(mine.result.stdout).toContain('P00   INFO: sent term signal to process N');
    expect(mine.result.stderr).toBe('WARN: unable to read lock file <dir>/lock/main-archive.lock\n');
    expect(mine.result).toEqual((await forcedStop(theirs, ['--stanza=main'])).result);
  });

  it('without a stanza terminates every holder', async () => {
    const mine = await forcedStop(ours, []);
    expect(mine.result.mainBackup).toBe('SIGTERM');
    expect(mine.result.otherArchive).toBe('SIGTERM');
    expect(mine.result.stdout.match(/sent term signal/g)).toHaveLength(2);
    expect(mine.result).toEqual((await forcedStop(theirs, [])).result);
  });
});
