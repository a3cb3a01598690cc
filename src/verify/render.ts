import type { VerifyResult } from './file.js';
import type { VerifyState } from './model.js';

/** Per-reason counts; verbose shows all four, otherwise only the non-zero ones. */
function errorCounts(reasons: VerifyResult[], verbose: boolean): string {
  const count = (r: VerifyResult) => reasons.filter((x) => x === r).length;
  const parts: Array<[string, number]> = [
    ['missing', count('missing')],
    ['checksum invalid', count('checksum')],
    ['size invalid', count('size')],
    ['other', count('other')],
  ];
  const shown = verbose ? parts : parts.filter(([, n]) => n > 0);
  return `\n    ${shown.map(([k, n]) => `${k}: ${n}`).join(', ')}`;
}

/** The archive and backup lines of the result block (each line starts with a newline). */
export function renderResults(state: VerifyState, verbose: boolean): string {
  let out = '';
  if (verbose && state.archives.length === 0) out += '\n  archiveId: none found';
  for (const a of state.archives) {
    if (verbose || a.totalWalFile !== a.totalValidWal) {
      out += `\n  archiveId: ${a.archiveId}, total WAL checked: ${a.totalWalFile}, total valid WAL: ${a.totalValidWal}`;
    }
    if (a.totalWalFile === 0) continue;
    const reasons = a.ranges.flatMap((r) => r.invalid);
    if (verbose || reasons.length > 0) out += errorCounts(reasons, verbose);
  }
  if (verbose && state.backups.length === 0) out += '\n  backup: none found';
  for (const b of state.backups) {
    if (verbose || (b.status !== 'valid' && b.status !== 'in-progress')) {
      out += `\n  backup: ${b.label}, status: ${b.status}, total files checked: ${b.totalFileVerify}, total valid files: ${b.totalFileValid}`;
    }
    if (b.totalFileVerify === 0) continue;
    if (verbose || b.reasons.length > 0) out += errorCounts(b.reasons, verbose);
  }
  return out;
}

/** DETAIL lines for the continuous WAL ranges, in archive id order. */
export function rangeLines(state: VerifyState): string[] {
  return state.archives
    .filter((a) => a.totalWalFile > 0)
    .flatMap((a) => a.ranges.map((r) => `archiveId: ${a.archiveId}, wal start: ${r.start}, wal stop: ${r.stop}`));
}
