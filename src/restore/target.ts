/**
 * The restore destination: PGDATA checks before anything is read (running cluster, delta/force
 * sanity), then where every manifest target goes (`--pg1-path`, `--tablespace-map[-all]`,
 * `--link-map`, `--link-all`), spec backup-procedure.md §8.5 step 2.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { err } from '../error/error.js';
import type { Logger } from '../log/logger.js';
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

function remapLinks(m: Manifest, cfg: Config, log: Logger): void {
  const map = { ...cfg.hash('link-map') };
  const all = cfg.bool('link-all');
  const keep: ManifestTarget[] = [];
  for (const t of m.targets) {
    if (t.type !== 'link' || t.tablespaceId !== undefined) {
      keep.push(t);
      continue;
    }
    const rel = t.name.slice(PG_DATA.length + 1);
    const dest = map[rel];
    delete map[rel];
    if (dest !== undefined) {
      log.info(`map link '${rel}' to '${dest}'`);
      if (t.file === undefined) t.path = dest;
      else {
        const slash = dest.lastIndexOf('/');
        t.path = dest.slice(0, slash) || '/';
        t.file = dest.slice(slash + 1);
      }
      m.links.find((l) => l.name === t.name)!.destination = dest;
    }
    if (dest !== undefined || all) {
      keep.push(t);
      continue;
    }
    log.warn(
      t.file === undefined
        ? `contents of directory link '${rel}' will be restored in a directory at the same location`
        : `file link '${rel}' will be restored as a file at the same location`,
    );
    m.links = m.links.filter((l) => l.name !== t.name);
  }
  const unknown = Object.keys(map);
  if (unknown.length > 0) throw err('LinkMapError', `unable to remap invalid link '${unknown[0]}'`);
  m.targets = keep;
}

/** Absolute destination of a manifest path or file name (through PGDATA, links included). */
export function pgDestination(pgPath: string, name: string): string {
  if (name === PG_DATA) return pgPath;
  if (name.startsWith(`${PG_DATA}/`)) return `${pgPath}/${name.slice(PG_DATA.length + 1)}`;
  return `${pgPath}/${name}`;
}

/** Directories a restore writes into: PGDATA and, per tablespace, its version directory. */
export function targetDirectories(m: Manifest): string[] {
  const dirs: string[] = [];
  for (const t of m.targets) {
    if (t.name === PG_DATA) dirs.unshift(t.path);
    else if (t.tablespaceId !== undefined) {
      const sub = m.paths.find((p) => p.name.startsWith(`${t.name}/`) && !p.name.slice(t.name.length + 1).includes('/'));
      dirs.push(sub === undefined ? t.path : `${t.path}/${sub.name.slice(t.name.length + 1)}`);
    }
  }
  return dirs;
}

/** Detail `check '<dir>' exists`; missing directories are created, non-empty ones need delta/force. */
export function checkTargetDirectories(dirs: readonly string[], mode: DeltaMode, log: Logger): void {
  for (const dir of dirs) {
    log.detail(`check '${dir}' exists`);
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      continue;
    }
    if (!lstatSync(dir).isDirectory()) throw err('PathOpenError', `unable to open path '${dir}' for read`);
    if (!mode.delta && !mode.force && readdirSync(dir).length > 0) {
      throw err('PathNotEmptyError', `unable to restore to path '${dir}' because it contains files`, {
        hints: ['try using --delta if this is what you intended.'],
      });
    }
  }
}

export { PG_TBLSPC };
