import type { Config } from '../config/config.js';
import { err } from '../error/error.js';
import { PosixStorage } from './posix.js';
import type { S3Options } from './s3-client.js';
import type { StorageDriver } from './storage.js';

/** One driver per repo index per process, built on first use. */
const cache = new Map<number, Promise<StorageDriver>>();

/**
 * The storage of repository `repoIdx` (`repo<idx>-type`). posix and cifs are local directories;
 * s3 loads the S3 module on demand so commands on posix repos never load the S3 client.
 */
export function repoStorage(cfg: Config, repoIdx: number): Promise<StorageDriver> {
  let driver = cache.get(repoIdx);
  if (driver === undefined) {
    driver = createRepoStorage(cfg, repoIdx);
    cache.set(repoIdx, driver);
    driver.catch(() => cache.delete(repoIdx));
  }
  return driver;
}

/** Close and forget every cached driver (end of command, and between tests). */
export async function closeRepoStorage(): Promise<void> {
  const drivers = [...cache.values()];
  cache.clear();
  for (const d of drivers) await (await d.catch(() => undefined))?.close?.();
}

async function createRepoStorage(cfg: Config, idx: number): Promise<StorageDriver> {
  const type = cfg.strOpt(`repo${idx}-type`) ?? 'posix';
  const path = cfg.strOpt(`repo${idx}-path`) ?? '/var/lib/pgbackrest';
  switch (type) {
    case 'posix':
    case 'cifs':
      return new PosixStorage(path);
    case 's3': {
      const { S3Storage } = await import('./s3.js');
      return new S3Storage(s3Options(cfg, idx, path));
    }
    default:
      throw err('FeatureNotSupportedError', `repo${idx}-type '${type}' is not supported`);
  }
}

/** Maps the `repo<idx>-s3-*` and `repo<idx>-storage-*` options to driver options. */
export function s3Options(cfg: Config, idx: number, repoPath: string): S3Options {
  const o = (name: string): string | undefined => cfg.strOpt(`repo${idx}-${name}`);
  const num = (name: string): number | undefined => cfg.intOpt(`repo${idx}-${name}`);
  const verify = cfg.get(`repo${idx}-storage-verify-tls`);
  return {
    bucket: cfg.str(`repo${idx}-s3-bucket`),
    endpoint: cfg.str(`repo${idx}-s3-endpoint`),
    region: cfg.str(`repo${idx}-s3-region`),
    port: num('storage-port'),
    host: o('storage-host'),
    uriStyle: o('s3-uri-style') === 'path' ? 'path' : 'host',
    keyType: (o('s3-key-type') ?? 'shared') as S3Options['keyType'],
    accessKeyId: o('s3-key'),
    secretAccessKey: o('s3-key-secret'),
    sessionToken: o('s3-token'),
    verifyTls: verify === undefined ? true : verify === true,
    caFile: o('storage-ca-file'),
    caPath: o('storage-ca-path'),
    uploadChunkSize: num('storage-upload-chunk-size'),
    kmsKeyId: o('s3-kms-key-id'),
    timeoutMs: Math.round(Number(cfg.get('io-timeout') ?? 60) * 1000),
    repoPath,
  };
}
