/**
 * Issue 8: `npm run demo` works from nothing, non-interactively. It exits 0 only after the restored
 * cluster passed its data check, prints each command before its output, adds nothing to the
 * output when stdout is not a terminal (no progress line), and leaves no files behind.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT, runCmd } from '../harness/run.js';

describe('npm run demo', () => {
  it('backs up to S3, restores to a point in time and checks the rows', async () => {
    const r = await runCmd(process.execPath, [join(REPO_ROOT, 'demo', 'run.mjs')], { cwd: REPO_ROOT, timeoutMs: 400_000 });
    const out = r.stdout;
    expect(r.code, `${out}\n${r.stderr}`).toBe(0);

    expect(out).toMatch(/^data check: passed \(before-1, before-2 present; after-1 absent; pgbench_accounts has all 100000 rows\)$/m);
    for (const step of ['stanza-create', 'check', '--type=full backup', '--type=incr backup']) {
      expect(out).toContain(`\n$ pgbackrest --stanza=demo --log-level-console=info ${step}\n`);
    }
    expect(out).toContain('\n$ pgbackrest --stanza=demo info\n');
    expect(out).toMatch(/\n\$ pgbackrest --stanza=demo --log-level-console=info --type=time "--target=[\d-]+ [\d:.]+\+00" --target-action=promote --archive-mode=off --pg1-path=\S+ restore\n/);
    // real output follows each command
    expect(out).toMatch(/P00   INFO: new backup label = \d{8}-\d{6}F\n/);
    expect(out).toMatch(/P00   INFO: repo1: restore backup set \d{8}-\d{6}F_\d{8}-\d{6}I, recovery will start at /);
    expect(out).toContain('\nrepo1-retention-full=2\n');
    expect(out).toContain('\n[global:archive-push]\ncompress-level=3\n');
    expect(out).not.toContain('unable to open log file');
    expect(out).not.toContain('\x1b[');

    const conf = /PGBACKREST_CONFIG=(\S+)/.exec(out)![1]!;
    const pgdata = /^PostgreSQL \d+ in (\S+),/m.exec(out)![1]!;
    const restored = /--pg1-path=(\S+) restore/.exec(out)![1]!;
    for (const path of [dirname(conf), dirname(pgdata), dirname(restored)]) expect(existsSync(path), path).toBe(false);
  }, 420_000);
});
