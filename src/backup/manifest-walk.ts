/**
 * Walk PGDATA (and the tablespaces behind `pg_tblspc/<oid>`) the way pgBackRest 2.45's manifest
 * build does: lstat every entry in byte order, apply the exclusions of exclude.ts, record paths,
 * files, links and link targets with owner, mode, size and mtime.
 */
import { lstatSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { err } from '../error/error.js';
import { pgTablespaceId } from '../postgres/version.js';
import { compareBytes } from '../repo/json.js';
import {
  PG_DATA, PG_TBLSPC, type ManifestLink, type ManifestPath, type ManifestTarget, type Owner,
} from '../repo/manifest-types.js';
import {
  dbPathRegex, exclusionRuleText, isContentExcludedRootPath, isExcludedRootFile, isPageChecksumFile, isPgInternalInit,
  isTempRelation, PGSQL_TMP_PREFIX, userExclusions, walManifestName, withoutUnloggedRelations, type UserExclusions,
} from './exclude.js';
import { checkLinkTarget } from './manifest-link.js';
import { systemOwnerLookup, type OwnerLookup } from './manifest-owner.js';

export interface WalkOptions {
  /** pg1-path: PGDATA as configured. */
  pgPath: string;
  /** server_version_num or major number (150000). */
  pgVersion: number;
  catalogVersion: number;
  online: boolean;
  /** Mark files of database directories for page checksum validation. */
  checksumPage: boolean;
  /** `--exclude` values, relative to PGDATA. */
  exclude?: readonly string[];
  /** oid → name from pg_tablespace; undefined for offline backups (names become `ts<oid>`). */
  tablespaces?: ReadonlyMap<number, string>;
  owners?: OwnerLookup;
}

export interface LogMessage {
  level: 'detail' | 'info' | 'warn';
  message: string;
}

export interface WalkedFile {
  name: string;
  size: number;
  timestamp: number;
  mode: number;
  user: Owner;
  group: Owner;
  /** In a database directory and page checksums are on (checksums.md §4.1). */
  checksumPage: boolean;
}

export interface WalkResult {
  /** Each list sorted by name in byte order. */
  targets: ManifestTarget[];
  paths: ManifestPath[];
  files: WalkedFile[];
  links: ManifestLink[];
  /** Exclusion and special-file lines pgBackRest logs while building. */
  log: LogMessage[];
}

interface Ctx extends WalkResult {
  opts: WalkOptions;
  owners: OwnerLookup;
  excl: UserExclusions;
  tablespaceId: string;
  dbPath: RegExp;
  walName: string;
}

const TBLSPC_PARENT = `${PG_DATA}/${PG_TBLSPC}`;

/*
 * The walk uses synchronous calls: nothing else runs on this thread meanwhile that it would hold up,
 * and a promise per entry cost the main thread 30-60 us each in pool hand-offs and callbacks
 * (11,000 files: about 0.5 s of CPU), against a few microseconds for the system call itself.
 */

/** lstat that treats an entry removed since the listing (normal on a running cluster) as absent. */
function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function sortedEntries(dir: string): string[] {
  try {
    return readdirSync(dir).sort(compareBytes);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function owner(ctx: Ctx, st: Stats): { user: Owner; group: Owner } {
  return { user: ctx.owners.user(st.uid), group: ctx.owners.group(st.gid) };
}

const modeOf = (st: Stats): number => st.mode & 0o777;
const notSymlink = (name: string) =>
  err('LinkExpectedError', `'${name}' is not a symlink - ${PG_TBLSPC} should contain only symlinks`);

function visit(ctx: Ctx, parent: string, pgPath: string, dbPath: boolean, name: string, st: Stats): void {
  if (name.startsWith(PGSQL_TMP_PREFIX)) return;
  const manifestName = `${parent}/${name}`;
  if (ctx.excl.single.has(manifestName)) {
    const rule = exclusionRuleText(manifestName);
    ctx.log.push({ level: 'info', message: `exclude '${pgPath}/${name}' from backup using '${rule}' exclusion` });
    return;
  }
  if (st.isDirectory()) return visitPath(ctx, parent, pgPath, name, st);
  if (st.isFile()) return visitFile(ctx, parent, dbPath, name, st);
  if (st.isSymbolicLink()) return visitLink(ctx, parent, pgPath, dbPath, name, st);
  ctx.log.push({ level: 'warn', message: `exclude special file '${pgPath}/${name}' from backup` });
}

function visitPath(ctx: Ctx, parent: string, pgPath: string, name: string, st: Stats): void {
  const manifestName = `${parent}/${name}`;
  if (parent === TBLSPC_PARENT) throw notSymlink(manifestName);
  ctx.paths.push({ name: manifestName, mode: modeOf(st), ...owner(ctx, st) });

  if (ctx.excl.content.has(manifestName)) {
    const rule = exclusionRuleText(manifestName);
    ctx.log.push({ level: 'info', message: `exclude contents of '${pgPath}/${name}' from backup using '${rule}/' exclusion` });
    return;
  }
  if (parent === PG_DATA && isContentExcludedRootPath(name, ctx.opts.pgVersion)) return;
  if (ctx.opts.online && parent === ctx.walName && name === 'archive_status') return;

  const dir = `${pgPath}/${name}`;
  const dbPathSub = ctx.dbPath.test(manifestName);
  for (const entry of sortedEntries(dir)) {
    const entryStat = lstatOrNull(`${dir}/${entry}`);
    if (entryStat !== null) visit(ctx, manifestName, dir, dbPathSub, entry, entryStat);
  }
}

function visitFile(ctx: Ctx, parent: string, dbPath: boolean, name: string, st: Stats): void {
  const manifestName = `${parent}/${name}`;
  if (parent === TBLSPC_PARENT) throw notSymlink(manifestName);
  if (dbPath && isPgInternalInit(name)) return;
  if (parent === PG_DATA && isExcludedRootFile(name, ctx.opts.pgVersion)) return;
  // Online: WAL comes from the archive (or archive-copy), never from pg_wal.
  if (ctx.opts.online && parent === ctx.walName) return;
  if (dbPath && isTempRelation(name)) return;
  ctx.files.push({
    name: manifestName,
    size: st.size,
    timestamp: Math.floor(st.mtimeMs / 1000),
    mode: modeOf(st),
    ...owner(ctx, st),
    checksumPage: dbPath && ctx.opts.checksumPage && isPageChecksumFile(manifestName),
  });
}

/** Tablespace link `pg_data/pg_tblspc/<oid>`: target, name and the two dummy path entries. */
function tablespaceTarget(ctx: Ctx, name: string): ManifestTarget {
  const targetName = `${PG_TBLSPC}/${name}`;
  if (!/^[0-9]+$/.test(name)) throw err('FormatError', `unable to convert base 10 string '${name}' to unsigned int`);
  const oid = Number(name);
  let tablespaceName = ctx.opts.tablespaces?.get(oid);
  if (ctx.opts.tablespaces !== undefined && tablespaceName === undefined) {
    throw err('AssertError', `tablespace with oid ${oid} not found in tablespace map`, {
      hints: ['was a tablespace created or dropped during the backup?'],
    });
  }
  tablespaceName ??= `ts${name}`;

  // `pg_tblspc` (restore ignores it) carries PGDATA's owner and mode; `pg_tblspc/<oid>` those of
  // PGDATA's pg_tblspc directory, because the link destination itself is not where data lives.
  const base = ctx.paths.find((p) => p.name === PG_DATA)!;
  if (!ctx.paths.some((p) => p.name === PG_TBLSPC)) ctx.paths.push({ ...base, name: PG_TBLSPC });
  const tblspcDir = ctx.paths.find((p) => p.name === TBLSPC_PARENT)!;
  ctx.paths.push({ ...tblspcDir, name: targetName });
  return { name: targetName, type: 'link', path: '', tablespaceId: oid, tablespaceName };
}

/** Everything before the last `/` ('' without one), like pgBackRest's strPath. */
function dirPart(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : slash === 0 ? '/' : path.slice(0, slash);
}

function visitLink(ctx: Ctx, parent: string, pgPath: string, dbPath: boolean, name: string, st: Stats): void {
  const manifestName = `${parent}/${name}`;
  const destination = readlinkSync(`${pgPath}/${name}`);
  const destinationAbsolute = resolve(pgPath, destination);
  if (lstatOrNull(destinationAbsolute)?.isSymbolicLink() === true) {
    throw err('LinkDestinationError', `link '${pgPath}/${name}' cannot reference another link '${destinationAbsolute}'`);
  }
  const link: ManifestLink = { name: manifestName, destination, ...owner(ctx, st) };
  const isTablespace = parent === TBLSPC_PARENT;
  const target: ManifestTarget = isTablespace ? tablespaceTarget(ctx, name) : { name: manifestName, type: 'link', path: '' };

  // A tablespace's data is in its PG_<ver>_<catalog> sub-directory: that is what gets walked.
  const walkParent = isTablespace ? target.name : parent;
  const walkPgPath = isTablespace ? `${pgPath}/${name}` : pgPath;
  const walkName = isTablespace ? ctx.tablespaceId : name;
  const linkPgPath = `${walkPgPath}/${walkName}`;
  const linked = statOrNull(linkPgPath);

  if (linked !== null && !linked.isDirectory()) {
    if (isTablespace) throw err('FormatError', 'tablespace links to a file');
    target.path = dirPart(destination);
    target.file = destination.slice(destination.lastIndexOf('/') + 1);
  } else target.path = destination;

  ctx.targets.push(target);
  ctx.links.push(link);
  checkLinkTarget(ctx.targets, target, ctx.opts.pgPath);
  if (linked === null) throw err('FileOpenError', `unable to get info for missing path/file '${linkPgPath}'`);
  visit(ctx, walkParent, walkPgPath, dbPath, walkName, linked);
}

/** PGDATA without a trailing slash, as pgBackRest normalises path options. */
function normalisePgPath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') : path;
}

export async function walkPgData(opts: WalkOptions): Promise<WalkResult> {
  const pgPath = normalisePgPath(opts.pgPath);
  const tablespaceId = pgTablespaceId(opts.pgVersion, opts.catalogVersion);
  const ctx: Ctx = {
    opts: { ...opts, pgPath },
    owners: opts.owners ?? systemOwnerLookup(),
    excl: userExclusions(opts.exclude),
    tablespaceId,
    dbPath: dbPathRegex(tablespaceId),
    walName: walManifestName(opts.pgVersion),
    targets: [{ name: PG_DATA, type: 'path', path: pgPath }],
    paths: [],
    files: [],
    links: [],
    log: [],
  };
  const root = statOrNull(pgPath);
  if (root === null) throw err('FileOpenError', `unable to get info for missing path/file '${pgPath}'`);
  ctx.paths.push({ name: PG_DATA, mode: modeOf(root), ...owner(ctx, root) });

  for (const entry of sortedEntries(pgPath)) {
    const entryStat = lstatOrNull(`${pgPath}/${entry}`);
    if (entryStat !== null) visit(ctx, PG_DATA, pgPath, false, entry, entryStat);
  }
  const byName = (a: { name: string }, b: { name: string }) => compareBytes(a.name, b.name);
  return {
    targets: ctx.targets.sort(byName),
    paths: ctx.paths.sort(byName),
    files: withoutUnloggedRelations(ctx.files.sort(byName), tablespaceId),
    links: ctx.links.sort(byName),
    log: ctx.log,
  };
}
