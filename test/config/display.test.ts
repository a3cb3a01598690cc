import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';

// Expected option strings are the `command begin` lines printed by the real pgBackRest 2.45 for the
// same arguments, environment and config file (captured with /usr/bin/pgbackrest; only the config
// file path is substituted because the fixture lives elsewhere).
const SEED = new URL('./fixtures/seed.conf', import.meta.url).pathname;
const COMMON = ['--stanza=demo', '--log-level-console=info', '--log-level-stderr=off', '--no-log-timestamp',
  '--log-path=/tmp/cfgt', '--lock-path=/tmp/cfgt'];
const fromReal = (s: string) => s.replaceAll('/tmp/cfgt/seed.conf', SEED);

describe('displayOptions matches pgBackRest 2.45', () => {
  it('stanza-create with the seed config', () => {
    const cfg = parseConfig([`--config=${SEED}`, ...COMMON, 'stanza-create'], {}, { execId: '8919-76c696cc' });
    expect(cfg.displayOptions()).toBe(fromReal(
      '--config=/tmp/cfgt/seed.conf --exec-id=8919-76c696cc --lock-path=/tmp/cfgt --log-level-console=info ' +
      '--log-level-stderr=off --log-path=/tmp/cfgt --no-log-timestamp --pg1-path=/var/lib/postgresql/9.4/demo ' +
      '--repo1-cipher-type=none --repo1-path=/ --repo1-s3-bucket=demo-bucket --repo1-s3-endpoint=s3.amazonaws.com ' +
      '--repo1-s3-key=<redacted> --repo1-s3-key-secret=<redacted> --repo1-s3-region=us-east-1 ' +
      '--no-repo1-storage-verify-tls --repo1-type=s3 --stanza=demo'));
  });

  it('backup with the seed config', () => {
    const cfg = parseConfig([`--config=${SEED}`, ...COMMON, 'backup'], {}, { execId: '8921-9435ce70' });
    expect(cfg.displayOptions()).toBe(fromReal(
      '--config=/tmp/cfgt/seed.conf --exec-id=8921-9435ce70 --lock-path=/tmp/cfgt --log-level-console=info ' +
      '--log-level-stderr=off --log-path=/tmp/cfgt --no-log-timestamp --pg1-path=/var/lib/postgresql/9.4/demo ' +
      '--process-max=4 --repo1-cipher-type=none --repo1-path=/ --repo1-retention-diff=2 --repo1-retention-full=2 ' +
      '--repo1-s3-bucket=demo-bucket --repo1-s3-endpoint=s3.amazonaws.com --repo1-s3-key=<redacted> ' +
      '--repo1-s3-key-secret=<redacted> --repo1-s3-region=us-east-1 --no-repo1-storage-verify-tls --repo1-type=s3 ' +
      '--stanza=demo --start-fast --stop-auto'));
  });

  it('archive-push with the seed config ([global:archive-push] compress-level)', () => {
    const cfg = parseConfig([`--config=${SEED}`, ...COMMON, 'archive-push'], {}, { execId: '21596-69eb1571' });
    expect(cfg.displayOptions()).toBe(fromReal(
      '--compress-level=3 --config=/tmp/cfgt/seed.conf --exec-id=21596-69eb1571 --lock-path=/tmp/cfgt ' +
      '--log-level-console=info --log-level-stderr=off --log-path=/tmp/cfgt --no-log-timestamp ' +
      '--pg1-path=/var/lib/postgresql/9.4/demo --process-max=4 --repo1-cipher-type=none --repo1-path=/ ' +
      '--repo1-s3-bucket=demo-bucket --repo1-s3-endpoint=s3.amazonaws.com --repo1-s3-key=<redacted> ' +
      '--repo1-s3-key-secret=<redacted> --repo1-s3-region=us-east-1 --no-repo1-storage-verify-tls --repo1-type=s3 ' +
      '--stanza=demo'));
  });

  it('restore with env secrets, deprecated env name, hashes and quoting', () => {
    const env = {
      PGBACKREST_REPO1_CIPHER_PASS: 'secret', PGBACKREST_REPO1_CIPHER_TYPE: 'aes-256-cbc',
      PGBACKREST_REPO_PATH: '/r2/', PGBACKREST_DB_INCLUDE: 'a:b',
    };
    const cfg = parseConfig(['--no-config', '--lock-path=/tmp/cfgt', '--log-path=/tmp/cfgt', '--stanza=demo',
      '--log-level-console=info', '--pg1-path=/p', '--no-log-timestamp', '--archive-mode=off', '--type=default', 'restore',
      '--set=x', '--recovery-option=a=b', '--recovery-option=c=d e', '--tablespace-map=t=/x', '--link-map= a=b', '--delta',
      '--process-max', '3', '--db-include=c', '--recovery-option=a=z'], env, { execId: '24112-2a4a04c3' });
    expect(cfg.displayOptions()).toBe(
      '--archive-mode=off --no-config --db-include=c --delta --exec-id=24112-2a4a04c3 --link-map=" a=b" ' +
      '--lock-path=/tmp/cfgt --log-level-console=info --log-path=/tmp/cfgt --no-log-timestamp --pg1-path=/p ' +
      '--process-max=3 --recovery-option=a=z --recovery-option="c=d e" --repo1-cipher-pass=<redacted> ' +
      '--repo1-cipher-type=aes-256-cbc --repo1-path=/r2/ --set=x --stanza=demo --tablespace-map=t=/x --type=default');
    expect(cfg.str('repo1-path')).toBe('/r2');
    expect(cfg.str('repo1-cipher-pass')).toBe('secret');
    expect(cfg.source('repo1-cipher-pass')).toBe('env');
    expect(cfg.list('db-include')).toEqual(['c']);
    expect(cfg.hash('recovery-option')).toEqual({ a: 'z', c: 'd e' });
  });

  it('shows --reset- options where pgBackRest 2.45 shows them, in option order', () => {
    const cfg = parseConfig(['--no-config', '--stanza=x', '--reset-repo1-retention-full', '--reset-io-timeout', '--reset-repo1-path',
      '--log-level-console=info', 'expire'], {}, { execId: '1-a' });
    expect(cfg.displayOptions()).toBe(
      '--no-config --exec-id=1-a --reset-io-timeout --log-level-console=info --reset-repo1-path --reset-repo1-retention-full --stanza=x');
    expect(cfg.source('io-timeout')).toBe('default');
    expect(cfg.get('io-timeout')).toBe(60);
  });

  it('archive-get shows values exactly as given (units, decimals, trailing slash)', () => {
    const cfg = parseConfig(['--no-config', '--lock-path=/tmp/cfgt/', '--log-path=/tmp/cfgt', '--stanza=demo',
      '--log-level-console=info', '--no-log-timestamp', '--pg1-path=/p/', '--buffer-size=64kb', '--archive-timeout=5.50',
      '--protocol-timeout=100', '--db-timeout=60', '--io-timeout=1.5', '--process-max=02', '--archive-get-queue-max=1GB',
      '--archive-async', '--spool-path=/tmp/cfgt/sp/', 'archive-get', '000000010000000000000001', 'pg_wal/RECOVERY XLOG'],
    {}, { execId: '24169-0346f730' });
    expect(cfg.displayOptions()).toBe(
      '--archive-async --archive-get-queue-max=1GB --archive-timeout=5.50 --buffer-size=64kb --no-config ' +
      '--db-timeout=60 --exec-id=24169-0346f730 --io-timeout=1.5 --lock-path=/tmp/cfgt/ --log-level-console=info ' +
      '--log-path=/tmp/cfgt --no-log-timestamp --pg1-path=/p/ --process-max=02 --protocol-timeout=100 ' +
      '--spool-path=/tmp/cfgt/sp/ --stanza=demo');
    expect(cfg.get('buffer-size')).toBe(65536);
    expect(cfg.get('archive-timeout')).toBe(5.5);
    expect(cfg.get('archive-get-queue-max')).toBe(1024 ** 3);
    expect(cfg.get('process-max')).toBe(2);
    expect(cfg.get('pg1-path')).toBe('/p');
    expect(cfg.params).toEqual(['000000010000000000000001', 'pg_wal/RECOVERY XLOG']);
  });
});
