import type { VerifyResult } from './file.js';

export interface WalRange {
  start: string;
  stop: string;
  invalid: VerifyResult[];
}

export interface ArchiveResult {
  archiveId: string;
  totalWalFile: number;
  totalValidWal: number;
  ranges: WalRange[];
}

export type BackupStatus = 'valid' | 'invalid' | 'manifest missing' | 'in-progress';

export interface BackupResult {
  label: string;
  status: BackupStatus;
  totalFileVerify: number;
  totalFileValid: number;
  /** Invalid stored files, keyed `<label>/<manifest name><ext>`, for later backups that reference them. */
  invalid: Map<string, VerifyResult>;
  /** Reasons of every invalid file counted for this backup (its own and referenced ones). */
  reasons: VerifyResult[];
}

/** Everything one verify run found; `errors` > 0 makes the status `error`. */
export interface VerifyState {
  errors: number;
  archives: ArchiveResult[];
  backups: BackupResult[];
}

/** Runs `fn` over `items` with at most `max` at a time; `fn` gets a worker number 1..max. */
export async function runLimited<T>(items: T[], max: number, fn: (item: T, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (id: number): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item, id);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(max, items.length)) }, (_, i) => worker(i + 1)));
}

export const RESULT_MESSAGE: Record<Exclude<VerifyResult, 'ok'>, string> = {
  missing: 'file missing',
  checksum: 'invalid checksum',
  size: 'invalid size',
  other: 'invalid result',
};
