import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConf, s3RepoConf } from '../test/harness/cli.js';
import type { Cluster } from '../test/harness/pg.js';
import type { S3Server } from '../test/harness/s3.js';
import { chownToPostgres } from '../test/harness/tmp.js';
import { measure, type Measured } from './measure.js';

export type ToolName = 'ours' | 'theirs';

/** How to start one implementation. */
export interface Tool {
  name: ToolName;
  cmd: string;
  args: string[];
}

/** Each tool as its users start it: ours through bin/pgbackrest, whose `#!` line sets node's options. */
export function tools(ourCli: string): Record<ToolName, Tool> {
  return {
    ours: { name: 'ours', cmd: ourCli, args: [] },
    theirs: { name: 'theirs', cmd: '/usr/bin/pgbackrest', args: [] },
  };
}

export type RepoType = 'posix' | 's3';

export interface RepoOptions {
  type: RepoType;
  compress?: 'lz4' | 'zst' | 'gz';
  processMax?: number;
  /** Extra [global] options. */
  extra?: Record<string, string>;
}

/** The shared state every case runs against. */
export interface BenchEnv {
  work: string;
  cluster: Cluster;
  s3: S3Server;
  /** s3rver's bucket directory on disk, so repos can be dropped without an S3 client. */
  s3BucketDir: string;
  tools: Record<ToolName, Tool>;
  /** Copies of real WAL segments of `cluster` (full paths, in WAL order). */
  segments: string[];
  /** The archive_command's active file of `cluster` (see setArchiveMode). */
  active: string;
}

/** A stanza `bench` with its own config, lock/log/spool dirs and one repo. */
export interface Repo {
  tool: Tool;
  dir: string;
  conf: string;
  s3Path?: string;
}

const STANZA = 'bench';

/** Dir and config for a fresh repo; nothing is created in the repo itself yet. */
export function makeRepo(env: BenchEnv, tool: Tool, label: string, opts: RepoOptions, pg: Cluster = env.cluster): Repo {
  const dir = join(env.work, 'repos', `${label}-${tool.name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  chownToPostgres(join(env.work, 'repos'));
  chownToPostgres(dir);
  const s3Path = opts.type === 's3' ? `/${label}-${tool.name}` : undefined;
  const repo =
    s3Path === undefined ? { 'repo1-path': join(dir, 'repo') } : s3RepoConf({ ...env.s3, path: s3Path }, dir);
  const conf = join(dir, 'pgbackrest.conf');
  const text = renderConf({
    global: {
      ...repo,
      'lock-path': join(dir, 'lock'),
      'log-path': join(dir, 'log'),
      'spool-path': join(dir, 'spool'),
      'log-level-file': 'off',
      'log-level-console': 'warn',
      'start-fast': 'y',
      // A high count keeps the retention warning out of the output; repos are dropped after each run.
      'repo1-retention-full': '99',
      'compress-type': opts.compress ?? 'gz',
      'process-max': String(opts.processMax ?? 1),
      ...opts.extra,
    },
    [STANZA]: { 'pg1-path': pg.pgdata, 'pg1-port': String(pg.port), 'pg1-socket-path': pg.socketDir },
  });
  writeFileSync(conf, text, { mode: 0o640 });
  chownToPostgres(conf);
  return { tool, dir, conf, s3Path };
}

/** Runs one command of `repo`'s tool against its config, timed. */
export function runTool(env: BenchEnv, repo: Repo, args: readonly string[]): Promise<Measured> {
  const { cmd, args: pre } = repo.tool;
  return measure(cmd, [...pre, `--config=${repo.conf}`, `--stanza=${STANZA}`, ...args], { scratchDir: env.work });
}

/** Like runTool, but a non-zero exit is an error carrying the tool's output. */
export async function mustRun(env: BenchEnv, repo: Repo, args: readonly string[]): Promise<Measured> {
  const r = await runTool(env, repo, args);
  if (r.code !== 0) {
    const msg = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${repo.tool.name} ${args.join(' ')} exited ${r.code}: ${msg}`);
  }
  return r;
}

export function dropRepo(env: BenchEnv, repo: Repo): void {
  discard(env, repo.dir);
  if (repo.s3Path !== undefined) discard(env, join(env.s3BucketDir, repo.s3Path.slice(1)));
}

/**
 * Takes `path` out of the way without deleting it: it is moved into the work dir's trash, which
 * `emptyTrash` deletes between cases. Files deleted just before a timed run can slow that run:
 * ext4 without a journal (this machine's root) skips inodes freed in the last 60 s (300 s while
 * their inode table block is dirty) when it allocates new ones, reading each one's on-disk record to
 * check, while holding the directory's lock. A 20,000-file backup took 40 % longer that way, whichever tool ran (bench/README.md).
 */
export function discard(env: BenchEnv, path: string): void {
  if (!existsSync(path)) return;
  const trash = trashDir(env);
  mkdirSync(trash, { recursive: true });
  try {
    renameSync(path, join(trash, `${Date.now()}-${++discarded}`));
  } catch {
    // another file system: deleting now is all that is left
    rmSync(path, { recursive: true, force: true });
  }
}

let discarded = 0;

const trashDir = (env: BenchEnv): string => join(env.work, 'trash');

/** Deletes the trash; returns how many entries it held (directories and files). */
export function emptyTrash(env: BenchEnv): number {
  const trash = trashDir(env);
  if (!existsSync(trash)) return 0;
  const count = readdirSync(trash, { recursive: true }).length;
  rmSync(trash, { recursive: true, force: true });
  return count;
}

/**
 * The archive_command dispatcher. PostgreSQL runs `pgbackrest-dispatch.sh <active file> %p %f`; the active
 * file says what to do with each segment: `collect` copies it aside, `push` runs the archive-push of
 * the tool whose case is running (so every backup pays for its own tool's archiving), `idle` drops it.
 */
export function writeDispatcher(work: string): string {
  // pgBackRest refuses to back up unless archive_command contains 'pgbackrest'.
  const script = join(work, 'pgbackrest-dispatch.sh');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      '. "$1"',
      'case "$MODE" in',
      '  collect) [ "$(ls "$SEGS" | wc -l)" -lt "$MAX" ] && cp "$2" "$SEGS/$3"; exit 0 ;;',
      `  push) exec $CMD --config="$CONF" --stanza=${STANZA} archive-push "$2" ;;`,
      '  *) exit 0 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

export type ArchiveMode = { mode: 'idle' } | { mode: 'collect'; dir: string; max: number } | { mode: 'push'; repo: Repo };

/** Points the archive_command of the cluster whose active file is `activeFile` somewhere else. */
export function setArchiveMode(activeFile: string, m: ArchiveMode): void {
  const lines = [`MODE=${m.mode}`];
  if (m.mode === 'collect') lines.push(`SEGS=${m.dir}`, `MAX=${m.max}`);
  if (m.mode === 'push') lines.push(`CMD='${[m.repo.tool.cmd, ...m.repo.tool.args].join(' ')}'`, `CONF=${m.repo.conf}`);
  writeFileSync(activeFile, lines.join('\n') + '\n', { mode: 0o644 });
}
