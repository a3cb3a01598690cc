import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pgBinaries, type Cluster } from './pg.js';
import { runCmd, type RunResult } from './run.js';
import { chownToPostgres, makeTempDir } from './tmp.js';

/**
 * A real `pg_upgrade` (Debian PostgreSQL 15's) from an older cluster to a freshly initdb'd newer one.
 *
 * pg_upgrade wants an old bin dir holding postgres, pg_ctl, pg_controldata and pg_resetwal. The
 * embedded PG 14 package ships only initdb, pg_ctl and postgres (their RUNPATH is $ORIGIN/../lib, so
 * symlinks to them run without LD_LIBRARY_PATH; and LD_LIBRARY_PATH must stay unset, or the new
 * version's pg_dump and psql would load the old package's libpq). The two missing tools come from
 * the new version, which is sound because 14 and 15 share pg_control version 1300:
 *  - pg_controldata does not look at PG_VERSION and prints the old pg_control as is;
 *  - pg_resetwal refuses a data dir whose PG_VERSION is not its own, and pg_upgrade only runs it on
 *    the old cluster as `pg_resetwal -n DATADIR` (print, change nothing). A shim runs the new one on
 *    a shadow dir with the old global/pg_control, the old pg_wal (for "First log segment after
 *    reset") and PG_VERSION of the new major. Any other use of the shim fails loudly.
 * Everything else (both server starts, the schema dump/restore, file copies, pg_resetwal on the
 * new cluster, vacuumdb) is pg_upgrade's own work.
 */
export interface PgUpgradeResult extends RunResult {
  /** The bin dir given to pg_upgrade as -b. */
  oldBinDir: string;
  /** pg_upgrade's own log files (from <new pgdata>/pg_upgrade_output.d) when it failed. */
  logs: string;
}

/** `pg_control version number` of a data dir, read by the new version's pg_controldata. */
export async function controlVersion(binDir: string, pgdata: string): Promise<number> {
  const r = await runCmd(join(binDir, 'pg_controldata'), [pgdata], { asPostgres: true, addEnv: { LC_ALL: 'C' } });
  if (r.code !== 0) throw new Error(`pg_controldata ${pgdata}: ${r.stderr}`);
  const m = /^pg_control version number:\s+(\d+)$/m.exec(r.stdout);
  if (m === null) throw new Error(`no pg_control version in: ${r.stdout}`);
  return Number(m[1]);
}

function resetwalShim(newBinDir: string, newMajor: number): string {
  return `#!/bin/sh
# pg_resetwal for the OLD cluster of a pg_upgrade: only "-V" and "-n DATADIR" (see test/harness/pg-upgrade.ts)
if [ "$1" = "-V" ] && [ $# -eq 1 ]; then exec "${newBinDir}/pg_resetwal" -V; fi
if [ "$1" != "-n" ] || [ $# -ne 2 ]; then echo "pg_resetwal shim: only -V and -n DATADIR are supported, got: $*" >&2; exit 1; fi
shadow=$(mktemp -d) || exit 1
trap 'rm -rf "$shadow"' EXIT
mkdir "$shadow/global" && cp "$2/global/pg_control" "$shadow/global/pg_control" && echo ${newMajor} > "$shadow/PG_VERSION" && ln -s "$2/pg_wal" "$shadow/pg_wal" || exit 1
"${newBinDir}/pg_resetwal" -n "$shadow"
`;
}

function readLogs(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && f.endsWith('.log'))
    .map((f) => `==> ${f} <==\n${readFileSync(f, 'utf8')}`)
    .join('\n');
}

/**
 * Stops both clusters (when running) and runs pg_upgrade (copy mode) from `old` into `fresh`, which
 * must be an untouched initdb of the newer major with the same options. Neither is started again.
 */
export async function pgUpgrade(old: Cluster, fresh: Cluster): Promise<PgUpgradeResult> {
  const newBins = pgBinaries(fresh.version);
  const oldBins = pgBinaries(old.version);
  const work = makeTempDir('pgbr-pg-upgrade-');
  const oldBinDir = join(work, 'old-bin');
  const socketDir = join(work, 'sock');
  for (const d of [oldBinDir, socketDir]) {
    mkdirSync(d, { mode: 0o700 });
    chownToPostgres(d);
  }
  for (const bin of ['postgres', 'pg_ctl']) symlinkSync(join(oldBins.binDir, bin), join(oldBinDir, bin));
  symlinkSync(join(newBins.binDir, 'pg_controldata'), join(oldBinDir, 'pg_controldata'));
  writeFileSync(join(oldBinDir, 'pg_resetwal'), resetwalShim(newBins.binDir, fresh.version));
  chmodSync(join(oldBinDir, 'pg_resetwal'), 0o755);

  const [oldControl, newControl] = await Promise.all([controlVersion(newBins.binDir, old.pgdata), controlVersion(newBins.binDir, fresh.pgdata)]);
  if (oldControl !== newControl) {
    throw new Error(`pg_control versions differ (${oldControl} vs ${newControl}): the new pg_controldata cannot read the old cluster`);
  }

  await old.stop().catch(() => undefined);
  await fresh.stop().catch(() => undefined);
  const args = ['-b', oldBinDir, '-B', newBins.binDir, '-d', old.pgdata, '-D', fresh.pgdata];
  args.push('-p', String(old.port), '-P', String(fresh.port), '-s', socketDir, '-U', old.user);
  // no LD_LIBRARY_PATH: see above. pg_upgrade writes its scripts into the cwd, which postgres must own.
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
  delete env.LD_LIBRARY_PATH;
  const r = await runCmd(join(newBins.binDir, 'pg_upgrade'), args, { asPostgres: true, cwd: work, env, timeoutMs: 120_000 });
  return { ...r, oldBinDir, logs: r.code === 0 ? '' : readLogs(join(fresh.pgdata, 'pg_upgrade_output.d')) };
}
