/**
 * Issue 4, one cell of the backup matrix: full, pgbench writes, diff, more writes, incr; each
 * backup restored (by pgBackRest 2.45 where it supports the major) and compared with the source
 * as it was when the backup finished; then pgBackRest's verify and info judge the repo.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { s3RepoConf } from '../harness/cli.js';
import { s3Target } from '../harness/s3.js';
import { availableVersions } from '../harness/pg.js';
import { backup, sharedBackupEnv, pgbench, restoreAndSnapshot, snapshot, theirInfo, theirVerify, type Snapshot } from './backup-helpers.js';

export interface MatrixCell {
  version: number;
  repo: 'posix' | 's3';
  compress: 'gz' | 'lz4' | 'zst';
  encrypted: boolean;
}

const PASS = 'BackupMatrixPassphrase-0123456789';

export function backupMatrixSuite(cell: MatrixCell): void {
  const name = `PG${cell.version}/${cell.repo}/${cell.compress}/${cell.encrypted ? 'encrypted' : 'plain'}`;
  describe.skipIf(!availableVersions().includes(cell.version))(`backup ${name}`, () => {
    const taken: Array<{ type: string; label: string; snap: Snapshot }> = [];
    const env = sharedBackupEnv(
      {
        version: cell.version,
        repo: (dir) => ({
          ...(cell.repo === 's3' ? s3RepoConf(s3Target(), dir) : { 'repo1-path': join(dir, 'repo') }),
          ...(cell.encrypted ? { 'repo1-cipher-type': 'aes-256-cbc', 'repo1-cipher-pass': PASS } : {}),
        }),
        global: { 'compress-type': cell.compress },
      },
      { timeoutMs: 120_000 },
    );

    it('takes full, diff and incr backups between pgbench runs', async () => {
      await pgbench(env.cluster, ['-i', '-s', '1', '-q']);
      for (const type of ['full', 'diff', 'incr']) {
        if (type !== 'full') await pgbench(env.cluster, ['-t', '200', '-c', '2', '-n']);
        const { label } = await backup(env, type);
        taken.push({ type, label, snap: await snapshot(env.cluster) });
      }
      expect(new Set(taken.map((t) => t.snap.history)).size).toBe(3);
    }, 300_000);

    it('pgBackRest info lists the three backups with their types, priors and references', async () => {
      const [stanza] = await theirInfo(env);
      expect(stanza.status.code).toBe(0);
      const [full, diff, incr] = taken.map((t) => t.label);
      expect(stanza.backup.map((b) => [b.label, b.type, b.prior, b.reference])).toEqual([
        [full, 'full', null, null],
        [diff, 'diff', full, [full]],
        [incr, 'incr', diff, [full, diff]],
      ]);
      for (const b of stanza.backup.slice(1)) expect(b.info.delta).toBeLessThan(b.info.size);
    });

    // 2.45 knows no WAL magic after PG 15 (it stops with [046]); there only restore judges the backups
    it.skipIf(cell.version > 15)('pgBackRest verify finds the repo valid', async () => {
      const r = await theirVerify(env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('status: ok');
      expect(r.stdout).not.toMatch(/ERROR|WARN|(invalid|missing|other): [1-9]/);
      for (const t of taken) expect(r.stdout).toMatch(new RegExp(`backup: ${t.label}, status: valid`));
    }, 180_000);

    it.each([0, 1, 2])('restores backup %i to the data as it was when the backup finished', async (i) => {
      const t = taken[i];
      expect(t, 'backups were taken').toBeDefined();
      expect(await restoreAndSnapshot(env, t.label)).toEqual(t.snap);
    }, 240_000);
  });
}
