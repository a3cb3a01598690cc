import type { Readable } from 'node:stream';

/**
 * One storage driver interface for every repository type (posix, s3, memory; later gcs, azure, sftp).
 *
 * Paths are relative to the driver's root (the repository path, e.g. `archive/demo/archive.info`),
 * use `/` as separator, never start with `/` and never contain `..`. The empty string is the root.
 * Drivers map them to a directory (posix) or a key prefix (object stores).
 *
 * Errors are PgbrError with pgBackRest's types: FileMissingError, FileOpenError, FileReadError,
 * FileWriteError, PathMissingError, PathCreateError, FileRemoveError, PathRemoveError, ServiceError
 * (object store answered with an error after retries), HostConnectError (could not reach it).
 */
export type StorageType = 'posix' | 's3' | 'memory';

export interface StorageInfo {
  /** Name relative to the listed path (for `list`) or the base name (for `info`). */
  name: string;
  type: 'file' | 'path' | 'link';
  /** Bytes; 0 for paths and links. */
  size: number;
  /** Modification time, whole seconds since the epoch. */
  timeModified: number;
  /** Permission bits, only where the driver has them (posix). */
  mode?: number;
  user?: string;
  group?: string;
  /** Link target, for links only. */
  linkDestination?: string;
}

export interface StorageFeatures {
  /** Real directories exist on their own (posix); object stores only have key prefixes. */
  path: boolean;
  /** Symbolic links can be created (the backup `latest` link). */
  symLink: boolean;
  /** Hard links can be created (repo-hardlink). */
  hardLink: boolean;
  /** Directory fsync has meaning. */
  pathSync: boolean;
}

export interface ListOptions {
  /** Descend into sub-paths; names are then relative paths (`a/b/c`). Default false. */
  recurse?: boolean;
  /** Only entries whose name (relative, for recurse the full relative path) matches. */
  expression?: RegExp;
}

export interface ReadOptions {
  /** Return null instead of throwing FileMissingError when the file does not exist. */
  ignoreMissing?: boolean;
  /** Start reading at this byte. */
  offset?: number;
  /** Read at most this many bytes. */
  limit?: number;
}

export interface WriteOptions {
  /**
   * Posix: write `<path>.pgbackrest.tmp`, fsync it, rename over `path`, fsync the directory.
   * Object stores are always atomic: an object appears only when the upload completed.
   * Default true.
   */
  atomic?: boolean;
  /** Posix: fsync file and directory before resolving. Default true. */
  sync?: boolean;
  /**
   * Posix: fsync the directory too (when `sync`). Default true. Writers of many files into one
   * directory (backup) turn it off and sync each directory once at the end, like pgBackRest.
   */
  syncPath?: boolean;
  /** Posix file mode. Default 0o640. */
  mode?: number;
  /** Create missing parent paths. Default true. */
  createPath?: boolean;
}

export interface StorageDriver {
  readonly type: StorageType;
  readonly features: StorageFeatures;

  /**
   * Stat one entry. Returns null when nothing exists at `path`. Links are not followed unless
   * `followLink`. On object stores a "path" exists when any key starts with `path/`.
   */
  info(path: string, opts?: { followLink?: boolean }): Promise<StorageInfo | null>;

  /**
   * True when a file is at `path` (links followed); false when nothing is, or only a path (a
   * directory, or on object stores a key prefix). For callers that look for a file, like
   * pgBackRest's storageExists: object stores answer with one HEAD and never list, where `info`
   * of a missing name lists as well to find a path of that name.
   */
  fileExists(path: string): Promise<boolean>;

  /**
   * True when a path is at `path`: a directory (links followed), or on object stores any key
   * below `path/`, found with one listing of at most one key and no HEAD.
   */
  pathExists(path: string): Promise<boolean>;

  /**
   * Entries directly below `path` (or all below it with `recurse`), in no particular order.
   * A missing path lists as empty: callers that care use `info` first. Never includes `.`/`..`.
   */
  list(path: string, opts?: ListOptions): Promise<StorageInfo[]>;

  /**
   * A stream of the file's bytes. Missing file: FileMissingError naming the path, or null with
   * `ignoreMissing`. The open happens before this promise resolves, so a missing file is always
   * reported here and never as a stream error.
   */
  read(path: string, opts?: ReadOptions): Promise<Readable | null>;

  /**
   * Optional shortcut of `read` for small files: the whole file as one buffer when it holds at most
   * `maxSize` bytes, undefined (nothing read) when it holds more. Missing: as `read`.
   */
  readSmall?(path: string, maxSize: number, opts?: ReadOptions): Promise<Buffer | null | undefined>;

  /**
   * Store the whole of `source` at `path`, replacing any existing file. Resolves only when the bytes
   * are durable (see WriteOptions). If `source` errors or the write fails, nothing is left at
   * `path` that could be taken for the complete file (posix atomic: the temp file is removed;
   * object stores: the multipart upload is aborted) and the promise rejects.
   */
  write(path: string, source: Readable | Buffer, opts?: WriteOptions): Promise<void>;

  /** Remove one file. Missing is fine unless `errorOnMissing` (then FileMissingError). */
  remove(path: string, opts?: { errorOnMissing?: boolean }): Promise<void>;

  /**
   * Remove a path and, with `recurse` (default true), everything below it. Missing is fine.
   * On object stores this deletes every key under `path/` in batches.
   */
  pathRemove(path: string, opts?: { recurse?: boolean }): Promise<void>;

  /** Create a path (posix mkdir -p with mode 0o750). No-op on object stores. */
  pathCreate(path: string, opts?: { mode?: number }): Promise<void>;

  /** Fsync a directory (posix). No-op where `features.pathSync` is false. */
  pathSync(path: string): Promise<void>;

  /** Create a symbolic link at `path` pointing at `target`. Only where `features.symLink`. */
  linkCreate?(target: string, path: string): Promise<void>;

  /**
   * Create a hard link at `path` to the existing file `target` (both storage paths). Only where
   * `features.hardLink`. Fails when `path` exists or `target` does not.
   */
  hardLinkCreate?(target: string, path: string): Promise<void>;

  /** Release sockets and agents; the driver is unusable afterwards. */
  close?(): Promise<void>;
}
