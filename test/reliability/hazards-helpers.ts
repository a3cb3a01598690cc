/**
 * Helpers for test/reliability/hazards.test.ts: small tmpfs repos (disk full), a cluster archiving
 * through our archive-push into one or more repos, WAL listings and `info` in JSON.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../harness/pg.js';
export { waitArchived } from '../harness/pg.js';
import { ourArchiveCommand, ours, theirs, writeConf, type ConfSections } from '../harness/cli.js';
import { chownToPostgres, isRoot, makeTempDir, postgresUser } from '../harness/tmp.js';

const mounted = new Set<string>();

/**
 * Can this process mount a tmpfs? Probed once, synchronously, so that a describe block can be
 * skipped at collection time. Returns the reason when it cannot.
 */
export function tmpfsUnavailable(): string | undefined {
  if (!isRoot) return 'tests do not run as root: cannot mount a tmpfs';
  const probe = makeTempDir('pgbr-tmpfs-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    const out = (e as { stderr?: Buffer }).stderr?.toString().trim();
    return `mount -t tmpfs failed: ${out || (e as Error).message}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs of `sizeMb` at `dir` (created if needed), owned by postgres, mode 0750. */
export function mountTmpfs(dir: string, sizeMb: number): void {
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = postgresUser();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0750,uid=${uid},gid=${gid}`, 'tmpfs', dir], { stdio: 'pipe' });
  mounted.add(dir);
}

/** Unmounts every tmpfs mounted by mountTmpfs (lazily, so that a straggler cannot keep it busy). */
export function unmountAll(): void {
  for (const dir of mounted) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    }
    mounted.delete(dir);
  }
}

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Writes `<dir>/filler` (as root) until only about `leave` bytes are free on dir's filesystem. */
export function fillUntil(dir: string, leave: number): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'a');
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  try {
    for (;;) {
      const want = freeBytes(dir) - leave;
      if (want <= 0) break;
      try {
        writeSync(fd, chunk, 0, Math.min(chunk.length, want));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

export interface HazardEnv {
  cluster: Cluster;
  dir: string;
  conf: string;
  /** `--config=… --stanza=demo` */
  args: string[];
  /** Stanza sections, rewritten by setConf. */
  sections: ConfSections;
}

/**
 * A cluster whose archive_command is our archive-push (to every configured repo), a config with the
 * given repos and extra global options, and stanza `demo` created by our stanza-create. `repos` is
 * called with the env's dir before anything is written (a tmpfs can be mounted there).
 */
export async function hazardEnv(opts: {
  repos: (dir: string) => Record<string, string>;
  global?: Record<string, string>;
  stanzas?: string[];
  walSegmentSizeMb?: number;
}): Promise<HazardEnv> {
  const dir = makeTempDir('pgbr-hazard-');
  const conf = join(dir, 'pgbackrest.conf');
  const archiveCommand = `'${ourArchiveCommand(conf, 'demo')}'`;
  const cluster = await startCluster({
    walSegmentSizeMb: opts.walSegmentSizeMb,
    conf: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica' },
  });
  const pgSection = { 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir };
  const sections: ConfSections = {
    global: {
      ...opts.repos(dir),
      'lock-path': join(dir, 'lock'),
      'log-path': dir,
      'log-level-file': 'detail',
      'start-fast': 'y',
      'archive-timeout': '30',
      'compress-type': 'lz4',
      ...opts.global,
    },
  };
  for (const s of ['demo', ...(opts.stanzas ?? [])]) sections[s] = { ...pgSection };
  writeConf(dir, sections);
  const env = { cluster, dir, conf, args: [`--config=${conf}`, '--stanza=demo'], sections };
  for (const s of ['demo', ...(opts.stanzas ?? [])]) {
    const created = await ours([`--config=${conf}`, `--stanza=${s}`, 'stanza-create']);
    if (created.code !== 0) throw new Error(`stanza-create ${s} failed: ${created.stderr}`);
  }
  return env;
}

/** Writes a little WAL, switches segment, and returns the name of the segment just closed. */
export async function switchWal(c: Cluster): Promise<string> {
  const out = await c.psql(
    'CREATE TABLE IF NOT EXISTS hz_switch (x int); INSERT INTO hz_switch VALUES (1); SELECT pg_walfile_name(pg_switch_wal());',
  );
  return out.trim().split('\n').pop()!;
}

/** Stored WAL segment files of `stanza` in a posix repo: segment name → stored file name. */
export function storedSegments(repoPath: string, stanza: string): Map<string, string> {
  const out = new Map<string, string>();
  const base = join(repoPath, 'archive', stanza);
  if (!existsSync(base)) return out;
  for (const id of readdirSync(base).filter((n) => /^\d+-\d+$/.test(n))) {
    for (const d of readdirSync(join(base, id)).filter((x) => /^[0-F]{16}$/.test(x))) {
      for (const f of readdirSync(join(base, id, d))) {
        const m = /^([0-F]{24})-[0-9a-f]{40}(\.\w+)?$/.exec(f);
        if (m) out.set(m[1], f);
      }
    }
  }
  return out;
}

/** Every file name in an archive directory of `stanza` (15-1) holding `seg`'s timeline/log. */
export function archiveDirFiles(repoPath: string, stanza: string, seg: string): string[] {
  const d = join(repoPath, 'archive', stanza, '15-1', seg.slice(0, 16));
  return existsSync(d) ? readdirSync(d).sort() : [];
}

export interface JsonInfo {
  status: { code: number; message: string };
  backup: { label: string; type: string; archive: { start: string; stop: string } }[];
}

export async function infoJson(tool: typeof ours, env: HazardEnv, extra: string[] = []): Promise<JsonInfo> {
  const r = await tool([...env.args, ...extra, 'info', '--output=json']);
  if (r.code !== 0) throw new Error(`info failed (${r.code}): ${r.stderr}${r.stdout}`);
  return (JSON.parse(r.stdout) as JsonInfo[])[0];
}

export const labels = (i: JsonInfo): string[] => i.backup.map((b) => b.label);

export { ours, theirs };

/** Chown a path tree to root so that the postgres user cannot write in it (mode 0755). */
export function rootOwned(path: string): void {
  execFileSync('chown', ['root:root', path]);
  execFileSync('chmod', ['0755', path]);
}

/** Back to postgres. */
export function postgresOwned(path: string): void {
  chownToPostgres(path);
}

/** The segment after `seg` for 16 MiB segments (0x100 per log file), same timeline. */
export function nextSegment(seg: string): string {
  const tli = seg.slice(0, 8);
  let log = parseInt(seg.slice(8, 16), 16);
  let n = parseInt(seg.slice(16, 24), 16) + 1;
  if (n === 0x100) {
    n = 0;
    log++;
  }
  const hex = (x: number) => x.toString(16).toUpperCase().padStart(8, '0');
  return `${tli}${hex(log)}${hex(n)}`;
}
