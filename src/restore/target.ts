/**
 * The restore destination: PGDATA checks before anything is read (running cluster, delta/force
 * sanity), then where every manifest target goes (`--pg1-path`, `--tablespace-map[-all]`,
 * `--link-map`, `--link-all`), spec backup-procedure.md §8.5 step 2.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { err } from '../error/error.js';
import type { Logger } from '../log/logger.js';
import { checkLinkTarget } from '../backup/manifest-link.js';
import { PG_DATA, PG_TBLSPC, type Manifest, type ManifestTarget } from '../repo/manifest.js';

export interface DeltaMode {
  delta: boolean;
  force: boolean;
}

/** `[038]` when PostgreSQL runs in the target; delta/force off (with a warning) when it is not a PGDATA. */
export function validatePgPath(pgPath: string, mode: DeltaMode, log: Logger): DeltaMode {
  if (existsSync(join(pgPath, 'postmaster.pid'))) {
    throw err('PgRunningError', 'unable to restore while PostgreSQL is running', {
      hints: [
        `presence of 'postmaster.pid' in '${pgPath}' indicates PostgreSQL is running.`,
        "remove 'postmaster.pid' only if PostgreSQL is not running.",
      ],
    });
  }
  if (!mode.delta && !mode.force) return mode;
  if (existsSync(join(pgPath, 'PG_VERSION')) || existsSync(join(pgPath, 'backup.manifest'))) return mode;
  log.warn(
    `--delta or --force specified but unable to find 'PG_VERSION' or 'backup.manifest' in '${pgPath}' to confirm that ` +
      'this is a valid $PGDATA directory.  --delta and --force have been disabled and if any files exist in the ' +
      'destination directories the restore will be aborted.',
  );
  return { delta: false, force: false };
}

/**
 * Rewrites the manifest's targets in place to their restore destinations and drops links that
 * are not restored as links (their contents are then restored as plain paths/files).
 */
export function remapTargets(m: Manifest, cfg: Config, pgPath: string, log: Logger): void {
  const pgData = m.targets.find((t) => t.name === PG_DATA)!;
  if (pgData.path !== pgPath) {
    log.info(`remap data directory to '${pgPath}'`);
    pgData.path = pgPath;
  }
  remapTablespaces(m, cfg, log);
  remapLinks(m, cfg, log);
}

function remapTablespaces(m: Manifest, cfg: Config, log: Logger): void {
  const map = { ...cfg.hash('tablespace-map') };
  const all = cfg.strOpt('tablespace-map-all');
  for (const t of m.targets.filter((x) => x.tablespaceId !== undefined)) {
    const name = t.tablespaceName ?? `ts${t.tablespaceId}`;
    const byName = map[name];
    const byId = map[String(t.tablespaceId)];
    if (byName !== undefined && byId !== undefined) {
      throw err('TablespaceMapError', `tablespace remapped by name '${name}' and id ${t.tablespaceId} with different paths`);
    }
    const dest = byName ?? byId ?? (all === undefined ? undefined : `${all}/${name}`);
    delete map[name];
    delete map[String(t.tablespaceId)];
    if (dest === undefined || dest === t.path) continue;
    log.info(`map tablespace '${t.name}' to '${dest}'`);
    t.path = dest;
    const link = m.links.find((l) => l.name === `${PG_DATA}/${t.name}`);
    if (link !== undefined) link.destination = dest;
  }
  const unknown = Object.keys(map);
  if (unknown.length > 0) throw err('TablespaceMapError', `unable to remap invalid tablespace '${unknown[0]}'`);
}

/**
 * `--link-map` and `--link-all` as pgBackRest 2.45 applies them: mappings in name order; a mapping
 * of a path or file that was no link in the backup makes it one; links neither mapped nor kept by
 * `--link-all` are restored as plain paths or files where they were.
 */
function remapLinks(m: Manifest, cfg: Config, log: Logger): void {
  const map = cfg.hash('link-map');
  for (const link of Object.keys(map).sort()) {
    const dest = map[link]!;
    const name = `${PG_DATA}/${link}`;
    let target = m.targets.find((t) => t.name === name);
    const create = target === undefined;
    if (target === undefined) {
      const isPath = m.paths.some((p) => p.name === name);
      const isFile = m.files.some((f) => f.name === name);
      if (isPath && isFile) throw err('FormatError', 'link may not be both file and path');
      if (!isPath && !isFile) {
        throw err('LinkMapError', `unable to map link '${link}'`, { hints: ['Does the link reference a valid backup path or file?'] });
      }
      const base = m.paths.find((p) => p.name === PG_DATA);
      target = { name, type: 'link', path: dest, ...(isFile ? { file: '.' } : {}) };
      m.links.push({ name, destination: dest, user: base?.user ?? false, group: base?.group ?? false });
    }
    if (target.tablespaceId !== undefined) {
      throw err('LinkMapError', `unable to remap tablespace '${link}'`, { hints: ["use 'tablespace-map' option to remap tablespaces."] });
    }
    log.info(`${create ? '' : 'map '}link '${link}' to '${dest}'`);
    if (!create) m.links.find((l) => l.name === name)!.destination = dest;
    target.path = dest;
    if (target.file !== undefined) {
      // the destination needs a directory part besides the file: '../file' and '/file' will do, '..' will not
      const slash = dest.lastIndexOf('/');
      if (slash === -1) throw err('LinkMapError', `'${dest}' is not long enough to be the destination for file link '${link}'`);
      target.file = dest.slice(slash + 1);
      target.path = slash === 0 ? '/' : dest.slice(0, slash);
    }
    if (create) m.targets.push(target);
  }
  // a created link's target goes last, as pgBackRest appends it (the order of the checks and their lines)
  if (cfg.bool('link-all')) return;
  const kept: ManifestTarget[] = [];
  for (const t of m.targets) {
    const rel = t.name.slice(PG_DATA.length + 1);
    if (t.type !== 'link' || t.tablespaceId !== undefined || map[rel] !== undefined) {
      kept.push(t);
      continue;
    }
    log.warn(
      t.file === undefined
        ? `contents of directory link '${rel}' will be restored in a directory at the same location`
        : `file link '${rel}' will be restored as a file at the same location`,
    );
    m.links = m.links.filter((l) => l.name !== t.name);
  }
  m.targets = kept;
}

/**
 * pgBackRest's manifestLinkCheck on the mapped targets: no link into PGDATA, no two links to one
 * directory (but for links to different files in it), no path link inside another.
 */
export function checkLinks(m: Manifest, pgPath: string): void {
  m.targets.forEach((t, i) => checkLinkTarget(m.targets.slice(0, i), t, pgPath));
}

/** Absolute destination of a manifest path or file name (through PGDATA, links included). */
export function pgDestination(pgPath: string, name: string): string {
  if (name === PG_DATA) return pgPath;
  if (name.startsWith(`${PG_DATA}/`)) return `${pgPath}/${name.slice(PG_DATA.length + 1)}`;
  return `${pgPath}/${name}`;
}

export { PG_TBLSPC };
