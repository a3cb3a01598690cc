import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { isPgbrError } from '../../src/error/error.js';
import { removeAllTempDirs, tempConf } from '../harness/tmp.js';

const SEED = new URL('./fixtures/seed.conf', import.meta.url).pathname;
const NOENV = {};

function fails(fn: () => unknown): { code: number; full: string } {
  try {
    fn();
  } catch (e) {
    if (isPgbrError(e)) return { code: e.code, full: e.fullMessage };
    throw e;
  }
  throw new Error('expected an error');
}

const conf = tempConf;
afterAll(() => removeAllTempDirs());

describe('seed configuration (S3 repo, [global:archive-push])', () => {
  const args = (cmd: string) => [`--config=${SEED}`, '--stanza=demo', cmd];

  it('resolves for archive-push', () => {
    const cfg = parseConfig([...args('archive-push'), '/pg_wal/000000010000000000000001'], NOENV, { execId: '1-abcdef01' });
    expect(cfg.command).toBe('archive-push');
    expect(cfg.params).toEqual(['/pg_wal/000000010000000000000001']);
    expect(cfg.get('repo1-storage-verify-tls')).toBe(false);
    expect(cfg.source('repo1-storage-verify-tls')).toBe('config');
    expect(cfg.int('compress-level')).toBe(3);
    expect(cfg.int('process-max')).toBe(4);
    expect(cfg.str('repo1-path')).toBe('/');
    expect(cfg.str('repo1-type')).toBe('s3');
    expect(cfg.str('repo1-s3-bucket')).toBe('demo-bucket');
    expect(cfg.str('repo1-s3-key')).toBe('accessKey1');
    expect(cfg.str('pg1-path')).toBe('/var/lib/postgresql/9.4/demo');
    expect(cfg.get('repo1-retention-full')).toBeUndefined();
    expect(cfg.get('start-fast')).toBeUndefined();
    expect(cfg.int('repo1-storage-port')).toBe(443);
    expect(cfg.indexes('repo')).toEqual([1]);
  });

  it('resolves for backup', () => {
    const cfg = parseConfig(args('backup'), NOENV, { execId: '1-abcdef01' });
    expect(cfg.get('compress-level')).toBeUndefined();
    expect(cfg.int('process-max')).toBe(4);
    expect(cfg.int('repo1-retention-full')).toBe(2);
    expect(cfg.int('repo1-retention-diff')).toBe(2);
    expect(cfg.bool('start-fast')).toBe(true);
    expect(cfg.bool('stop-auto')).toBe(true);
    expect(cfg.str('type')).toBe('incr');
    expect(cfg.source('type')).toBe('default');
    expect(cfg.int('pg1-port')).toBe(5432);
    expect(cfg.str('compress-type')).toBe('gz');
    expect(cfg.int('buffer-size')).toBe(1024 * 1024);
    expect(cfg.int('archive-timeout')).toBe(60);
  });
});
