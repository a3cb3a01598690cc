import type { Config } from '../../config/config.js';
import { err } from '../../error/error.js';
import { repoStorage } from '../../storage/repo.js';
import type { StorageDriver } from '../../storage/storage.js';

/** One configured repository, ready for a command: storage plus the user's cipher settings. */
export interface RepoTarget {
  idx: number;
  /** `repo1`, as messages name it. */
  name: string;
  storage: StorageDriver;
  cipherType: 'none' | 'aes-256-cbc';
  /** The user's passphrase for the two info files; set when cipherType is not none. */
  cipherPass?: string;
  /** A repo-relative path as pgBackRest shows it in messages (absolute: repo path + path). */
  display(path: string): string;
}

/** The indexes of the repos a command works on: the one `--repo` names, else every configured repo in order. */
export function repoIndexes(cfg: Config): number[] {
  const only = cfg.intOpt('repo');
  return only !== undefined ? [only] : cfg.indexes('repo');
}

/**
 * The repos a command works on (`repoIndexes`). Storage drivers are created lazily by
 * `repoStorage` (S3 code loads only for S3 repos).
 */
export async function repoTargets(cfg: Config): Promise<RepoTarget[]> {
  return Promise.all(repoIndexes(cfg).map((idx) => repoTarget(cfg, idx)));
}

export async function repoTarget(cfg: Config, idx: number): Promise<RepoTarget> {
  const cipherType = (cfg.strOpt(`repo${idx}-cipher-type`) ?? 'none') as RepoTarget['cipherType'];
  const cipherPass = cfg.strOpt(`repo${idx}-cipher-pass`);
  if (cipherType !== 'none' && cipherPass === undefined) {
    throw err('OptionRequiredError', `${cfg.command} command requires option: repo${idx}-cipher-pass`);
  }
  const repoPath = cfg.strOpt(`repo${idx}-path`) ?? '/var/lib/pgbackrest';
  const base = repoPath === '/' ? '' : repoPath;
  return {
    idx,
    name: `repo${idx}`,
    storage: await repoStorage(cfg, idx),
    cipherType,
    ...(cipherType === 'none' ? {} : { cipherPass }),
    display: (path: string) => `${base}/${path}`,
  };
}
