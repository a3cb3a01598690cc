import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PosixStorage } from '../../src/storage/posix.js';
import type { ReadOptions, StorageDriver } from '../../src/storage/storage.js';
import { makeTempDir } from '../harness/tmp.js';

/** A PosixStorage that records every read: path, options and the bytes actually delivered. */
export class CountingStorage extends PosixStorage {
  readonly reads: Array<{ path: string; opts: ReadOptions; bytes: number }> = [];
  /** Called before each read is opened (tests use it to change files "concurrently"). */
  beforeRead?: (path: string, opts: ReadOptions) => void;

  override async read(path: string, opts: ReadOptions = {}): Promise<Readable | null> {
    this.beforeRead?.(path, opts);
    const stream = await super.read(path, opts);
    const entry = { path, opts, bytes: 0 };
    this.reads.push(entry);
    stream?.on('data', (chunk: Buffer) => (entry.bytes += chunk.length));
    return stream;
  }
}

export interface FileEnv {
  dir: string;
  pgData: string;
  repo: StorageDriver;
  repoPath: string;
  pg: CountingStorage;
  /** Writes a source file under pgData and returns its absolute path. */
  source(name: string, data: Buffer): string;
}

export function fileEnv(): FileEnv {
  const dir = makeTempDir('pgbr-file-');
  const pgData = join(dir, 'pg');
  const repoPath = join(dir, 'repo');
  mkdirSync(pgData, { recursive: true });
  mkdirSync(repoPath, { recursive: true });
  chmodSync(dir, 0o700);
  return {
    dir,
    pgData,
    repoPath,
    repo: new PosixStorage(repoPath),
    pg: new CountingStorage('/'),
    source(name, data) {
      const file = join(pgData, name);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, data);
      return file;
    },
  };
}
