import { gzipSync } from 'node:zlib';
import { chownSync, closeSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../test/harness/pg.js';
import { runCmd } from '../test/harness/run.js';
import { chownToPostgres, postgresUser, isRoot } from '../test/harness/tmp.js';
import { setArchiveMode } from './env.js';

export interface BuiltCluster {
  cluster: Cluster;
  active: string;
  segments: string[];
  dbSizeMb: number;
  /** Raw / gz-compressed bytes over a sample of the relation files. */
  gzRatio: number;
  buildSeconds: number;
}

/** A cluster whose archive_command is the dispatcher, reading `active`. */
export async function dispatchedCluster(dispatcher: string, active: string): Promise<Cluster> {
  setArchiveMode(active, { mode: 'idle' });
  return startCluster({
    conf: {
      archive_mode: 'on',
      archive_command: `'${dispatcher} ${active} %p %f'`,
      wal_level: 'replica',
      max_wal_size: "'2GB'",
    },
  });
}

/**
 * pgbench tables (about 30 % of the size, very compressible) plus a table of random hex text and
 * numbers (the rest, about 2× with gz), so the whole shrinks 2–4× like real data. While loading,
 * the archive_command copies up to `keepSegments` real WAL segments into `<work>/segs`.
 */
export async function buildMainCluster(opts: {
  work: string;
  dispatcher: string;
  sizeMb: number;
  keepSegments: number;
}): Promise<BuiltCluster> {
  const started = Date.now();
  const active = join(opts.work, 'active-main');
  const cluster = await dispatchedCluster(opts.dispatcher, active);
  const segDir = join(opts.work, 'segs');
  mkdirSync(segDir);
  chownToPostgres(segDir);
  setArchiveMode(active, { mode: 'collect', dir: segDir, max: opts.keepSegments });

  const scale = Math.max(1, Math.round((opts.sizeMb * 0.3) / 15));
  const pgbench = await runCmd(
    join(cluster.binDir, 'pgbench'),
    ['-i', '-q', '-s', String(scale), '-h', cluster.socketDir, '-p', String(cluster.port), '-U', cluster.user, 'postgres'],
    { asPostgres: true, timeoutMs: 3 * 3600_000 },
  );
  if (pgbench.code !== 0) throw new Error(`pgbench -i failed: ${pgbench.stderr}`);

  const pgbenchMb = Number(await cluster.psql('SELECT pg_database_size(current_database()) / 1048576'));
  const rows = Math.max(10_000, Math.round((opts.sizeMb - pgbenchMb) * 8_700));
  await cluster.psql('CREATE TABLE bench_random (id bigint, n int, f float8, t text)');
  for (let done = 0; done < rows; done += 1_000_000) {
    const n = Math.min(1_000_000, rows - done);
    await cluster.psql(
      `INSERT INTO bench_random SELECT g, (random() * 2e9)::int, random() * 1e6, ` +
        `md5(random()::text) || ' ' || md5(random()::text) FROM generate_series(${done + 1}, ${done + n}) g`,
    );
  }
  await cluster.psql('CHECKPOINT');
  await cluster.psql('SELECT pg_switch_wal()');
  await waitArchiverIdle(cluster);
  setArchiveMode(active, { mode: 'idle' });

  const segments = readdirSync(segDir).sort().map((f) => join(segDir, f));
  const dbSizeMb = Math.round(Number(await cluster.psql('SELECT sum(pg_database_size(oid)) / 1048576 FROM pg_database')));
  return { cluster, active, segments, dbSizeMb, gzRatio: gzRatio(join(cluster.pgdata, 'base')), buildSeconds: (Date.now() - started) / 1000 };
}

/** Waits until no segment is left `.ready` (the archiver has handed all of them to the command). */
export async function waitArchiverIdle(cluster: Cluster): Promise<void> {
  const statusDir = join(cluster.pgdata, 'pg_wal', 'archive_status');
  for (let i = 0; i < 6000; i++) {
    if (!readdirSync(statusDir).some((f) => f.endsWith('.ready'))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('archiver did not catch up in 10 minutes');
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) filesUnder(p, out);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** gz (level 6) ratio over 1 MiB samples taken every 8 MiB of every file under `dir`. */
function gzRatio(dir: string): number {
  let raw = 0;
  let packed = 0;
  const buf = Buffer.alloc(1 << 20);
  for (const file of filesUnder(dir)) {
    const fd = openSync(file, 'r');
    try {
      for (let pos = 0; ; pos += 8 << 20) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        raw += n;
        packed += gzipSync(buf.subarray(0, n), { level: 6 }).length;
      }
    } finally {
      closeSync(fd);
    }
  }
  return packed === 0 ? 1 : raw / packed;
}

/** A small cluster plus `count` small files (100 B – 2 KiB) in `<pgdata>/bench_small/dNNN/`. */
export async function buildSmallFilesCluster(opts: { work: string; dispatcher: string; count: number }): Promise<{
  cluster: Cluster;
  active: string;
}> {
  const active = join(opts.work, 'active-small');
  const cluster = await dispatchedCluster(opts.dispatcher, active);
  const root = join(cluster.pgdata, 'bench_small');
  const ids = isRoot ? postgresUser() : undefined;
  const perDir = 1000;
  for (let i = 0; i < opts.count; i++) {
    const dir = join(root, `d${String(Math.floor(i / perDir)).padStart(3, '0')}`);
    if (i % perDir === 0) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `f${i}`);
    writeFileSync(file, `file ${i} `.repeat(10 + (i % 200)), { mode: 0o600 });
    if (ids !== undefined) chownSync(file, ids.uid, ids.gid);
  }
  if (ids !== undefined) {
    chownSync(root, ids.uid, ids.gid);
    for (const d of readdirSync(root)) chownSync(join(root, d), ids.uid, ids.gid);
  }
  return { cluster, active };
}
