import type { Config } from '../config/config.js';
import { err } from '../error/error.js';
import { PosixStorage } from '../storage/posix.js';
import { s3Options } from '../storage/repo.js';
import type { S3Options } from '../storage/s3-client.js';
import type { StorageDriver } from '../storage/storage.js';

/**
 * A repository storage as plain data, so each worker thread can build its own driver (drivers hold
 * sockets and file handles that cannot be shared between threads).
 */
export type StorageDescription = { type: 'posix'; path: string } | { type: 's3'; options: S3Options };

export async function storageFromDescription(desc: StorageDescription): Promise<StorageDriver> {
  switch (desc.type) {
    case 'posix':
      return new PosixStorage(desc.path);
    case 's3': {
      const { S3Storage } = await import('../storage/s3.js');
      return new S3Storage(desc.options);
    }
    default:
      throw err('AssertError', `unknown storage description type '${(desc as { type: string }).type}'`);
  }
}

/** The description of repository `repoIdx`, built from the same options as `repoStorage()`. */
export function repoStorageDescription(cfg: Config, repoIdx: number): StorageDescription {
  const type = cfg.strOpt(`repo${repoIdx}-type`) ?? 'posix';
  const path = cfg.strOpt(`repo${repoIdx}-path`) ?? '/var/lib/pgbackrest';
  switch (type) {
    case 'posix':
    case 'cifs':
      return { type: 'posix', path };
    case 's3':
      return { type: 's3', options: s3Options(cfg, repoIdx, path) };
    default:
      throw err('FeatureNotSupportedError', `repo${repoIdx}-type '${type}' is not supported`);
  }
}
