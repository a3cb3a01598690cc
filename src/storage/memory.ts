import { Readable } from 'node:stream';
import { err } from '../error/error.js';
import { baseName, checkPath, joinPath, parentPath } from './path.js';
import type {
  ListOptions, ReadOptions, StorageDriver, StorageFeatures, StorageInfo, WriteOptions,
} from './storage.js';

type Entry =
  | { type: 'file'; data: Buffer; mode: number; time: number }
  | { type: 'path'; mode: number; time: number }
  | { type: 'link'; target: string; time: number };

/**
 * In-memory storage for fast tests of command logic. Behaves like posix (real paths, links),
 * writes are all-or-nothing, and error messages name `/memory/<path>`.
 */
export class MemoryStorage implements StorageDriver {
  readonly type = 'memory' as const;
  readonly features: StorageFeatures = { path: true, symLink: true, hardLink: false, pathSync: false };
  private readonly entries = new Map<string, Entry>([['', { type: 'path', mode: 0o750, time: now() }]]);

  /** Name used in error messages. */
  abs(path: string): string {
    const p = checkPath(path);
    return p === '' ? '/memory' : `/memory/${p}`;
  }

  async info(path: string, opts: { followLink?: boolean } = {}): Promise<StorageInfo | null> {
    const p = checkPath(path);
    const e = this.entries.get(opts.followLink ? this.resolve(p) : this.resolve(parentPath(p), baseName(p)));
    return e === undefined ? null : toInfo(baseName(p), e);
  }

  async fileExists(path: string): Promise<boolean> {
    return this.entries.get(this.resolve(checkPath(path)))?.type === 'file';
  }

  async pathExists(path: string): Promise<boolean> {
    const p = checkPath(path);
    return p === '' || this.entries.get(this.resolve(p))?.type === 'path';
  }

  /** Follows links in every segment of `path`, then appends `last` unresolved. */
  private resolve(path: string, last?: string): string {
    let cur = '';
    for (const seg of path === '' ? [] : path.split('/')) {
      cur = joinPath(cur, seg);
      for (let hops = 0, e = this.entries.get(cur); e?.type === 'link' && hops < 40; hops++, e = this.entries.get(cur)) {
        cur = normalise(joinPath(parentPath(cur), e.target));
      }
    }
    return last === undefined ? cur : joinPath(cur, last);
  }

  async list(path: string, opts: ListOptions = {}): Promise<StorageInfo[]> {
    const base = checkPath(path);
    const prefix = base === '' ? '' : `${base}/`;
    const out: StorageInfo[] = [];
    for (const [key, e] of this.entries) {
      if (key === '' || !key.startsWith(prefix) || key === base) continue;
      const rel = key.slice(prefix.length);
      if (!opts.recurse && rel.includes('/')) continue;
      if (opts.expression !== undefined && !opts.expression.test(rel)) continue;
      out.push(toInfo(rel, e));
    }
    return out;
  }

  async read(path: string, opts: ReadOptions = {}): Promise<Readable | null> {
    const p = checkPath(path);
    const e = this.entries.get(this.resolve(p));
    if (e === undefined || e.type !== 'file') {
      if (e === undefined && opts.ignoreMissing) return null;
      if (e === undefined) throw err('FileMissingError', `unable to open missing file '${this.abs(p)}' for read`);
      throw err('FileOpenError', `unable to open file '${this.abs(p)}' for read: [21] Is a directory`);
    }
    const start = opts.offset ?? 0;
    const end = opts.limit === undefined ? undefined : start + opts.limit;
    const data = e.data.subarray(start, end);
    return Readable.from(data.length === 0 ? [] : [Buffer.from(data)]);
  }

  async write(path: string, source: Readable | Buffer, opts: WriteOptions = {}): Promise<void> {
    const p = checkPath(path);
    if (!(opts.createPath ?? true) && !this.entries.has(parentPath(p))) {
      throw err('PathMissingError', `unable to open file '${this.abs(p)}' for write: [2] No such file or directory`);
    }
    // Collect everything first: a source error leaves the previous state untouched.
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(source)) chunks.push(Buffer.from(source));
    else for await (const c of source) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
    await this.pathCreate(parentPath(p));
    this.entries.set(p, { type: 'file', data: Buffer.concat(chunks), mode: opts.mode ?? 0o640, time: now() });
  }

  async remove(path: string, opts: { errorOnMissing?: boolean } = {}): Promise<void> {
    const p = checkPath(path);
    const e = this.entries.get(p);
    if (e === undefined) {
      if (opts.errorOnMissing) throw err('FileMissingError', `unable to remove missing file '${this.abs(p)}'`);
      return;
    }
    if (e.type === 'path') throw err('FileRemoveError', `unable to remove '${this.abs(p)}': [21] Is a directory`);
    this.entries.delete(p);
  }

  async pathRemove(path: string, opts: { recurse?: boolean } = {}): Promise<void> {
    const p = checkPath(path);
    const below = [...this.entries.keys()].filter((k) => p === '' ? k !== '' : k.startsWith(`${p}/`));
    if (!(opts.recurse ?? true) && below.length > 0) {
      throw err('PathRemoveError', `unable to remove path '${this.abs(p)}': [39] Directory not empty`);
    }
    for (const k of below) this.entries.delete(k);
    if (p !== '') this.entries.delete(p);
  }

  async pathCreate(path: string, opts: { mode?: number } = {}): Promise<void> {
    const p = checkPath(path);
    for (let d = p; d !== '' && !this.entries.has(d); d = parentPath(d)) {
      this.entries.set(d, { type: 'path', mode: opts.mode ?? 0o750, time: now() });
    }
  }

  async pathSync(): Promise<void> {}

  async linkCreate(target: string, path: string): Promise<void> {
    const p = checkPath(path);
    if (this.entries.has(p)) {
      throw err('FileOpenError', `unable to create symlink '${this.abs(p)}' to '${target}': [17] File exists`);
    }
    await this.pathCreate(parentPath(p));
    this.entries.set(p, { type: 'link', target, time: now() });
  }
}

/** Resolves `.` and `..` in a link target joined to its directory. */
function normalise(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '..') out.pop();
    else if (seg !== '.' && seg !== '') out.push(seg);
  }
  return out.join('/');
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function toInfo(name: string, e: Entry): StorageInfo {
  const info: StorageInfo = {
    name,
    type: e.type,
    size: e.type === 'file' ? e.data.length : 0,
    timeModified: e.time,
  };
  if (e.type !== 'link') info.mode = e.mode;
  else info.linkDestination = e.target;
  return info;
}
