import { Readable } from 'node:stream';
import { err } from '../../src/error/error.js';
import type { StorageDriver, StorageInfo, WriteOptions } from '../../src/storage/storage.js';

/** Minimal in-memory StorageDriver for repo tests: files only, paths are Map keys. */
export class MapStorage implements StorageDriver {
  readonly type = 'memory' as const;
  readonly features = { path: false, symLink: false, hardLink: false, pathSync: false };
  readonly files = new Map<string, Buffer>();
  readonly writes: Array<{ path: string; atomic: boolean | undefined }> = [];

  async info(path: string): Promise<StorageInfo | null> {
    const data = this.files.get(path);
    if (data === undefined) return null;
    return { name: path.split('/').pop()!, type: 'file', size: data.length, timeModified: 0 };
  }

  async fileExists(path: string): Promise<boolean> {
    return this.files.has(path);
  }

  async pathExists(path: string): Promise<boolean> {
    return path === '' || [...this.files.keys()].some((k) => k.startsWith(`${path}/`));
  }

  async list(path: string): Promise<StorageInfo[]> {
    const prefix = path === '' ? '' : `${path}/`;
    const out: StorageInfo[] = [];
    for (const [k, v] of this.files) {
      if (k.startsWith(prefix) && !k.slice(prefix.length).includes('/')) {
        out.push({ name: k.slice(prefix.length), type: 'file', size: v.length, timeModified: 0 });
      }
    }
    return out;
  }

  async read(path: string, opts: { ignoreMissing?: boolean } = {}): Promise<Readable | null> {
    const data = this.files.get(path);
    if (data === undefined) {
      if (opts.ignoreMissing) return null;
      throw err('FileMissingError', `unable to open missing file '${path}' for read`);
    }
    return Readable.from([Buffer.from(data)]);
  }

  async write(path: string, source: Readable | Buffer, opts: WriteOptions = {}): Promise<void> {
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(source)) chunks.push(source);
    else for await (const c of source) chunks.push(Buffer.from(c as Buffer));
    this.files.set(path, Buffer.concat(chunks));
    this.writes.push({ path, atomic: opts.atomic });
  }

  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }

  async pathRemove(path: string): Promise<void> {
    for (const k of [...this.files.keys()]) if (k.startsWith(`${path}/`)) this.files.delete(k);
  }

  async pathCreate(): Promise<void> {}

  async pathSync(): Promise<void> {}
}
