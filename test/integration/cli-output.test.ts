/**
 * What the CLI does when its stdout goes away (`pgbackrest ... | head -1` that exits early): one
 * line with pgBackRest's FileWriteError text on stderr, that error's code as exit status, no stack
 * trace, and the command does not go on. Output cut short is not an error, as in pgBackRest.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ourCli, theirCli } from '../harness/run.js';

afterAll(() => removeAllTempDirs());

/** Runs `cmd args` with a stdout pipe whose read end is closed before the child can write to it. */
function withStdoutClosed(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('stdout closed early', () => {
  it('stops with [064] unable to write log to stdout, one line, like the first line pgBackRest prints', async () => {
    const dir = makeTempDir('pgbr-epipe-');
    const args = (lock: string) => [`--lock-path=${lock}`, '--log-level-file=off', '--log-level-console=info', '--stanza=main', 'stop'];
    const cli = ourCli();
    const mine = await withStdoutClosed(cli.cmd, [...cli.args, ...args(join(dir, 'ours'))]);
    expect(mine.stderr).toBe('ERROR: [064]: unable to write log to stdout: [32] Broken pipe\n');
    expect(mine.code).toBe(64);
    expect(existsSync(join(dir, 'ours', 'main.stop'))).toBe(false);
    // pgBackRest 2.45 prints the same error first, then fails again reporting it (exit 124).
    const theirsRun = await withStdoutClosed(theirCli(), args(join(dir, 'theirs')));
    expect(theirsRun.stderr.split('\n')[0]).toBe('ERROR: [064]: unable to write log to stdout: [32] Broken pipe');
    expect(existsSync(join(dir, 'theirs', 'main.stop'))).toBe(false);
  });

  it('ends successfully when only the command output (repo-ls) is cut short, as pgBackRest does', async () => {
    const dir = makeTempDir('pgbr-epipe-');
    writeFileSync(join(dir, 'some-file'), 'x');
    const args = [`--repo1-path=${dir}`, '--log-level-file=off', 'repo-ls'];
    const cli = ourCli();
    const mine = await withStdoutClosed(cli.cmd, [...cli.args, ...args]);
    const theirsRun = await withStdoutClosed(theirCli(), args);
    expect(theirsRun).toEqual({ code: 0, stderr: '' });
    expect(mine).toEqual({ code: 0, stderr: '' });
  });
});
