/**
 * Delta decisions and diff/incr references (spec manifest.md §3.2 copy-start, §3.12), following
 * pgBackRest 2.45's manifestBuildValidate and manifestBuildIncr.
 */
import type { Manifest, ManifestFile } from '../repo/manifest-types.js';
import { pgRelativeName } from './manifest-link.js';
import type { LogMessage } from './manifest-walk.js';

/**
 * Delta is turned on when a file's mtime is later than `now` (the copy-start reference before the
 * online +1 s). Returns the warning, or undefined when nothing is in the future.
 */
export function futureTimestampWarning(files: readonly ManifestFile[], now: number): LogMessage | undefined {
  const file = files.find((f) => f.timestamp > now);
  if (file === undefined) return undefined;
  return {
    level: 'warn',
    message:
      `file '${pgRelativeName(file.name)}' has timestamp (${file.timestamp}) in the future (relative to copy start ${now}),` +
      ' enabling delta checksum',
  };
}

export interface PriorMergeInput {
  files: readonly ManifestFile[];
  prior: Manifest;
  online: boolean;
  /** Current start segment; a different timeline than the prior's stop segment turns on delta. */
  archiveStart?: string;
  delta: boolean;
}

export interface PriorMergeResult {
  files: ManifestFile[];
  /** Effective delta after the checks. */
  delta: boolean;
  log: LogMessage[];
}

/** Reasons to turn on delta that come from comparing with the prior backup (warnings as 2.45 logs them). */
function priorDeltaWarnings(input: PriorMergeInput, priorFiles: ReadonlyMap<string, ManifestFile>): LogMessage[] {
  const { prior } = input;
  const label = prior.backup.label;
  const priorStop = prior.backup.archiveStop;
  if (input.archiveStart !== undefined && priorStop !== undefined && input.archiveStart.slice(0, 8) !== priorStop.slice(0, 8)) {
    return [{
      level: 'warn',
      message:
        `a timeline switch has occurred since the ${label} backup, enabling delta checksum\n` +
        'HINT: this is normal after restoring from backup or promoting a standby.',
    }];
  }
  if (prior.options.online !== input.online) {
    return [{ level: 'warn', message: `the online option has changed since the ${label} backup, enabling delta checksum` }];
  }
  if (input.delta) return [];
  for (const file of input.files) {
    const before = priorFiles.get(file.name);
    if (before === undefined) continue;
    const name = pgRelativeName(file.name);
    if (file.timestamp < before.timestamp) {
      return [{
        level: 'warn',
        message:
          `file '${name}' has timestamp earlier than prior backup (prior ${before.timestamp}, current ${file.timestamp}),` +
          ' enabling delta checksum',
      }];
    }
    if (file.size !== before.size && file.timestamp === before.timestamp) {
      return [{
        level: 'warn',
        message:
          `file '${name}' has same timestamp (${file.timestamp}) as prior but different size (prior ${before.size},` +
          ` current ${file.size}), enabling delta checksum`,
      }];
    }
  }
  return [];
}

/**
 * Whether the prior's copy can stand in for the file. pgBackRest: same size and (delta, or size 0,
 * or same mtime). Added safety: without delta the mtime must also be earlier than the prior's
 * copy start, because a change within that second or later could have kept the same mtime after
 * the prior copied the file. Backups made with the copy-start wait never have such entries
 * except future-dated files, so this only ever copies more.
 */
export function canReference(file: ManifestFile, before: ManifestFile, prior: Manifest, delta: boolean): boolean {
  if (file.size !== before.size) return false;
  if (delta || file.size === 0) return true;
  return file.timestamp === before.timestamp && file.timestamp < prior.backup.timestampCopyStart;
}

/** The new entry pointing at the prior's stored bytes; it keeps its own mtime, owner and mode. */
function referenced(file: ManifestFile, before: ManifestFile, prior: Manifest): ManifestFile {
  const result: ManifestFile = {
    ...file,
    checksum: before.checksum,
    checksumPage: before.checksumPage,
    checksumPageError: before.checksumPageError,
    repoSize: before.repoSize,
    rck: before.rck,
    reference: before.reference ?? prior.backup.label,
    bundleId: before.bundleId,
    bundleOffset: before.bundleOffset,
    blockIncrSize: before.blockIncrSize,
    blockIncrChecksumSize: before.blockIncrChecksumSize,
    blockIncrMapSize: before.blockIncrMapSize,
  };
  for (const key of Object.keys(result) as Array<keyof ManifestFile>) if (result[key] === undefined) delete result[key];
  return result;
}

export function mergePrior(input: PriorMergeInput): PriorMergeResult {
  const priorFiles = new Map(input.prior.files.map((f) => [f.name, f]));
  const log = priorDeltaWarnings(input, priorFiles);
  const delta = input.delta || log.length > 0;
  const files = input.files.map((file) => {
    const before = priorFiles.get(file.name);
    return before !== undefined && canReference(file, before, input.prior, delta) ? referenced(file, before, input.prior) : file;
  });
  return { files, delta, log };
}
