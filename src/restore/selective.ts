/**
 * Selective restore (`--db-include`, `--db-exclude`): which files are written as sparse zeros
 * instead of copied, decided as pgBackRest 2.45 decides it (restoreSelectiveExpression).
 *
 * The databases are those of the manifest's db section that are system databases (named
 * postgres, template0 or template1, or with an oid below 16384) plus every directory of base/ or
 * of a tablespace that holds a PG_VERSION. Including only some databases zeroes the others
 * except the system ones; excluding zeroes just the excluded ones, system databases included.
 * A zeroed database keeps only its PG_VERSION: pg_filenode.map is zeroed with its relations.
 */
import { err } from '../error/error.js';
import type { Logger } from '../log/logger.js';
import type { Manifest } from '../repo/manifest.js';

/** PostgreSQL's FirstNormalObjectId: oids below it belong to initdb's objects. */
const FIRST_NORMAL_OID = 16384;
const SYSTEM_NAMES = new Set(['postgres', 'template0', 'template1']);

/** Tablespace version directory, `PG_15_202209061` (9.0 and later). */
export function tablespaceVersionDir(m: Manifest): string {
  return `PG_${m.db.version}_${m.db.catalogVersion}`;
}

/** Manifest names of the files to zero; empty when neither option is set or nothing is left out. */
export function selectiveZeroed(m: Manifest, include: readonly string[], exclude: readonly string[], log: Logger): Set<string> {
  if (include.length === 0 && exclude.length === 0) return new Set();
  const tsDir = tablespaceVersionDir(m);
  const systemIds: string[] = [];
  const found: string[] = [];
  for (const d of m.databases) {
    if (SYSTEM_NAMES.has(d.name) || d.id < FIRST_NORMAL_OID) {
      systemIds.push(String(d.id));
      found.push(String(d.id));
    }
  }
  for (const f of m.files) {
    const id = databaseOfVersionFile(f.name, tsDir);
    if (id === undefined) continue;
    if (Number(id) < FIRST_NORMAL_OID && !systemIds.includes(id)) systemIds.push(id);
    if (!found.includes(id)) found.push(id);
  }
  // pgBackRest sorts the ids as text: (1, 16385, 16386, 4, 5)
  found.sort();
  if (found.length === 0) throw err('FormatError', 'no databases found for selective restore', { hints: ['is this a valid cluster?'] });
  log.detail(`databases found for selective restore (${found.join(', ')})`);

  const idOf = (db: string, what: 'include' | 'exclude'): string => {
    if (found.includes(db)) return db;
    const byName = m.databases.find((d) => d.name === db);
    if (byName === undefined || !found.includes(String(byName.id))) throw err('DbMissingError', `database to ${what} '${db}' does not exist`);
    return String(byName.id);
  };
  const excluded = exclude.map((db) => idOf(db, 'exclude'));
  let zeroed = [...found];
  for (const db of include) {
    const id = idOf(db, 'include');
    if (systemIds.includes(id)) throw err('DbInvalidError', 'system databases (template0, postgres, etc.) are included by default');
    if (excluded.includes(id)) throw err('DbInvalidError', `database to include '${id}' is in the exclude list`);
    zeroed = zeroed.filter((x) => x !== id);
  }
  if (include.length === 0) zeroed = excluded;
  else zeroed = zeroed.filter((x) => !systemIds.includes(x) || excluded.includes(x));

  if (zeroed.length === 0) {
    log.info('nothing to filter - all user databases have been selected');
    return new Set();
  }
  log.detail(`databases excluded (zeroed) from selective restore (${zeroed.join(', ')})`);
  const prefixes: string[] = [];
  for (const id of zeroed) {
    prefixes.push(`pg_data/base/${id}/`);
    for (const t of m.targets) if (t.tablespaceId !== undefined) prefixes.push(`${t.name}/${tsDir}/${id}/`);
  }
  const out = new Set<string>();
  for (const f of m.files) {
    if (f.name.endsWith('/PG_VERSION')) continue;
    if (prefixes.some((p) => f.name.startsWith(p))) out.add(f.name);
  }
  return out;
}

/** The database oid of `pg_data/base/<oid>/PG_VERSION` or `pg_tblspc/<ts>/<version dir>/<oid>/PG_VERSION`. */
function databaseOfVersionFile(name: string, tsDir: string): string | undefined {
  const parts = name.split('/');
  if (parts.length === 4 && parts[0] === 'pg_data' && parts[1] === 'base' && parts[3] === 'PG_VERSION') return digits(parts[2]!);
  if (parts.length === 5 && parts[0] === 'pg_tblspc' && parts[2] === tsDir && parts[4] === 'PG_VERSION' && digits(parts[1]!) !== undefined) {
    return digits(parts[3]!);
  }
  return undefined;
}

function digits(s: string): string | undefined {
  return /^[0-9]+$/.test(s) ? s : undefined;
}
