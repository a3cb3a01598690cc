/**
 * Command lines and config files that pgBackRest 2.45 refuses or reads in a particular way, run
 * through both tools: exit code, stdout and stderr must be the same. Each case uses its own
 * directory and config file, so neither tool reads /etc/pgbackrest.conf.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ours, theirs } from '../harness/cli.js';
import { chownToPostgres, makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

afterAll(() => removeAllTempDirs());

interface Case {
  args: string[];
  /** Main config file text (default: an empty file). */
  conf?: string;
  /** Include directory files: name → text. */
  include?: Record<string, string>;
}

async function both(c: Case): Promise<void> {
  const dir = makeTempDir('pgbr-cli-cmp-');
  chownToPostgres(dir);
  const conf = join(dir, 'pgbackrest.conf');
  writeFileSync(conf, c.conf ?? '');
  // a case may name its own --config
  const args = [...(c.args.some((a) => a.startsWith('--config=')) ? [] : [`--config=${conf}`]), `--lock-path=${join(dir, 'lock')}`, '--log-level-file=off'];
  if (c.include !== undefined) {
    const inc = join(dir, 'conf.d');
    mkdirSync(inc);
    for (const [name, text] of Object.entries(c.include)) writeFileSync(join(inc, name), text);
    args.push(`--config-include-path=${inc}`);
  }
  const full = [...args, ...c.args.map((a) => a.replaceAll('@DIR@', dir))];
  const mine = await ours(full, { asRoot: true });
  const ref = await theirs(full, { asRoot: true });
  const norm = (s: string) => s.replaceAll(dir, '@DIR@');
  expect({ code: mine.code, stdout: norm(mine.stdout), stderr: norm(mine.stderr) }, full.join(' ')).toEqual({
    code: ref.code, stdout: norm(ref.stdout), stderr: norm(ref.stderr),
  });
}

describe('the command line as pgBackRest 2.45 reads it', () => {
  it('refuses a --repo that names no configured repository', async () => {
    await both({ args: ['--stanza=x', '--repo1-path=@DIR@/repo', '--repo=2', 'info'] });
    await both({ args: ['--stanza=x', '--repo3-path=@DIR@/repo', '--repo=1', 'info'] });
  });

  it('refuses a protocol-timeout not above a given db-timeout, and a compress-level outside the type\'s range', async () => {
    await both({ args: ['--stanza=x', '--repo1-path=@DIR@/repo', '--pg1-path=@DIR@/pg', '--db-timeout=60s', '--protocol-timeout=60', 'check'] });
    await both({ args: ['--stanza=x', '--repo1-path=@DIR@/repo', '--pg1-path=@DIR@/pg', '--compress-type=gz', '--compress-level=10', 'archive-push', '@DIR@/pg/pg_wal/000000010000000000000001'] });
    await both({ args: ['--stanza=x', '--repo1-path=@DIR@/repo', '--pg1-path=@DIR@/pg', '--compress-type=lz4', '--compress-level=-6', 'archive-push', '@DIR@/pg/pg_wal/000000010000000000000001'] });
  });

  it('reads time values with strtod: 60s is 60, abc and -1 are refused', async () => {
    for (const v of ['60s', '1e2', 'abc', '-1', 'inf']) await both({ args: ['--stanza=x', '--repo1-path=@DIR@/repo', `--io-timeout=${v}`, 'info'] });
  });

  it('counts archive-push and archive-get parameters first', async () => {
    await both({ args: ['--stanza=x', '--repo1-path=@DIR@/repo', '--pg1-path=@DIR@/pg', 'archive-push', 'a', 'b'] });
    await both({ args: ['--stanza=x', '--repo1-path=@DIR@/repo', '--pg1-path=@DIR@/pg', 'archive-get', 'a', 'b', 'c'] });
  });

  it('says an empty string or path value must have a character', async () => {
    await both({ args: ['--stanza=', 'info'] });
    await both({ args: ['--stanza=x', '--repo1-path=', 'info'] });
  });

  it('refuses arguments on --no- and --reset- forms, single dashes, and names the whole invalid argument', async () => {
    for (const a of ['--no-archive-check=y', '--reset-io-timeout=x', '-v', '-stanza=x', '---x', '--foo=bar', '--STANZA=x']) {
      await both({ args: [a, 'info'] });
    }
  });
});

describe('answers that do not need a usable configuration, or carry hints', () => {
  it('version and help ignore a missing or malformed config file', async () => {
    await both({ args: ['--config=@DIR@/missing.conf', 'version'] });
    await both({ conf: 'garbage\n', args: ['version'] });
    const dir = makeTempDir('pgbr-cli-cmp-');
    const r = await ours([`--config=${join(dir, 'missing.conf')}`, 'version'], { asRoot: true });
    expect(r).toEqual({ code: 0, stdout: 'pgBackRest 2.45\n', stderr: '' });
  });

  it('expire without backup.info gives the load error with its hints', async () => {
    await both({ args: ['--stanza=x', '--repo1-path=@DIR@/repo', '--repo1-retention-full=1', 'expire'] });
  });
});

describe('config files as pgBackRest 2.45 reads them', () => {
  it('prints the config file\'s warnings before an error the options then give', async () => {
    await both({ conf: '[global]\nset=x\n', args: ['--stanza=x', '--repo1-path=@DIR@/repo', '--io-timeout=abc', 'info'] });
  });

  it('refuses an empty section and a byte order mark, and counts lines per file', async () => {
    await both({ conf: '[]\nx=1\n', args: ['--stanza=x', 'info'] });
    await both({ conf: '\ufeff[global]\nrepo1-path=/x\n', args: ['--stanza=x', 'info'] });
    await both({ conf: '[global]\nrepo1-path=@DIR@/repo\n\n', include: { 'a.conf': '[global]\nx\n' }, args: ['--stanza=x', 'info'] });
    await both({ conf: '[global]\nrepo1-path=@DIR@/repo\n', include: { 'a.conf': '[global]\nlog-level-console=warn\n', 'b.conf': 'garbage\n' }, args: ['--stanza=x', 'info'] });
  });
});
