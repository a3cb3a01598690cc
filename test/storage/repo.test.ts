import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import type { OptionValue } from '../../src/config/types.js';
import { PgbrError } from '../../src/error/error.js';
import { PosixStorage } from '../../src/storage/posix.js';
import { closeRepoStorage, repoStorage, s3Options } from '../../src/storage/repo.js';

/** A Config over a plain map: enough for the getters repo.ts uses. */
function config(values: Record<string, OptionValue>): Config {
  const get = (n: string): OptionValue | undefined => values[n];
  const need = (n: string): OptionValue => {
    const v = get(n);
    if (v === undefined) throw new PgbrError('OptionRequiredError', `option '${n}' is required`);
    return v;
  };
  return {
    command: 'repo-ls', params: [], warnings: [],
    get, has: (n) => get(n) !== undefined, source: () => 'config', text: (n) => (get(n) === undefined ? undefined : String(get(n))),
    str: (n) => String(need(n)), int: (n) => Number(need(n)), bool: (n) => need(n) === true,
    strOpt: (n) => (get(n) === undefined ? undefined : String(get(n))),
    intOpt: (n) => (get(n) === undefined ? undefined : Number(get(n))),
    list: () => [], hash: () => ({}), indexes: () => [1], displayOptions: () => '',
  };
}

describe('repoStorage', () => {
  afterEach(() => closeRepoStorage());

  it('builds a posix driver rooted at repoN-path and caches it per index', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgbr-repo-'));
    const cfg = config({ 'repo2-type': 'posix', 'repo2-path': dir });
    const a = await repoStorage(cfg, 2);
    expect(a).toBeInstanceOf(PosixStorage);
    expect((a as PosixStorage).root).toBe(dir);
    expect(await repoStorage(cfg, 2)).toBe(a);
    await a.write('f', Buffer.from('x'));
    expect(await a.info('f')).toMatchObject({ type: 'file', size: 1 });
    await rm(dir, { recursive: true });
  });

  it('treats cifs as posix and defaults the path', async () => {
    const d = await repoStorage(config({ 'repo1-type': 'cifs' }), 1);
    expect(d.type).toBe('posix');
    expect((d as PosixStorage).root).toBe('/var/lib/pgbackrest');
  });

  it('refuses gcs and azure with FeatureNotSupportedError', async () => {
    for (const type of ['gcs', 'azure']) {
      const e = await repoStorage(config({ 'repo1-type': type }), 1).catch((x: unknown) => x);
      expect([(e as PgbrError).type, (e as PgbrError).message]).toEqual([
        'FeatureNotSupportedError', `repo1-type '${type}' is not supported`,
      ]);
    }
  });

  it('loads the s3 driver on demand', async () => {
    const cfg = config({
      'repo1-type': 's3', 'repo1-path': '/repo', 'repo1-s3-bucket': 'b', 'repo1-s3-endpoint': 's3.example.com',
      'repo1-s3-region': 'eu-west-1', 'repo1-s3-key': 'k', 'repo1-s3-key-secret': 's',
    });
    const d = await repoStorage(cfg, 1);
    expect(d.type).toBe('s3');
    expect(d.features.path).toBe(false);
  });

  it('maps every repo s3/storage option', () => {
    const cfg = config({
      'repo3-s3-bucket': 'bkt', 'repo3-s3-endpoint': 'minio.local', 'repo3-storage-port': 9000,
      'repo3-s3-region': 'us-east-1', 'repo3-s3-key': 'AK', 'repo3-s3-key-secret': 'SK', 'repo3-s3-token': 'TK',
      'repo3-s3-key-type': 'shared', 'repo3-s3-uri-style': 'path', 'repo3-storage-verify-tls': false,
      'repo3-storage-ca-file': '/ca.pem', 'repo3-storage-ca-path': '/cas', 'repo3-storage-upload-chunk-size': 8388608,
      'repo3-s3-kms-key-id': 'kms', 'repo3-storage-host': '10.0.0.1', 'io-timeout': 7.5,
    });
    expect(s3Options(cfg, 3, '/r')).toEqual({
      bucket: 'bkt', endpoint: 'minio.local', port: 9000, region: 'us-east-1', host: '10.0.0.1', uriStyle: 'path',
      keyType: 'shared', accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'TK', verifyTls: false,
      caFile: '/ca.pem', caPath: '/cas', uploadChunkSize: 8388608, kmsKeyId: 'kms', timeoutMs: 7500, repoPath: '/r',
    });
  });

  it('requires the bucket for s3', () => {
    expect(() => s3Options(config({}), 1, '/')).toThrow(PgbrError);
  });
});
