/**
 * repoN-retention-history: which `backup.history/<YYYY>/<label>.manifest.gz` files expire (2.45).
 * The limit is a label made from now minus N days; a manifest goes when its label sorts before it
 * and its backup is no longer in backup.info. A year directory older than the limit's year goes
 * whole.
 */
import { labelTimestamp } from '../repo/layout.js';

export const HISTORY_YEAR_REGEX = /^2[0-9]{3}$/;
export const HISTORY_MANIFEST_REGEX = /^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}(D|I))?\.manifest\.gz$/;

export type HistoryAction = { kind: 'path'; year: string } | { kind: 'manifest'; year: string; file: string };

/** The oldest label kept: `<YYYYMMDD-HHMMSS>F` of now minus `days` (local time, like labels). */
export function historyMinLabel(nowMs: number, days: number): string {
  return `${labelTimestamp(new Date(nowMs - days * 86_400_000))}F`;
}

/**
 * Plan over the listing `year → manifest file names`: years oldest first and, inside one, files
 * newest first, the order pgBackRest 2.45 logs them in.
 */
export function planHistory(opts: {
  years: ReadonlyMap<string, readonly string[]>;
  current: ReadonlySet<string>;
  minLabel: string;
}): HistoryAction[] {
  const out: HistoryAction[] = [];
  const minYear = opts.minLabel.slice(0, 4);
  for (const year of [...opts.years.keys()].filter((y) => HISTORY_YEAR_REGEX.test(y)).sort()) {
    if (year < minYear) {
      out.push({ kind: 'path', year });
      continue;
    }
    const files = [...(opts.years.get(year) ?? [])].filter((f) => HISTORY_MANIFEST_REGEX.test(f)).sort().reverse();
    for (const file of files) {
      const label = file.slice(0, file.indexOf('.'));
      if (!opts.current.has(label) && label < opts.minLabel) out.push({ kind: 'manifest', year, file });
    }
  }
  return out;
}
