import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when tests run as root (CI): clusters and pg commands then run as the `postgres` OS user. */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let postgresIds: { uid: number; gid: number } | undefined;

/** uid/gid of the `postgres` OS user (looked up once). */
export function postgresUser(): { uid: number; gid: number } {
  if (postgresIds === undefined) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    postgresIds = { uid, gid };
  }
  return postgresIds;
}

/** Gives a path to the postgres user when running as root; no-op otherwise. */
export function chownToPostgres(path: string): void {
  if (!isRoot) return;
  const { uid, gid } = postgresUser();
  chownSync(path, uid, gid);
}

/** chownToPostgres of a tree: a directory, all it holds, its subdirectories' too (a copied repo). */
export function chownTreeToPostgres(path: string): void {
  if (!isRoot) return;
  chownToPostgres(path);
  if (statSync(path).isDirectory()) for (const f of readdirSync(path)) chownTreeToPostgres(join(path, f));
}

const created = new Set<string>();

/**
 * A fresh directory under os.tmpdir(), owned by postgres when root so that clusters and commands
 * run as postgres can write in it. Removed by removeTempDir() or removeAllTempDirs().
 */
export function makeTempDir(prefix = 'pgbr-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chownToPostgres(dir);
  created.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  created.delete(dir);
}

/** A `pgbackrest.conf` holding `text`, in a fresh directory from makeTempDir(). */
export function tempConf(text: string): string {
  const path = join(makeTempDir('pgbr-conf-'), 'pgbackrest.conf');
  writeFileSync(path, text);
  return path;
}

/** Removes every directory made by makeTempDir() that is still there (for afterAll hooks). */
export function removeAllTempDirs(): void {
  for (const dir of [...created]) removeTempDir(dir);
}
