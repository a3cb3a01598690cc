/**
 * Everything a restore does to the destination before files are copied, in pgBackRest 2.45's
 * steps (restoreCleanBuild, spec backup-procedure.md §8.5 step 3):
 * 1. every target (PGDATA, each tablespace's version directory, each link's destination) is
 *    checked: owned by us and rwx when it exists, and without --delta/--force empty (a file
 *    link's file absent);
 * 2. `global/pg_control` goes, then each existing target is cleaned of what the manifest does not
 *    have (and modes and owners put right); missing targets are created;
 * 3. paths and path links are created in manifest order, so a path under a link is made through
 *    it; then file links.
 */
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { targetAbsolutePath } from '../backup/manifest-link.js';
import { err } from '../error/error.js';
import type { Logger } from '../log/logger.js';
import { PG_DATA, PG_TBLSPC, type Manifest, type ManifestTarget, type Owner } from '../repo/manifest.js';
import type { OwnerIds } from './owner.js';
import { tablespaceVersionDir } from './selective.js';
import { pgDestination, type DeltaMode } from './target.js';
import { pathCreateSync } from '../storage/posix.js';

/** A target as the clean sees it: its manifest name and absolute path (a tablespace's version directory). */
export interface CleanTarget {
  target: ManifestTarget;
  name: string;
  path: string;
  exists: boolean;
}

const fmtMode = (mode: number): string => mode.toString(8).padStart(4, '0');

/**
 * Step 1. `ignore`: names in PGDATA that neither make it non-empty nor are cleaned away
 * (backup.manifest; the recovery files for --type=preserve).
 */
export function checkTargets(m: Manifest, pgPath: string, mode: DeltaMode, ignore: ReadonlySet<string>, log: Logger): CleanTarget[] {
  const delta = mode.delta || mode.force;
  const tsDir = tablespaceVersionDir(m);
  const checked = new Set<string>();
  const root = process.getuid?.() === 0;
  const out: CleanTarget[] = [];
  for (const t of m.targets) {
    let name = t.name;
    let path = t.name === PG_DATA ? pgPath : targetAbsolutePath(t, pgPath);
    if (t.tablespaceId !== undefined) {
      name += `/${tsDir}`;
      path += `/${tsDir}`;
    }
    // several file links may share a directory: one line for it
    if (!checked.has(path)) log.detail(`check '${path}' exists`);
    checked.add(path);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st !== undefined) {
      if (!st.isDirectory()) throw err('PathOpenError', `unable to open path '${path}' for read`);
      if (!root && st.uid !== process.getuid?.()) throw err('PathOpenError', `unable to restore to path '${path}' not owned by current user`);
      if ((st.mode & 0o700) !== 0o700) throw err('PathOpenError', `unable to restore to path '${path}' without rwx permissions`);
      if (!delta) {
        if (t.file === undefined) {
          const base = name === PG_DATA;
          const present = readdirSync(path, { withFileTypes: true }).filter((e) => !(base && e.isFile() && ignore.has(`${PG_DATA}/${e.name}`)));
          if (present.length > 0) {
            throw err('PathNotEmptyError', `unable to restore to path '${path}' because it contains files`, {
              hints: ['try using --delta if this is what you intended.'],
            });
          }
        } else if (lstatSync(join(path, t.file), { throwIfNoEntry: false }) !== undefined) {
          throw err('FileExistsError', `unable to restore file '${join(path, t.file)}' because it already exists`, {
            hints: ['try using --delta if this is what you intended.'],
          });
        }
      }
    }
    out.push({ target: t, name, path, exists: st !== undefined });
  }
  return out;
}

export interface CleanOptions {
  pgPath: string;
  /** Whether --delta or --force was given (the clean is logged then). */
  delta: boolean;
  /** Names in PGDATA never removed, as for checkTargets. */
  keep: ReadonlySet<string>;
  owners: OwnerIds;
}

/** Step 2. */
export function cleanTargets(m: Manifest, targets: readonly CleanTarget[], o: CleanOptions, log: Logger): void {
  const control = join(o.pgPath, 'global', 'pg_control');
  if (existsSync(control)) {
    log.detail("remove 'global/pg_control' so cluster will not start if restore does not complete");
    unlinkSync(control);
  }
  const e: Expected = {
    files: new Map(m.files.map((f) => [f.name, f])),
    paths: new Map(m.paths.map((p) => [p.name, p])),
    links: new Map(m.links.map((l) => [l.name, l])),
    keep: o.keep,
    owners: o.owners,
  };
  for (const ct of targets) {
    if (ct.exists) {
      // a file link's directory is not ours to clean
      if (ct.target.file !== undefined) continue;
      if (o.delta) log.info(`remove invalid files/links/paths from '${ct.path}'`);
      const p = e.paths.get(ct.name);
      if (p !== undefined) fixPath(ct.path, p.mode, p.user, p.group, statSync(ct.path), e.owners, log);
      cleanDir(ct.path, ct.name, e, log);
      continue;
    }
    // a file link's directory takes PGDATA's mode and owner
    const p = e.paths.get(ct.target.file === undefined ? ct.target.name : PG_DATA);
    pathCreateSync(ct.path, p?.mode ?? 0o700);
    if (p === undefined) continue;
    chmodSync(ct.path, p.mode);
    setOwner(ct.path, p.user, p.group, o.owners, log, false);
  }
}

interface Expected {
  files: Map<string, { mode: number; user: Owner; group: Owner }>;
  paths: Map<string, { mode: number; user: Owner; group: Owner }>;
  links: Map<string, { destination: string; user: Owner; group: Owner }>;
  keep: ReadonlySet<string>;
  owners: OwnerIds;
}

function cleanDir(dir: string, name: string, e: Expected, log: Logger): void {
  for (const entry of readdirSync(dir).sort()) {
    const abs = `${dir}/${entry}`;
    const child = `${name}/${entry}`;
    const st = lstatSync(abs);
    if (name === PG_DATA && st.isFile() && e.keep.has(child)) continue;
    if (st.isSymbolicLink()) {
      const link = e.links.get(child);
      if (link === undefined) {
        log.detail(`remove invalid link '${abs}'`);
        unlinkSync(abs);
      } else if (link.destination !== readlinkSync(abs)) {
        log.detail(`remove link '${abs}' because destination changed`);
        unlinkSync(abs);
      } else {
        setOwner(abs, link.user, link.group, e.owners, log, true, true);
      }
    } else if (st.isDirectory()) {
      const p = e.paths.get(child);
      if (p !== undefined && !e.links.has(child)) {
        fixPath(abs, p.mode, p.user, p.group, st, e.owners, log);
        cleanDir(abs, child, e, log);
        continue;
      }
      log.detail(`remove invalid path '${abs}'`);
      rmSync(abs, { recursive: true, force: true });
    } else if (st.isFile()) {
      const f = e.files.get(child);
      if (f !== undefined && !e.links.has(child)) {
        fixPath(abs, f.mode, f.user, f.group, st, e.owners, log);
        continue;
      }
      log.detail(`remove invalid file '${abs}'`);
      unlinkSync(abs);
    } else {
      log.detail(`remove special file '${abs}'`);
      unlinkSync(abs);
    }
  }
}

/** Owner, then mode, of an existing file or path, each with pgBackRest's detail line when changed. */
function fixPath(abs: string, mode: number, user: Owner, group: Owner, st: { mode: number }, owners: OwnerIds, log: Logger): void {
  setOwner(abs, user, group, owners, log, true);
  if ((st.mode & 0o7777) === mode) return;
  log.detail(`update mode for '${abs}' to ${fmtMode(mode)}`);
  chmodSync(abs, mode);
}

/** Step 3: paths and path links in manifest order, then file links. Existing ones were put right by the clean. */
export function createPaths(m: Manifest, pgPath: string, owners: OwnerIds, log: Logger): void {
  const links = new Map(m.links.map((l) => [l.name, l]));
  for (const p of [...m.paths].sort(byName)) {
    if (p.name === PG_TBLSPC) continue;
    const link = links.get(p.name.startsWith(`${PG_TBLSPC}/`) ? `${PG_DATA}/${p.name}` : p.name);
    if (link !== undefined) {
      createLink(pgPath, link, owners, log);
      continue;
    }
    const abs = pgDestination(pgPath, p.name);
    if (lstatSync(abs, { throwIfNoEntry: false }) !== undefined) continue;
    log.detail(`create path '${abs}'`);
    pathCreateSync(abs, 0o700);
    chmodSync(abs, p.mode);
    setOwner(abs, p.user, p.group, owners, log, false);
  }
  for (const link of [...m.links].sort(byName)) createLink(pgPath, link, owners, log);
}

function createLink(pgPath: string, link: { name: string; destination: string; user: Owner; group: Owner }, owners: OwnerIds, log: Logger): void {
  const at = pgDestination(pgPath, link.name);
  if (lstatSync(at, { throwIfNoEntry: false }) !== undefined) return;
  log.detail(`create symlink '${at}' to '${link.destination}'`);
  symlinkSync(link.destination, at);
  setOwner(at, link.user, link.group, owners, log, false, true);
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function setOwner(abs: string, user: Owner, group: Owner, owners: OwnerIds, log: Logger, announce: boolean, link = false): void {
  if (!owners.enabled) return;
  const uid = owners.uid(user);
  const gid = owners.gid(group);
  const st = lstatSync(abs);
  if (st.uid === uid && st.gid === gid) return;
  if (announce) log.detail(`update ownership for '${abs}'`);
  (link ? lchownSync : chownSync)(abs, uid, gid);
}
