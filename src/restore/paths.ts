/**
 * Everything a restore does to the destination before files are copied (spec backup-procedure.md
 * §8.5 step 3): with delta/force, remove what the manifest does not have; then create paths and
 * symlinks with the manifest's modes and owners.
 */
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { PG_DATA, PG_TBLSPC, type Manifest, type Owner } from '../repo/manifest.js';
import { pgDestination } from './target.js';
import type { OwnerIds } from './owner.js';

export interface CleanOptions {
  pgPath: string;
  /** Names (relative to the target) never removed, e.g. postgresql.auto.conf for --type=preserve. */
  keep: ReadonlySet<string>;
}

/**
 * Delta/force: `global/pg_control` goes first so an interrupted restore cannot start, then every
 * file, link or path of the target directories that the manifest does not list as such.
 */
export function cleanTargets(m: Manifest, o: CleanOptions, log: Logger): void {
  const control = join(o.pgPath, 'global', 'pg_control');
  if (existsSync(control)) {
    log.detail("remove 'global/pg_control' so cluster will not start if restore does not complete");
    unlinkSync(control);
  }
  const files = new Set(m.files.map((f) => f.name));
  const paths = new Set(m.paths.map((p) => p.name));
  const links = new Map(m.links.map((l) => [l.name, l.destination]));
  const roots: Array<[string, string]> = [[o.pgPath, PG_DATA]];
  for (const t of m.targets) {
    if (t.tablespaceId === undefined) continue;
    const version = m.paths.find((p) => p.name.startsWith(`${t.name}/`) && !p.name.slice(t.name.length + 1).includes('/'));
    if (version !== undefined) roots.push([`${t.path}/${version.name.slice(t.name.length + 1)}`, version.name]);
  }
  for (const [dir, name] of roots) {
    if (!existsSync(dir)) continue;
    log.info(`remove invalid files/links/paths from '${dir}'`);
    cleanDir(dir, name, { files, paths, links, keep: o.keep }, log);
  }
}

interface Expected {
  files: Set<string>;
  paths: Set<string>;
  links: Map<string, string>;
  keep: ReadonlySet<string>;
}

function cleanDir(dir: string, name: string, e: Expected, log: Logger): void {
  for (const entry of readdirSync(dir).sort()) {
    const abs = `${dir}/${entry}`;
    const child = `${name}/${entry}`;
    const st = lstatSync(abs);
    if (e.keep.has(child)) continue;
    if (st.isSymbolicLink()) {
      if (e.links.get(child) === readlinkSync(abs)) continue;
      log.detail(`remove invalid link '${abs}'`);
      unlinkSync(abs);
    } else if (st.isDirectory()) {
      if (e.paths.has(child)) {
        cleanDir(abs, child, e, log);
        continue;
      }
      log.detail(`remove invalid path '${abs}'`);
      rmSync(abs, { recursive: true, force: true });
    } else {
      if (st.isFile() && e.files.has(child)) continue;
      log.detail(`remove invalid file '${abs}'`);
      unlinkSync(abs);
    }
  }
}

/** Creates missing paths (PGDATA's first), then symlinks, then paths reached through them. */
export function createPaths(m: Manifest, pgPath: string, owners: OwnerIds, log: Logger): void {
  const root = m.paths.find((p) => p.name === PG_DATA);
  if (root !== undefined) setOwner(pgPath, root.user, root.group, owners, log, true);
  const tablespaceLinks = new Set(m.targets.filter((t) => t.tablespaceId !== undefined).map((t) => t.name));
  const [inData, others] = partition(
    m.paths.filter((p) => p.name !== PG_DATA && p.name !== PG_TBLSPC && !tablespaceLinks.has(p.name)),
    (p) => p.name.startsWith(`${PG_DATA}/`),
  );
  for (const p of inData) createPath(pgDestination(pgPath, p.name), p.mode, p.user, p.group, owners, log);
  for (const l of [...m.links].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const at = pgDestination(pgPath, l.name);
    const existing = lstatSync(at, { throwIfNoEntry: false });
    if (existing?.isSymbolicLink() && readlinkSync(at) === l.destination) continue;
    if (existing !== undefined) rmSync(at, { recursive: true, force: true });
    log.detail(`create symlink '${at}' to '${l.destination}'`);
    symlinkSync(l.destination, at);
    setOwner(at, l.user, l.group, owners, log, false, true);
  }
  for (const p of others) createPath(pgDestination(pgPath, p.name), p.mode, p.user, p.group, owners, log);
}

function createPath(abs: string, mode: number, user: Owner, group: Owner, owners: OwnerIds, log: Logger): void {
  if (!existsSync(abs)) {
    log.detail(`create path '${abs}'`);
    mkdirSync(abs, { mode });
  }
  chmodSync(abs, mode);
  setOwner(abs, user, group, owners, log, false);
}

function setOwner(abs: string, user: Owner, group: Owner, owners: OwnerIds, log: Logger, announce: boolean, link = false): void {
  if (!owners.enabled) return;
  const uid = owners.uid(user);
  const gid = owners.gid(group);
  const st = lstatSync(abs);
  if (st.uid === uid && st.gid === gid) return;
  if (announce) log.detail(`update ownership for '${abs}'`);
  (link ? lchownSync : chownSync)(abs, uid, gid);
}

function partition<T>(list: readonly T[], pred: (x: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const x of list) (pred(x) ? yes : no).push(x);
  return [yes, no];
}
