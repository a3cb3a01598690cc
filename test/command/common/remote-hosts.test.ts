import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ours, writeConf } from '../../harness/cli.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../../harness/tmp.js';

afterAll(() => removeAllTempDirs());

/** A posix repo path and a pg1-path on this host, with a repo host or a second cluster's host named in the config. */
function setup(extra: Record<string, string>): { dir: string; repo: string; conf: string; segment: string } {
  const dir = makeTempDir();
  chownToPostgres(dir);
  const repo = join(dir, 'repo');
  const pg = join(dir, 'pg');
  mkdirSync(join(pg, 'pg_wal'), { recursive: true });
  const segment = join(pg, 'pg_wal', '000000010000000000000001');
  writeFileSync(segment, Buffer.alloc(1024));
  const conf = writeConf(dir, {
    global: { 'repo1-path': repo, 'lock-path': join(dir, 'lock'), 'log-path': join(dir, 'log'), 'log-level-file': 'off', ...extra },
    demo: { 'pg1-path': pg },
  });
  return { dir, repo, conf, segment };
}

describe('remote hosts, which pgbackrest-ts does not reach', () => {
  it('a repo host fails archive-push with [067] and writes nothing to the local repo path', async () => {
    const s = setup({ 'repo1-host': 'backup.example' });
    const r = await ours([`--config=${s.conf}`, '--stanza=demo', 'archive-push', s.segment], { asRoot: true });
    expect(r.code).toBe(67);
    expect(r.stderr).toContain("ERROR: [067]: repo1-host 'backup.example' is set, but pgbackrest-ts does not support remote hosts");
    expect(r.stderr).toContain('HINT: run the command on the repository host');
    expect(readdirSync(s.dir).sort()).not.toContain('repo');
  });

  it('a repo host fails info instead of reporting the local path', async () => {
    const s = setup({ 'repo1-host': 'backup.example' });
    const r = await ours([`--config=${s.conf}`, '--stanza=demo', 'info'], { asRoot: true });
    expect(r.code).toBe(67);
    expect(r.stdout).toBe('');
  });

  it('stop and start, which touch no repository, still work', async () => {
    const s = setup({ 'repo1-host': 'backup.example' });
    for (const cmd of ['stop', 'start']) {
      const r = await ours([`--config=${s.conf}`, '--stanza=demo', cmd], { asRoot: true });
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('a pg host fails the commands that connect to every cluster, and only those', async () => {
    const s = setup({});
    const args = [`--config=${s.conf}`, '--stanza=demo', '--pg2-host=standby.example', '--pg2-path=/var/lib/postgresql/15/main'];
    const check = await ours([...args, 'check'], { asRoot: true });
    expect(check.code).toBe(67);
    expect(check.stderr).toContain("ERROR: [067]: pg2-host 'standby.example' is set");
    // archive-get never uses pg2: it goes on (and finds no archive.info)
    const get = await ours([...args, 'archive-get', '000000010000000000000001', join(s.dir, 'x')], { asRoot: true });
    expect(get.code).not.toBe(67);
  });
});
