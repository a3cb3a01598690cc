/**
 * Link destination rules checked while the manifest is built (pgBackRest's manifestLinkCheck): a
 * link must not point into PGDATA, two links must not share a directory (unless both are links
 * to different files in it), and no path link may lie inside another one.
 */
import { posix } from 'node:path';
import { err } from '../error/error.js';
import { PG_DATA, type ManifestTarget } from '../repo/manifest-types.js';

/** Name relative to PGDATA: `pg_data/x` → `x`; `pg_tblspc/1` stays (it is PGDATA/pg_tblspc/1). */
export function pgRelativeName(manifestName: string): string {
  return manifestName.startsWith(`${PG_DATA}/`) ? manifestName.slice(PG_DATA.length + 1) : manifestName;
}

/** Absolute destination directory of a target; relative ones count from the link's directory. */
export function targetAbsolutePath(target: ManifestTarget, pgPath: string): string {
  if (target.path.startsWith('/')) return target.path;
  return posix.resolve(pgPath, posix.dirname(pgRelativeName(target.name)), target.path);
}

const linkError = (message: string) => err('LinkDestinationError', message);

/** Throws LinkDestinationError when `added` breaks a rule against PGDATA or the other link targets. */
export function checkLinkTarget(targets: readonly ManifestTarget[], added: ManifestTarget, pgPath: string): void {
  if (added.type !== 'link') return;
  const addedPath = targetAbsolutePath(added, pgPath);
  const dir = `${addedPath}/`;
  const name = pgRelativeName(added.name);
  if (dir.startsWith(`${pgPath}/`)) throw linkError(`link '${name}' destination '${addedPath}' is in PGDATA`);

  for (const other of targets) {
    if (other === added || other.type !== 'link') continue;
    const otherPath = targetAbsolutePath(other, pgPath);
    const otherDir = `${otherPath}/`;
    const otherName = pgRelativeName(other.name);
    if (otherDir === dir) {
      if (added.file === undefined || other.file === undefined) {
        throw linkError(`link '${name}' (${addedPath}) destination is the same directory as link '${otherName}' (${otherPath})`);
      }
      if (added.file === other.file) {
        throw linkError(
          `link '${name}' (${addedPath}/${added.file}) destination is the same file as link '${otherName}' (${otherPath}/${other.file})`,
        );
      }
      continue;
    }
    // File links may sit in the parent directory of a path link and beside each other.
    if (added.file !== undefined || other.file !== undefined) continue;
    if (dir.startsWith(otherDir)) {
      throw linkError(`link '${name}' (${addedPath}) destination is a subdirectory of link '${otherName}' (${otherPath})`);
    }
    if (otherDir.startsWith(dir)) {
      throw linkError(`link '${otherName}' (${otherPath}) destination is a subdirectory of link '${name}' (${addedPath})`);
    }
  }
}
