import { closeSync, constants, createReadStream, mkdirSync, openSync } from 'node:fs';
import { chmod, link as hardLink, lstat, mkdir, open, readdir, readlink, rename, rm, rmdir, stat, symlink, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { err, PgbrError } from '../error/error.js';
import { errnoCode, sysErr } from './errno.js';
import { syncPath } from './writeback.js';
import { baseName, checkPath, joinPath, parentPath, TEMP_SUFFIX } from './path.js';
import type {
  ListOptions, ReadOptions, StorageDriver, StorageFeatures, StorageInfo, WriteOptions,
} from './storage.js';

const PATH_MODE = 0o750;
/** Mode of files written to a repository (pgBackRest's default). */
export const FILE_MODE = 0o640;

/** Storage rooted at a local directory (repo type posix, and cifs). */
export class PosixStorage implements StorageDriver {
  readonly type = 'posix' as const;
  readonly features: StorageFeatures = { path: true, symLink: true, hardLink: true, pathSync: true };

  /** `root` is absolute; every driver path resolves below it. */
  constructor(readonly root: string) {
    if (!root.startsWith('/')) throw err('AssertError', `storage root '${root}' must be absolute`);
    this.root = root.length > 1 && root.endsWith('/') ? root.slice(0, -1) : root;
  }

  /** Absolute file system path of a driver path. */
  abs(path: string): string {
    const p = checkPath(path);
    if (p === '') return this.root;
    return this.root === '/' ? `/${p}` : `${this.root}/${p}`;
  }

  async info(path: string, opts: { followLink?: boolean } = {}): Promise<StorageInfo | null> {
    const file = this.abs(path);
    let st: Stats;
    try {
      st = opts.followLink ? await stat(file) : await lstat(file);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return null;
      throw sysErr('FileOpenError', `unable to get info for path/file '${file}'`, e);
    }
    return this.toInfo(baseName(checkPath(path)), file, st);
  }

  async fileExists(path: string): Promise<boolean> {
    return (await this.statFollowed(path))?.isFile() ?? false;
  }

  async pathExists(path: string): Promise<boolean> {
    return (await this.statFollowed(path))?.isDirectory() ?? false;
  }

  /** stat(2), links followed; null when nothing is there (or a file stands where a directory should). */
  private async statFollowed(path: string): Promise<Stats | null> {
    const file = this.abs(path);
    try {
      return await stat(file);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw sysErr('FileOpenError', `unable to get info for path/file '${file}'`, e);
    }
  }

  private async toInfo(name: string, file: string, st: Stats): Promise<StorageInfo> {
    const type = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'path' : 'file';
    const info: StorageInfo = {
      name,
      type,
      size: type === 'file' ? st.size : 0,
      timeModified: Math.floor(st.mtimeMs / 1000),
      mode: st.mode & 0o7777,
    };
    if (type === 'link') info.linkDestination = await readlink(file);
    return info;
  }

  async list(path: string, opts: ListOptions = {}): Promise<StorageInfo[]> {
    const out: StorageInfo[] = [];
    await this.listInto(checkPath(path), '', opts, out);
    return out;
  }

  private async listInto(base: string, rel: string, opts: ListOptions, out: StorageInfo[]): Promise<void> {
    const dir = this.abs(joinPath(base, rel));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return;
      throw sysErr('PathOpenError', `unable to open path '${dir}' for read`, e);
    }
    for (const name of names) {
      const relName = joinPath(rel, name);
      let st: Stats;
      try {
        st = await lstat(`${dir}/${name}`);
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') continue; // removed while listing
        throw sysErr('FileOpenError', `unable to get info for path/file '${dir}/${name}'`, e);
      }
      if (opts.expression === undefined || opts.expression.test(relName)) {
        out.push(await this.toInfo(relName, `${dir}/${name}`, st));
      }
      if (opts.recurse && st.isDirectory()) await this.listInto(base, relName, opts, out);
    }
  }

  async read(path: string, opts: ReadOptions = {}): Promise<Readable | null> {
    const file = this.abs(path);
    const fd = openReadFd(file, opts.ignoreMissing === true);
    if (fd === null) return null;
    if (opts.limit === 0) {
      closeSync(fd);
      return Readable.from([]);
    }
    const start = opts.offset ?? 0;
    const end = opts.limit === undefined ? undefined : start + opts.limit - 1;
    const stream = createReadStream(file, { fd, start, end });
    const out = new PassThrough();
    stream.on('error', (e) => out.destroy(sysErr('FileReadError', `unable to read '${file}'`, e)));
    out.on('close', () => stream.destroy());
    return stream.pipe(out);
  }

  async write(path: string, source: Readable | Buffer, opts: WriteOptions = {}): Promise<void> {
    const p = checkPath(path);
    const file = this.abs(p);
    const atomic = opts.atomic ?? true;
    const sync = opts.sync ?? true;
    const target = atomic ? file + TEMP_SUFFIX : file;
    const fh = await this.openWriteCreatePath(target, p, opts);
    try {
      await writeAll(fh, target, source);
      if (sync) await syncFile(fh, target);
      await fh.close();
      if (atomic) await move(target, file);
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(target).catch(() => undefined);
      throw e;
    }
    if (sync && (opts.syncPath ?? true)) await this.pathSync(parentPath(p));
  }

  /** Parents are created only when the open finds them missing (one syscall in the usual case). */
  private async openWriteCreatePath(target: string, p: string, opts: WriteOptions): Promise<FileHandle> {
    const mode = opts.mode ?? FILE_MODE;
    // Open failures name the file being written, not its temp name, as pgBackRest does.
    const shown = this.abs(p);
    try {
      return await this.openWrite(target, mode, shown);
    } catch (e) {
      if (!(opts.createPath ?? true) || !(e instanceof PgbrError) || e.type !== 'PathMissingError') throw e;
    }
    await this.pathCreate(parentPath(p));
    return this.openWrite(target, mode, shown);
  }

  private async openWrite(file: string, mode: number, shown: string): Promise<FileHandle> {
    try {
      const fh = await open(file, 'w', mode);
      await fh.chmod(mode); // the umask must not change the repository's modes
      return fh;
    } catch (e) {
      throw writeOpenError(e, shown);
    }
  }

  async remove(path: string, opts: { errorOnMissing?: boolean } = {}): Promise<void> {
    const file = this.abs(path);
    try {
      await unlink(file);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw sysErr('FileRemoveError', `unable to remove '${file}'`, e);
      if (opts.errorOnMissing) throw err('FileMissingError', `unable to remove missing file '${file}'`);
    }
  }

  async pathRemove(path: string, opts: { recurse?: boolean } = {}): Promise<void> {
    const dir = this.abs(path);
    try {
      if (opts.recurse ?? true) await rm(dir, { recursive: true, force: true });
      else await rmdir(dir);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw sysErr('PathRemoveError', `unable to remove path '${dir}'`, e);
    }
  }

  async pathCreate(path: string, opts: { mode?: number } = {}): Promise<void> {
    const dir = this.abs(path);
    const mode = opts.mode ?? PATH_MODE;
    try {
      const first = await mkdir(dir, { recursive: true, mode });
      if (first === undefined) return;
      // mkdir applies the umask; set the mode on each directory it created.
      for (let d = dir; d.length >= first.length; d = d.slice(0, d.lastIndexOf('/'))) await chmod(d, mode);
    } catch (e) {
      throw sysErr('PathCreateError', `unable to create path '${dir}'`, e);
    }
  }

  /** fsync(2) of an existing file, through a read-only descriptor (backup syncs its files after the copy). */
  async fileSync(path: string): Promise<void> {
    await syncEntry(this.abs(path), SYNC_ERRORS.file);
  }

  async pathSync(path: string): Promise<void> {
    await syncEntry(this.abs(path), SYNC_ERRORS.path);
  }

  async linkCreate(target: string, path: string): Promise<void> {
    const link = this.abs(path);
    try {
      await symlink(target, link);
    } catch (e) {
      throw sysErr('FileOpenError', `unable to create symlink '${link}' to '${target}'`, e);
    }
  }

  async hardLinkCreate(target: string, path: string): Promise<void> {
    const from = this.abs(target);
    const at = this.abs(path);
    try {
      await hardLink(from, at);
    } catch (e) {
      throw sysErr('FileOpenError', `unable to create hardlink '${at}' to '${from}'`, e);
    }
  }
}

/** Copies `source` into `fh`. Errors of the source pass through; write errors name the file. */
async function writeAll(fh: FileHandle, file: string, source: Readable | Buffer): Promise<void> {
  const chunks: AsyncIterable<Buffer> | Buffer[] = Buffer.isBuffer(source) ? [source] : source;
  for await (const chunk of chunks) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    let done = 0;
    while (done < buf.length) {
      try {
        done += (await fh.write(buf, done, buf.length - done)).bytesWritten;
      } catch (e) {
        throw sysErr('FileWriteError', `unable to write '${file}'`, e);
      }
    }
  }
}

/** Error types and the word in the message, for a file or a directory sync. */
const SYNC_ERRORS = {
  file: { word: 'file', missing: 'FileMissingError', open: 'FileOpenError', sync: 'FileSyncError' },
  path: { word: 'path', missing: 'PathMissingError', open: 'PathOpenError', sync: 'PathSyncError' },
} as const;

/**
 * fsync(2) of a file or directory through a read-only descriptor: one pool job in the writeback
 * addon, else Node's open, sync and close. Both fail with the call in `syscall`, which picks the text.
 */
async function syncEntry(name: string, e: (typeof SYNC_ERRORS)[keyof typeof SYNC_ERRORS]): Promise<void> {
  try {
    await (syncPath(name) ?? syncByNode(name));
  } catch (x) {
    const call = (x as NodeJS.ErrnoException).syscall;
    if (call === 'open' && errnoCode(x) === 'ENOENT') throw err(e.missing, `unable to open missing ${e.word} '${name}' for sync`);
    if (call === 'open') throw sysErr(e.open, `unable to open ${e.word} '${name}' for sync`, x);
    if (call === 'fsync') throw sysErr(e.sync, `unable to sync ${e.word} '${name}'`, x);
    throw x;
  }
}

async function syncByNode(name: string): Promise<void> {
  const fh = await open(name, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncFile(fh: FileHandle, file: string): Promise<void> {
  try {
    await fh.sync();
  } catch (e) {
    throw sysErr('FileSyncError', `unable to sync file '${file}'`, e);
  }
}

async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    throw sysErr('FileMoveError', `unable to move '${from}' to '${to}'`, e);
  }
}

/**
 * mkdir(2) of `dir`, creating missing parents first, as pgBackRest's posix driver does: the error
 * names the directory whose creation failed (the first one that could not be made, not the path
 * asked for), `[047] unable to create path '<dir>': [13] Permission denied`. The mode is subject to
 * the umask; callers that need it exact set it afterwards.
 */
export function pathCreateSync(dir: string, mode: number): void {
  try {
    mkdirSync(dir, { mode });
  } catch (e) {
    const parent = parentPath(dir);
    if (errnoCode(e) !== 'ENOENT' || parent === dir) throw sysErr('PathCreateError', `unable to create path '${dir}'`, e);
    pathCreateSync(parent, mode);
    try {
      mkdirSync(dir, { mode });
    } catch (again) {
      throw sysErr('PathCreateError', `unable to create path '${dir}'`, again);
    }
  }
}

/**
 * Opens a local file for reading with pgBackRest's errors; null when it is missing and that is
 * allowed. Synchronous: one open(2), shared by the driver and the backup/restore file engines.
 */
export function openReadFd(file: string, ignoreMissing: boolean): number | null {
  try {
    return openSync(file, constants.O_RDONLY);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') {
      if (ignoreMissing) return null;
      throw err('FileMissingError', `unable to open missing file '${file}' for read`, { cause: e });
    }
    throw sysErr('FileOpenError', `unable to open file '${file}' for read`, e);
  }
}

/**
 * Creates (or truncates) `file` for writing on a descriptor, for the file engines' direct writes;
 * failures name `shown` (the file being written, when `file` is its temp name).
 */
export function openWriteFd(file: string, mode: number, shown = file): number {
  try {
    return openSync(file, 'w', mode);
  } catch (e) {
    throw writeOpenError(e, shown);
  }
}

/** pgBackRest's open-for-write error: a missing directory is PathMissingError (created on demand by callers). */
function writeOpenError(e: unknown, shown: string): PgbrError {
  const type = errnoCode(e) === 'ENOENT' ? 'PathMissingError' : 'FileOpenError';
  return sysErr(type, `unable to open file '${shown}' for write`, e);
}
