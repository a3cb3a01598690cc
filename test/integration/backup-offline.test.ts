/**
 * Offline backups (--no-online) of a stopped cluster, compared with pgBackRest 2.45 backing up the
 * same stopped cluster: the same manifest entries and options, pg_wal included, no WAL or [db]
 * keys, tablespaces named ts<oid>; refused while postmaster.pid exists. 2.45 restores ours.
 */
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest, type Manifest } from '../../src/repo/manifest.js';
import { ours, theirs } from '../harness/cli.js';
import { chownToPostgres, chownTreeToPostgres } from '../harness/tmp.js';
import { sharedBackupEnv, pgbench, restoreAndSnapshot, snapshot, theirVerify, type Snapshot } from './backup-helpers.js';

let tsOid: string;
const env = sharedBackupEnv({}, {
  setup: async () => {
    await pgbench(env.cluster, ['-i', '-s', '1']);
    const tsDir = join(env.dir, 'ts1');
    mkdirSync(tsDir);
    chownToPostgres(tsDir);
    await env.cluster.psql(`CREATE TABLESPACE ts1 LOCATION '${tsDir}'`);
    await env.cluster.psql('CREATE TABLE in_ts (id int) TABLESPACE ts1; INSERT INTO in_ts SELECT generate_series(1, 1000)');
    tsOid = (await env.cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'ts1'")).trim();
  },
  timeoutMs: 180_000,
});

const labels = (text: string): string[] => [...text.matchAll(/^(\d{8}-\d{6}F(?:_\d{8}-\d{6}[DI])?)=/gm)].map((m) => m[1]!);

describe('offline backup', () => {
  it('is refused [038] while postmaster.pid exists, as 2.45 refuses it', async () => {
    const mine = await ours([...env.args, '--no-online', '--type=full', 'backup']);
    const ref = await theirs([...env.args, '--no-online', '--type=full', 'backup']);
    const text = 'ERROR: [038]: --no-online passed but postmaster.pid exists - looks like PostgreSQL is running. Shut down PostgreSQL and try again, or use --force.\n';
    expect([mine.code, mine.stderr.split('\n').filter((l) => l.startsWith('ERROR')).join('\n') + '\n']).toEqual([38, text]);
    expect([ref.code, ref.stderr.split('\n').filter((l) => l.startsWith('ERROR')).join('\n') + '\n']).toEqual([38, text]);
    expect(labels(readFileSync(join(env.dir, 'repo', 'backup', 'demo', 'backup.info'), 'utf8'))).toEqual([]);
  });

  it('of the stopped cluster holds what 2.45 holds, and 2.45 restores it', async () => {
    const before: Snapshot = await snapshot(env.cluster);
    await env.cluster.stop('fast');
    const theirRepo = join(env.dir, 'repo-theirs');
    cpSync(join(env.dir, 'repo'), theirRepo, { recursive: true });
    chownTreeToPostgres(theirRepo);

    const mine = await ours([...env.args, '--no-online', '--type=full', '--log-level-console=info', 'backup']);
    expect(mine.code, mine.stderr).toBe(0);
    const ref = await theirs([...env.args, `--repo1-path=${theirRepo}`, '--no-online', '--type=full', '--log-level-console=info', 'backup']);
    expect(ref.code, ref.stderr).toBe(0);
    // the same lines, but for the label, sizes and times
    const lines = (out: string): string[] =>
      out.split('\n')
        .filter((l) => !/command (begin|end)/.test(l))
        .map((l) => l.replace(/^\S+ \S+ P00 +/, '').replace(/\d{8}-\d{6}F/g, 'L').replace(/size = [^,]+,/, 'size = N,'));
    expect(lines(mine.stdout + mine.stderr)).toEqual(lines(ref.stdout + ref.stderr));

    const manifestIn = (repo: string): Manifest => {
      const info = readFileSync(join(repo, 'backup', 'demo', 'backup.info'), 'utf8');
      const label = labels(info).at(-1)!;
      expect(info).toMatch(new RegExp(`${label}=\\{[^\\n]*"backup-archive-start":null,"backup-archive-stop":null,`));
      expect(info).toMatch(new RegExp(`${label}=\\{[^\\n]*"option-archive-check":false,[^\\n]*"option-online":false\\}`));
      return parseManifest(readFileSync(join(repo, 'backup', 'demo', label, 'backup.manifest')));
    };
    const m = manifestIn(join(env.dir, 'repo'));
    const t = manifestIn(theirRepo);
    const entries = (x: Manifest) => x.files.map((f) => [f.name, f.size, f.checksum, f.mode, f.user, f.group, f.timestamp, f.checksumPage]);
    expect(entries(m)).toEqual(entries(t));
    expect(m.files.some((f) => /^pg_data\/pg_wal\/[0-9A-F]{24}$/.test(f.name))).toBe(true);
    expect(m.options).toEqual(t.options);
    expect(m.options.online).toBe(false);
    expect(m.databases).toEqual([]);
    expect(m.targets).toEqual(t.targets);
    expect(m.targets.find((x) => x.tablespaceId === Number(tsOid))?.tablespaceName).toBe(`ts${tsOid}`);
    expect(m.backup.archiveStart).toBeUndefined();
    expect(m.backup.lsnStart).toBeUndefined();
    expect(m.backup.timestampCopyStart).toBe(m.backup.timestampStart);
    // no [db] section and no WAL keys, as in 2.45's
    const text = readFileSync(join(env.dir, 'repo', 'backup', 'demo', labels(readFileSync(join(env.dir, 'repo', 'backup', 'demo', 'backup.info'), 'utf8')).at(-1)!, 'backup.manifest'), 'utf8');
    expect(text).not.toMatch(/^\[db\]$|^backup-archive-start=|^backup-lsn-start=/m);

    const verified = await theirVerify(env);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).not.toMatch(/(missing|checksum invalid|size invalid|other): [1-9]|status: invalid/);
    await env.cluster.start();
    expect(await restoreAndSnapshot(env, labels(readFileSync(join(env.dir, 'repo', 'backup', 'demo', 'backup.info'), 'utf8')).at(-1)!, { tool: 'theirs', mapTablespaces: true, recovery: 'none' })).toEqual(before);
  }, 300_000);
});
