/**
 * What a backup leaves out of PGDATA (spec backup-procedure.md §8.3), as pgBackRest 2.45's
 * manifest build decides it. Names here are manifest names (`pg_data/...`, `pg_tblspc/...`) or
 * single directory entry names, never absolute paths.
 */
import { PG_VERSION_12, pgWalPath } from '../postgres/version.js';
import { PG_DATA, PG_TBLSPC } from '../repo/manifest-types.js';

const PG_VERSION_13 = 130000;
const PG_VERSION_94 = 90400;
const PG_VERSION_96 = 90600;

/** Any file, path or link whose name starts with this is skipped, wherever it is. */
export const PGSQL_TMP_PREFIX = 'pgsql_tmp';

/** `[0-9]+(_(fsm|vm))?(\.[0-9]+)?`: a relation file other than an `_init` fork. */
const RELATION = '[0-9]+(_(fsm|vm)){0,1}(\\.[0-9]+){0,1}';
const TEMP_RELATION_REGEX = new RegExp(`^t[0-9]+_${RELATION}$`);
const PG_INTERNAL_INIT = 'pg_internal.init';

/** `--exclude` values split the way pgBackRest does: trailing `/` = the directory's content. */
export interface UserExclusions {
  /** Manifest names (`pg_data/<value>`) left out entirely: file, link or path. */
  single: Set<string>;
  /** Manifest names of paths that are kept while their content is left out. */
  content: Set<string>;
}

export function userExclusions(excludes: readonly string[] = []): UserExclusions {
  const result: UserExclusions = { single: new Set(), content: new Set() };
  for (const value of excludes) {
    const name = `${PG_DATA}/${value}`;
    if (name.endsWith('/')) result.content.add(name.slice(0, -1));
    else result.single.add(name);
  }
  return result;
}

/** `pg_data/<name>` as the exclusion rule text of the log lines (without `pg_data/`). */
export function exclusionRuleText(manifestName: string): string {
  return manifestName.slice(PG_DATA.length + 1);
}

/** Directories directly under PGDATA that are kept empty (their files are useless after restore). */
export function isContentExcludedRootPath(name: string, pgVersion: number): boolean {
  switch (name) {
    case 'pg_dynshmem':
    case 'pg_replslot':
      return pgVersion >= PG_VERSION_94;
    case 'pg_notify':
    case 'pg_serial':
    case 'pg_snapshots':
    case 'pg_stat_tmp':
    case 'pg_subtrans':
      return true;
    default:
      // pg_wal is walked (its sub-directories are kept); online backups drop its files one by one.
      return false;
  }
}

/** Files directly in PGDATA that are never copied. */
export function isExcludedRootFile(name: string, pgVersion: number): boolean {
  switch (name) {
    case 'recovery.signal':
    case 'standby.signal':
      return pgVersion >= PG_VERSION_12;
    case 'recovery.conf':
    case 'recovery.done':
      return pgVersion < PG_VERSION_12;
    case 'postgresql.auto.conf.tmp':
      return pgVersion >= PG_VERSION_94;
    // pgBackRest writes its own from the stop-backup result.
    case 'backup_label':
      return pgVersion >= PG_VERSION_96;
    case 'backup_manifest':
    case 'backup_manifest.tmp':
      return pgVersion >= PG_VERSION_13;
    case 'backup_label.old':
    case 'postmaster.opts':
    case 'postmaster.pid':
      return true;
    default:
      return false;
  }
}

/** `pg_data/pg_wal` (`pg_data/pg_xlog` before PG 10): online backups skip the files in it. */
export function walManifestName(pgVersion: number): string {
  return `${PG_DATA}/${pgWalPath(pgVersion)}`;
}

/**
 * `pg_internal.init`, or that name followed by a suffix holding `.<digits>` (a temp copy named
 * by pid). pgBackRest tests the suffix with an unanchored match, so this does too.
 */
export function isPgInternalInit(name: string): boolean {
  if (!name.startsWith(PG_INTERNAL_INIT)) return false;
  const rest = name.slice(PG_INTERNAL_INIT.length);
  return rest === '' || /\.[0-9]+/.test(rest);
}

/** Temporary relation files: `t<backend>_<relfilenode>[_fsm|_vm][.N]`. */
export function isTempRelation(name: string): boolean {
  return TEMP_RELATION_REGEX.test(name);
}

/** Database directory names: `pg_data/global`, `pg_data/base/<oid>`, `pg_tblspc/<oid>/<PG_x_cat>/<oid>`. */
export function dbPathPattern(tablespaceId: string): string {
  return `(${PG_DATA}/(global|base/[0-9]+)|${PG_TBLSPC}/[0-9]+/${tablespaceId}/[0-9]+)`;
}

export function dbPathRegex(tablespaceId: string): RegExp {
  return new RegExp(`^${dbPathPattern(tablespaceId)}$`);
}

/** Files of a database directory whose page checksums are verified (checksums.md §4.1). */
export function isPageChecksumFile(manifestName: string): boolean {
  return (
    !manifestName.endsWith('/pg_filenode.map') &&
    !manifestName.endsWith('/PG_VERSION') &&
    manifestName !== `${PG_DATA}/global/pg_control`
  );
}

/**
 * Drop every fork and segment of unlogged relations, keeping their `_init` fork (which the
 * relation pattern never matches). Done after the walk because `_init` sorts after the other
 * forks. pgBackRest caches the verdict by relfilenode alone; this caches by directory and
 * relfilenode so that equal numbers in neighbouring databases cannot share a verdict.
 */
export function withoutUnloggedRelations<T extends { name: string }>(files: readonly T[], tablespaceId: string): T[] {
  const relation = new RegExp(`^${dbPathPattern(tablespaceId)}/${RELATION}$`);
  const names = new Set(files.map((f) => f.name));
  const verdict = new Map<string, boolean>();
  return files.filter((f) => {
    if (!relation.test(f.name)) return true;
    const slash = f.name.lastIndexOf('/');
    const dir = f.name.slice(0, slash + 1);
    const fileId = /^[0-9]+/.exec(f.name.slice(slash + 1))![0];
    const key = dir + fileId;
    let unlogged = verdict.get(key);
    if (unlogged === undefined) {
      unlogged = names.has(`${key}_init`);
      verdict.set(key, unlogged);
    }
    return !unlogged;
  });
}
