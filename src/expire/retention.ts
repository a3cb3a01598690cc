/**
 * Retention settings of one repo and the warnings pgBackRest 2.45 prints about them when backup or
 * expire loads its options (after the command begin line and the lock).
 */
import type { Config } from '../config/config.js';
import type { ArchiveRetentionType } from './plan-archive.js';

export interface RetentionSettings {
  fullType: 'count' | 'time';
  full?: number;
  diff?: number;
  /** The effective value: set, or derived from full/diff retention as 2.45 does. */
  archive?: number;
  archiveSet: boolean;
  archiveType: ArchiveRetentionType;
  history?: number;
}

export function retentionSettings(cfg: Config, idx: number): RetentionSettings {
  const r = (name: string) => `repo${idx}-retention-${name}`;
  const fullType = (cfg.strOpt(r('full-type')) ?? 'count') as RetentionSettings['fullType'];
  const archiveType = (cfg.strOpt(r('archive-type')) ?? 'full') as ArchiveRetentionType;
  const full = cfg.intOpt(r('full'));
  const diff = cfg.intOpt(r('diff'));
  let archive = cfg.intOpt(r('archive'));
  const archiveSet = archive !== undefined;
  if (!archiveSet) {
    if (archiveType === 'full' && fullType === 'count') archive = full;
    else if (archiveType === 'diff') archive = diff;
  }
  const s: RetentionSettings = { fullType, archiveSet, archiveType };
  if (full !== undefined) s.full = full;
  if (diff !== undefined) s.diff = diff;
  if (archive !== undefined) s.archive = archive;
  const history = cfg.intOpt(r('history'));
  if (history !== undefined) s.history = history;
  return s;
}

/** The warnings for every configured repo (not only `--repo`), in pgBackRest's order. */
export function retentionWarnings(cfg: Config): string[] {
  const out: string[] = [];
  const repos = cfg.indexes('repo');
  for (const idx of repos) {
    const s = retentionSettings(cfg, idx);
    if (s.full === undefined) {
      out.push(
        `option 'repo${idx}-retention-full' is not set for 'repo${idx}-retention-full-type=${s.fullType}', the repository may run out of space\n` +
          `HINT: to retain full backups indefinitely (without warning), set option 'repo${idx}-retention-full' to the maximum.`,
      );
    }
  }
  for (const idx of repos) {
    const w = archiveWarning(idx, retentionSettings(cfg, idx));
    if (w !== undefined) out.push(w);
  }
  return out;
}

function archiveWarning(idx: number, s: RetentionSettings): string | undefined {
  const off = `WAL segments will not be expired: option 'repo${idx}-retention-archive-type=${s.archiveType}' but`;
  if (!s.archiveSet) {
    if (s.archiveType === 'diff' && s.diff === undefined) {
      return `${off} neither option 'repo${idx}-retention-archive' nor option 'repo${idx}-retention-diff' is set`;
    }
    if (s.archiveType === 'incr') return `${off} option 'repo${idx}-retention-archive' is not set`;
    return undefined;
  }
  if (s.archiveType === 'diff' && s.diff === undefined) {
    return (
      `option 'repo${idx}-retention-diff' is not set for 'repo${idx}-retention-archive-type=diff'\n` +
      `HINT: to retain differential backups indefinitely (without warning), set option 'repo${idx}-retention-diff' to the maximum.`
    );
  }
  return undefined;
}
