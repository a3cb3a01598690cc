/**
 * Issue 6: the check command against a real cluster that archives with our archive-push into two
 * repos, and the broken settings it must report, each compared with pgBackRest 2.45's check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startCluster, type Cluster } from '../harness/pg.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { ourArchiveCommand, ours, theirs, writeConf, maskRun } from '../harness/cli.js';
import { type RunResult } from '../harness/run.js';

let cluster: Cluster;
let work: string;
let args: string[];
let archiveCommand: string;

beforeAll(async () => {
  work = makeTempDir('pgbr-check-');
  const conf = join(work, 'pgbackrest.conf');
  archiveCommand = ourArchiveCommand(conf, 'demo');
  cluster = await startCluster({ conf: { archive_mode: 'on', archive_command: `'${archiveCommand}'`, wal_level: 'replica' } });
  writeConf(work, {
    global: {
      'repo1-path': join(work, 'repo1'),
      'repo2-path': join(work, 'repo2'),
      'lock-path': join(work, 'lock'),
      'log-path': join(work, 'log'),
      'log-level-file': 'off',
    },
    demo: { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir },
  });
  args = [`--config=${conf}`, '--stanza=demo', '--log-level-console=info'];
  expect((await ours([...args, 'stanza-create'])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await cluster?.cleanup();
  removeAllTempDirs();
});

/** Output without timestamps, durations, exec ids, segment names and checksums. */
function normalize(r: RunResult): string {
  return maskRun(`${r.code}\n${r.stdout}${r.stderr}`)
    .replace(/[0-9A-F]{24}(-[0-9a-f]{40})?/g, (_m, sha: string | undefined) => (sha ? 'SEG-SHA' : 'SEG'))
    .replace(/\/[0-9A-F]{16}\//g, '/DIR/');
}

async function setArchiveCommand(command: string): Promise<void> {
  await cluster.query(`ALTER SYSTEM SET archive_command = '${command.replace(/'/g, "''")}'`);
  await cluster.query('SELECT pg_reload_conf()');
  for (let i = 0; i < 50; i++) {
    const [row] = await cluster.query<{ v: string }>("SELECT current_setting('archive_command') AS v");
    if (row?.v === command) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('archive_command not reloaded');
}

describe('check', () => {
  it('switches WAL and finds the segment in every repo, printing what pgBackRest prints', async () => {
    const r = await ours([...args, 'check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => l.replace(/^\S+ \S+ /, ''));
    expect(lines).toHaveLength(8);
    expect(lines[5]).toBe('P00   INFO: check repo2 archive for WAL (primary)');
    expect(lines[1]).toBe('P00   INFO: check repo1 configuration (primary)');
    expect(lines[2]).toBe('P00   INFO: check repo2 configuration (primary)');
    expect(lines[3]).toBe('P00   INFO: check repo1 archive for WAL (primary)');
    for (const [i, repo] of [[4, 'repo1'], [6, 'repo2']] as const) {
      const m = /^P00 {3}INFO: WAL segment ([0-9A-F]{24}) successfully archived to '(.+)' on (repo\d)$/.exec(lines[i]!);
      expect(m?.[3]).toBe(repo);
      expect(m?.[2]).toMatch(new RegExp(`^${work}/${repo}/archive/demo/15-1/${m![1]!.slice(0, 16)}/${m![1]}-[0-9a-f]{40}\\.gz$`));
      expect(existsSync(m![2]!)).toBe(true);
    }
    // a new segment each time: the restore point gives an idle server something to switch
    const again = await ours([...args, 'check']);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/WAL segment (\S+)/)?.[1]).not.toBe(r.stdout.match(/WAL segment (\S+)/)?.[1]);
    expect(normalize(again)).toBe(normalize(await theirs([...args, 'check'])));
  });

  it('fails with [082] within archive-timeout when archive_command fails', async () => {
    await setArchiveCommand('false pgbackrest');
    try {
      const started = Date.now();
      const r = await ours([...args, '--archive-timeout=3', 'check']);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.code).toBe(82);
      expect(r.stderr).toMatch(/^ERROR: \[082\]: WAL segment [0-9A-F]{24} was not archived before the 3000ms timeout\n/);
      expect(normalize(r)).toBe(normalize(await theirs([...args, '--archive-timeout=3', 'check'])));
    } finally {
      await setArchiveCommand(archiveCommand);
    }
  });

  it('rejects an archive_command without pgbackrest with [068]', async () => {
    await setArchiveCommand('false');
    try {
      const r = await ours([...args, 'check']);
      expect(r.code).toBe(68);
      expect(r.stderr).toBe("ERROR: [068]: archive_command 'false' must contain pgbackrest\n");
      expect(normalize(r)).toBe(normalize(await theirs([...args, 'check'])));
    } finally {
      await setArchiveCommand(archiveCommand);
    }
  });

  it('on a standby alone is [027] primary database not found, as in 2.45', async () => {
    const signal = join(cluster.pgdata, 'standby.signal');
    writeFileSync(signal, '');
    chownToPostgres(signal);
    await cluster.stop();
    await cluster.start();
    try {
      const r = await ours([...args, 'check']);
      expect(r.code, r.stderr).toBe(27);
      expect(r.stderr).toBe('ERROR: [027]: primary database not found\n       HINT: check indexed pg-path/pg-host configurations\n');
      expect(normalize(r)).toBe(normalize(await theirs([...args, 'check'])));
    } finally {
      unlinkSync(signal);
      await cluster.stop();
      await cluster.start();
    }
  });

  it('with no cluster to connect to is [027] no database found, as in 2.45 (backup says [056])', async () => {
    const down = [...args, `--pg1-port=${await freePort()}`];
    const r = await ours([...down, 'check']);
    expect(r.code, r.stderr).toBe(27);
    expect(r.stderr).toMatch(/^WARN: unable to check pg1: \[DbConnectError\] unable to connect to /);
    expect(r.stderr).toMatch(/\nERROR: \[027\]: no database found\n {7}HINT: check indexed pg-path\/pg-host configurations\n$/);
    expect(normalize(r)).toBe(normalize(await theirs([...down, 'check'])));
  });

  it('rejects archive_mode=off with [087]', async () => {
    await cluster.query('ALTER SYSTEM SET archive_mode = off');
    await cluster.stop();
    await cluster.start();
    const r = await ours([...args, 'check']);
    expect(r.code).toBe(87);
    expect(r.stderr).toBe('ERROR: [087]: archive_mode must be enabled\n');
    expect(normalize(r)).toBe(normalize(await theirs([...args, 'check'])));
  });
});
