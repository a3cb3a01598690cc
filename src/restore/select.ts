/**
 * Which repo and backup set a restore uses (spec backup-procedure.md §8.5 step 1, info-files.md
 * §2.6): `--set`, else the newest set of the first repo that has backups, else for `--type=time|lsn`
 * the newest set that stopped before the target.
 */
import type { Config } from '../config/config.js';
import { err, isPgbrError } from '../error/error.js';
import type { Logger } from '../log/logger.js';
import { loadBackupInfo, type BackupEntry, type BackupInfo } from '../repo/backup-info.js';
import { repoIndexes, repoTarget, type RepoTarget } from '../command/common/repos.js';
import { parseLsn } from '../postgres/lsn.js';

export interface SelectedSet {
  repo: RepoTarget;
  info: BackupInfo;
  entry: BackupEntry;
}

type Matcher = { describe: string; match: (b: BackupEntry) => boolean };

export async function selectBackupSet(cfg: Config, log: Logger): Promise<SelectedSet> {
  const stanza = cfg.str('stanza');
  const indexes = repoIndexes(cfg);
  const set = cfg.source('set') === 'default' ? undefined : cfg.str('set');
  const matcher = set === undefined ? targetMatcher(cfg) : undefined;
  let latest: SelectedSet | undefined;
  for (const idx of indexes) {
    const repo = await repoTarget(cfg, idx);
    const info = await loadInfo(repo, stanza, log);
    if (info === undefined) continue;
    if (set !== undefined) {
      const entry = info.backups.find((b) => b.label === set);
      if (entry !== undefined) return { repo, info, entry };
      continue;
    }
    if (info.backups.length === 0) continue;
    latest ??= { repo, info, entry: info.backups[info.backups.length - 1]! };
    if (matcher === undefined) return latest;
    const entry = [...info.backups].reverse().find(matcher.match);
    if (entry !== undefined) return { repo, info, entry };
  }
  if (set !== undefined) throw err('BackupSetInvalidError', `backup set ${set} is not valid`);
  if (matcher !== undefined && latest !== undefined) throw err('BackupSetInvalidError', matcher.describe);
  throw err('BackupSetInvalidError', 'no backup set found to restore');
}

/** A repo whose backup.info cannot be read is skipped with a warning (even the only one, like pgBackRest). */
async function loadInfo(repo: RepoTarget, stanza: string, log: Logger): Promise<BackupInfo | undefined> {
  try {
    return (await loadBackupInfo(repo.storage, stanza, { cipherPass: repo.cipherPass, displayPath: repo.display })).value;
  } catch (e) {
    if (!isPgbrError(e)) throw e;
    log.warn(`${repo.name}: [${e.type}] ${e.fullMessage}`);
    return undefined;
  }
}

function targetMatcher(cfg: Config): Matcher | undefined {
  const type = cfg.str('type');
  const target = cfg.strOpt('target');
  if (target === undefined) return undefined;
  if (type === 'time') {
    const epoch = parseTargetTime(target);
    if (epoch === undefined) {
      throw err('FormatError', `automatic backup set selection cannot be performed with provided time '${target}'`, {
        hints: [
          'time format must be YYYY-MM-DD HH:MM:SS with optional msec and optional timezone (+/- HH or HHMM or HH:MM) - if ' +
            'timezone is omitted, local time is assumed (for UTC use +00)',
        ],
      });
    }
    return {
      describe: `unable to find backup set with stop time less than '${target}'`,
      match: (b) => b.timestampStop < epoch,
    };
  }
  if (type === 'lsn') {
    const lsn = targetLsn(target);
    return {
      describe: `unable to find backup set with lsn less than or equal to '${target}'`,
      match: (b) => b.lsnStop !== undefined && parseLsn(b.lsnStop) <= lsn,
    };
  }
  return undefined;
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** Epoch seconds of a recovery target time; no zone = local time. Undefined when not in the format. */
export function parseTargetTime(text: string): number | undefined {
  const m = TIME_RE.exec(text.trim());
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const frac = m[7] === undefined ? 0 : Number(m[7]);
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > days) throw err('FormatError', `invalid date ${m.slice(1, 4).join('-')}`);
  if (h > 23 || mi > 59 || s > 59) throw err('FormatError', `invalid time ${m.slice(4, 7).join(':')}`);
  if (m[8] === undefined) return new Date(y, mo - 1, d, h, mi, s).getTime() / 1000 + frac;
  const offset = (Number(m[9]) * 60 + Number(m[10] ?? 0)) * 60 * (m[8] === '-' ? -1 : 1);
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000 + frac - offset;
}

/** `--target` of --type=lsn, with pgBackRest's checks and texts (pgLsnFromStr). */
export function targetLsn(text: string): bigint {
  const parts = text.split('/');
  if (parts.length !== 2) throw err('FormatError', 'lsn requires two parts');
  const [hi, lo] = parts.map((p) => {
    if (!/^[0-9A-Fa-f]{1,16}$/.test(p)) throw err('FormatError', `unable to convert base 16 string '${p}' to uint64`);
    return BigInt(`0x${p}`);
  }) as [bigint, bigint];
  return ((hi << 32n) + lo) & 0xffffffffffffffffn;
}
