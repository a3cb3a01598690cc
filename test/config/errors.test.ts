import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { parseSize } from '../../src/config/values.js';
import { isPgbrError } from '../../src/error/error.js';
import { removeAllTempDirs, tempConf } from '../harness/tmp.js';

// Codes and messages checked against /usr/bin/pgbackrest 2.45.
function fails(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(argv, env, { execId: '1-00000000' });
  } catch (e) {
    if (isPgbrError(e)) return `${e.code} ${e.fullMessage}`;
    throw e;
  }
  return 'no error';
}

const conf = tempConf;
afterAll(() => removeAllTempDirs());

const N = ['--no-config', '--stanza=a'];
const P = [...N, '--pg1-path=/p'];

describe('command line errors', () => {
  it.each([
    [['--stanza=a'], "30 no command found"],
    [['bogus'], "48 invalid command 'bogus'"],
    [['backup:bogus'], "48 invalid command 'backup:bogus'"],
    [[...N, 'check', 'extra'], '96 command does not allow parameters'],
    [['--stanza=a', '--stanza=b', 'check'], "31 option 'stanza' cannot be set multiple times"],
    [['--repo1-cipher-pass=x', 'check'], "31 option 'repo1-cipher-pass' is not allowed on the command-line\n" +
      'HINT: this option could expose secrets in the process list.\n' +
      'HINT: specify the option in a configuration file or an environment variable instead.'],
    [['--no-config', 'stanza-create'], '37 stanza-create command requires option: stanza'],
    [[...N, 'backup'], '37 backup command requires option: pg1-path\nHINT: does this stanza exist?'],
    [['--pg-path=/x', 'check'], "31 option 'pg-path' requires an index\nHINT: add the required index, e.g. pg1-path."],
    [[...P, '--process-max=0', 'backup'], "32 '0' is out of range for 'process-max' option"],
    [[...P, '--process-max=1.5', 'backup'], "32 '1.5' is not valid for 'process-max' option"],
    [[...P, '--compress-type=xz', 'backup'], "32 'xz' is not allowed for 'compress-type' option"],
    [['--archive-async=x', 'archive-push'], "32 boolean option '--archive-async' argument must be 'y' or 'n'"],
    [[...N, '--pg1-path=rel', 'check'], "32 'rel' must begin with / for 'pg1-path' option"],
    [[...N, '--pg1-path=/a//b', 'check'], "32 '/a//b' cannot contain // for 'pg1-path' option"],
    [[...N, '--pg1-path=/a', '--buffer-size=3k', 'check'], "32 '3k' is not allowed for 'buffer-size' option"],
    [[...N, '--pg1-path=/a', '--buffer-size=3x', 'check'], "32 '3x' is not valid for 'buffer-size' option"],
    [[...N, '--pg1-path=/a', '--archive-timeout=0', 'check'], "32 '0' is out of range for 'archive-timeout' option"],
    [[...P, '--manifest-save-threshold=2TB', 'backup'], "32 '2TB' is out of range for 'manifest-save-threshold' option"],
    [[...P, '--annotation=foo', 'backup'], "31 key/value 'foo' not valid for 'annotation' option"],
    [[...N, '--pg257-path=/b', 'check'], "31 option 'pg257-path' key exceeds maximum of 256"],
    [[...N, '--pg1-path=/a', '--repo1-s3-bucket=x', 'check'], "31 option 'repo1-s3-bucket' not valid without option 'repo1-type' = 's3'"],
    [[...N, '--pg1-path=/a', '--repo1-type=s3', 'check'], '37 check command requires option: repo1-s3-bucket'],
    [['--start-fast', 'check'], "31 option 'start-fast' not valid for command 'check'"],
    [['--no-config', '--pg1-path=/a', 'info'], "31 option 'pg-path' not valid for command 'info'"],
    [['--no-stanza', 'check'], "31 option 'no-stanza' cannot be negated"],
    [['--reset-stanza', 'check'], "31 option 'reset-stanza' cannot be reset"],
    [[...N, '--pg1-path=/a', '--reset-pg1-path', 'check'], "31 option 'pg1-path' cannot be set and reset"],
    [['--archive-async=n', '--no-archive-async', 'archive-push'], "31 option 'archive-async' is negated multiple times"],
    [['--bogus', 'check'], "31 invalid option '--bogus'"],
    [['check', '--stanza'], "31 option '--stanza' requires an argument"],
    [[...P, '--force', 'backup'], "31 option 'force' not valid without option 'no-online'"],
    [[...P, '--target-action=promote', 'restore'],
      "31 option 'target-action' not valid without option 'type' in ('immediate', 'lsn', 'name', 'time', 'xid')"],
    [[...P, '--type=full', 'restore'], "32 'full' is not allowed for 'type' option"],
    [[...P, '--repo1-bundle', '--repo1-block', 'backup'], "31 option 'repo1-block' is not valid without option 'beta'\n" +
      'HINT: beta features require the --beta option to prevent accidental usage.'],
    [['--config=/nonexistent/x.conf', 'check'], "55 unable to open missing file '/nonexistent/x.conf' for read"],
  ])('%j', (argv, expected) => {
    expect(fails(argv)).toBe(expected);
  });
});

describe('environment', () => {
  it('reads PGBACKREST_* with y/n booleans and : lists, warns on unknown names', () => {
    const cfg = parseConfig([...P, 'restore'], {
      PGBACKREST_DB_INCLUDE: 'a:b', PGBACKREST_DELTA: 'y', PGBACKREST_BOGUS: '1', PGBACKREST_NO_DELTA: 'y',
      PGBACKREST_RESET_LOG_PATH: 'y', PGBACKREST_PROCESS_MAX: '7',
    }, { execId: '1-a' });
    expect(cfg.list('db-include')).toEqual(['a', 'b']);
    expect(cfg.bool('delta')).toBe(true);
    expect(cfg.int('process-max')).toBe(7);
    expect(cfg.source('process-max')).toBe('env');
    expect([...cfg.warnings].sort()).toEqual([
      "environment contains invalid negate option 'no-delta'", "environment contains invalid option 'bogus'",
      "environment contains invalid reset option 'reset-log-path'"]);
  });

  it('rejects bad booleans and empty values', () => {
    expect(fails([...N, 'start'], { PGBACKREST_LOG_TIMESTAMP: 'x' })).toBe("32 environment boolean option 'log-timestamp' must be 'y' or 'n'");
    expect(fails([...N, 'start'], { PGBACKREST_LOG_LEVEL_FILE: '' })).toBe("32 environment variable 'log-level-file' must have a value");
    expect(fails([...N, '--no-log-timestamp', 'start'], { PGBACKREST_LOG_TIMESTAMP: 'x' })).toBe('no error');
  });
});

describe('config files', () => {
  it('applies precedence CLI > env > [stanza:cmd] > [stanza] > [global:cmd] > [global] > default', () => {
    const file = conf('[global]\nprocess-max=1\nbuffer-size=32KiB\ncompress-type=bz2\nrepo1-path=/g\nlog-path=/gl\n' +
      '[global:backup]\nprocess-max=2\nbuffer-size=64KiB\ncompress-type=lz4\nrepo1-path=/gb\n' +
      '[a]\nprocess-max=3\nbuffer-size=128KiB\npg1-path=/p\nrepo1-path=/s\n[a:backup]\nprocess-max=4\nrepo1-path=/sb\n' +
      '[other]\nprocess-max=9\n');
    const cfg = parseConfig([`--config=${file}`, '--stanza=a', '--repo1-path=/cli', 'backup'], { PGBACKREST_PROCESS_MAX: '5' }, {});
    expect(cfg.str('repo1-path')).toBe('/cli');
    expect(cfg.int('process-max')).toBe(5);
    expect(cfg.int('buffer-size')).toBe(128 * 1024);
    expect(cfg.str('compress-type')).toBe('lz4');
    expect(cfg.str('log-path')).toBe('/gl');
    expect(cfg.str('log-level-console')).toBe('warn');
    expect(cfg.source('log-level-console')).toBe('default');
    const noEnv = parseConfig([`--config=${file}`, '--stanza=a', 'backup'], {}, {});
    expect(noEnv.int('process-max')).toBe(4);
    expect(noEnv.str('repo1-path')).toBe('/sb');
    const reset = parseConfig([`--config=${file}`, '--stanza=a', '--reset-process-max', 'backup'], {}, {});
    expect(reset.int('process-max')).toBe(1);
    expect(reset.source('process-max')).toBe('default');
    // shown as pgBackRest 2.45 shows it on the begin line
    expect(reset.displayOptions()).toContain(' --reset-process-max ');
  });

  it('warns like pgBackRest about entries it ignores', () => {
    const file = conf('[global]\nbogus-opt=1\npg1-path=/x\nstanza=foo\nno-log-timestamp=y\nreset-log-path=y\n' +
      '[global:start]\nstart-fast=y\n[demo:archive-get]\nrepo1-retention-full=3\n');
    const cfg = parseConfig([`--config=${file}`, '--stanza=demo', 'archive-get', '--pg1-path=/p'], {}, {});
    expect(cfg.warnings).toEqual([
      "configuration file contains option 'repo1-retention-full' invalid for section 'demo:archive-get'",
      "configuration file contains invalid option 'bogus-opt'",
      "configuration file contains stanza-only option 'pg1-path' in global section 'global'",
      "configuration file contains command-line only option 'stanza'",
      "configuration file contains negate option 'no-log-timestamp'",
      "configuration file contains reset option 'reset-log-path'",
    ]);
  });

  it('rejects duplicates, repeated single values, bad booleans and bad INI', () => {
    const run = (text: string) => fails([`--config=${conf(text)}`, '--stanza=demo', 'start']);
    expect(run('[global]\nrepo1-path=/a\nrepo-path=/b\n'))
      .toBe("31 configuration file contains duplicate options ('repo-path', 'repo1-path') in section '[global]'");
    expect(run('[global]\nlog-path=/a\nlog-path=/b\n')).toBe("31 option 'log-path' cannot be set multiple times");
    expect(run('[global]\nlog-timestamp=x\n')).toBe("32 boolean option 'log-timestamp' must be 'y' or 'n'");
    expect(run('log-path=/a\n')).toBe('29 key/value found outside of section at line 1: log-path=/a');
    expect(run('[global]\nfoo\n')).toBe("29 missing '=' in key/value at line 2: foo");
    expect(run('[global]\n[global\n')).toBe('29 ini section should end with ] at line 2: [global');
  });

  it('maps deprecated names, indexes and repeated list keys', () => {
    const file = conf('[global]\nrepo-path=/r1\nrepo3-path=/r3/\nrepo2-s3-port=9000\nrepo2-type=s3\nrepo2-s3-bucket=b\n' +
      'repo2-s3-endpoint=e\nrepo2-s3-region=r\nrepo2-s3-key=k\nrepo2-s3-key-secret=s\nretention-full=2\n' +
      '[demo]\ndb-path=/pg\ndb2-port=5433\ndb2-path=/pg2\n[global:restore]\ndb-include=x\ndb-include=y\n');
    const cfg = parseConfig([`--config=${file}`, '--stanza=demo', 'restore'], {}, {});
    expect(cfg.indexes('repo')).toEqual([1, 2, 3]);
    expect(cfg.indexes('pg')).toEqual([1, 2]);
    expect(cfg.str('repo1-path')).toBe('/r1');
    expect(cfg.str('repo3-path')).toBe('/r3');
    expect(cfg.str('repo2-path')).toBe('/var/lib/pgbackrest');
    expect(cfg.int('repo2-storage-port')).toBe(9000);
    expect(cfg.str('pg1-path')).toBe('/pg');
    expect(cfg.str('pg2-path')).toBe('/pg2');
    expect(cfg.list('db-include')).toEqual(['x', 'y']);
    expect(cfg.get('repo1-retention-full')).toBeUndefined();
    expect(cfg.get('repo1-s3-bucket')).toBeUndefined();
    const b = parseConfig([`--config=${file}`, '--stanza=demo', 'backup'], {}, {});
    expect(b.int('repo1-retention-full')).toBe(2);
    expect(b.int('pg2-port')).toBe(5433);
  });
});

describe('sizes', () => {
  it('parses every unit as a power of 1024, case-insensitive', () => {
    const units = ['', 'b', 'k', 'kb', 'kib', 'm', 'mb', 'mib', 'g', 'gb', 'gib', 't', 'tb', 'tib', 'p', 'pb', 'pib'];
    fc.assert(fc.property(fc.integer({ min: 0, max: 4096 }), fc.constantFrom(...units), fc.boolean(), (n, unit, upper) => {
      const exp = unit === '' || unit === 'b' ? 0 : 'kmgtp'.indexOf(unit[0]) + 1;
      expect(parseSize(`${n}${upper ? unit.toUpperCase() : unit}`)).toBe(n * 1024 ** exp);
    }));
    expect(parseSize('1.5MB')).toBeUndefined();
    expect(parseSize('12x')).toBeUndefined();
  });
});
