/**
 * Restore writes every manifest name below the target (`pgDestination`), so a name that climbs
 * out of it (`..`, an absolute path, an empty component) or a symlink the manifest does not back
 * with a link target would let a tampered or corrupt manifest write outside the cluster. These
 * checks run before anything is written; links that are declared targets (tablespaces, mapped
 * links) point wherever the backup recorded, as in pgBackRest.
 */
import { err } from '../error/error.js';
import { PG_DATA, PG_TBLSPC, type Manifest } from '../repo/manifest.js';

/** `[029] FormatError` for the first name that would not stay inside its target. */
export function checkManifestNames(m: Manifest): void {
  for (const t of m.targets) checkName(t.name, 'target');
  for (const p of m.paths) checkName(p.name, 'path');
  for (const f of m.files) checkName(f.name, 'file');
  const linkTargets = new Set(m.targets.filter((t) => t.type === 'link').map((t) => t.name));
  for (const l of m.links) {
    checkName(l.name, 'link');
    if (!linkTargets.has(l.name) && !linkTargets.has(l.name.replace(`${PG_DATA}/${PG_TBLSPC}/`, `${PG_TBLSPC}/`))) {
      throw invalid('link', l.name, 'it has no link target');
    }
  }
}

function checkName(name: string, what: string): void {
  if (name !== PG_DATA && !name.startsWith(`${PG_DATA}/`) && name !== PG_TBLSPC && !name.startsWith(`${PG_TBLSPC}/`)) {
    throw invalid(what, name, `it is not inside '${PG_DATA}' or '${PG_TBLSPC}'`);
  }
  if (name.includes('\0')) throw invalid(what, name, 'it contains a NUL character');
  for (const part of name.split('/')) {
    if (part === '' || part === '.' || part === '..') throw invalid(what, name, `it has a '${part}' component`);
  }
}

function invalid(what: string, name: string, why: string) {
  return err('FormatError', `invalid manifest ${what} '${name.replace(/\0/g, '\\0')}': ${why}`, {
    hints: ['restore refuses manifest names that would write outside the restore target.'],
  });
}
