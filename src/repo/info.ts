/**
 * Load and save an info file (or manifest) together with its `.copy` (spec info-files §2.4).
 *
 * Load tries `X`, then `X.copy`; any failure of one try (missing, decrypt, format, checksum, or the
 * caller's decode) moves on to the next. Save renders and encrypts once, so both files are
 * byte-identical (same salt), and writes `X` before `X.copy`.
 */
import { err, toPgbrError, type PgbrError } from '../error/error.js';
import type { ErrorType } from '../error/catalogue.js';
import { readAll } from '../io/buffer-sink.js';
import { decryptBuffer, encryptBuffer } from '../io/cipher-key.js';
import type { StorageDriver } from '../storage/storage.js';
import { parseInfo, type ParsedInfo } from './ini.js';

export const INFO_COPY_EXT = '.copy';

export interface InfoFileOptions {
  /** Passphrase the file is encrypted with; absent for an unencrypted repo. */
  cipherPass?: string;
  /** How a path is shown in messages (pgBackRest shows the absolute repo path). Default: as is. */
  displayPath?: (path: string) => string;
}

export interface LoadedInfoFile<T> {
  value: T;
  /** The file's text as loaded (decrypted). */
  text: Buffer;
  /** The path actually loaded: `path` or `path.copy`. */
  loadedFrom: string;
  /** Why the main file was not used, when the copy was; lets callers repair the main file. */
  mainError?: PgbrError;
}

/**
 * A whole info file or manifest, or null when it is missing and `ignoreMissing` (or the driver
 * reports a missing file so). It is read whole where the driver can (`readSmall`: S3), without a
 * stream to gather it from, and one that breaks off on its way is fetched again.
 */
export async function readBytes(storage: StorageDriver, path: string, ignoreMissing = false): Promise<Buffer | null> {
  const opts = ignoreMissing ? { ignoreMissing } : undefined;
  const whole = await storage.readSmall?.(path, Infinity, opts);
  if (whole !== undefined) return whole;
  const stream = await storage.read(path, opts);
  return stream === null ? null : readAll(stream);
}

/** Read, decrypt, parse and verify one file, then hand it to `decode`. */
async function loadOne<T>(
  storage: StorageDriver,
  path: string,
  decode: (parsed: ParsedInfo) => T,
  opts: InfoFileOptions,
): Promise<{ value: T; text: Buffer }> {
  let bytes = await readBytes(storage, path);
  if (bytes === null) throw err('FileMissingError', `unable to open missing file '${show(path, opts)}' for read`);
  if (opts.cipherPass !== undefined) bytes = decryptBuffer(bytes, opts.cipherPass);
  return { value: decode(parseInfo(bytes)), text: bytes };
}

/**
 * Load `path`, falling back to `path.copy`. When both fail the error lists both tries, one line
 * each (`<Type>: <message>`), with the caller's hints; `what` names the kind of file in it
 * (`info`, `backup manifest`, as pgBackRest does); its type is the common type, else the one
 * that is not FileMissingError, else FileOpenError.
 */
export async function loadInfoFile<T>(
  storage: StorageDriver,
  path: string,
  decode: (parsed: ParsedInfo) => T,
  opts: InfoFileOptions & { hints?: readonly string[]; what?: string } = {},
): Promise<LoadedInfoFile<T>> {
  const copyPath = path + INFO_COPY_EXT;
  let mainError: PgbrError;
  try {
    return { ...(await loadOne(storage, path, decode, opts)), loadedFrom: path };
  } catch (e) {
    mainError = toPgbrError(e);
  }
  let copyError: PgbrError;
  try {
    return { ...(await loadOne(storage, copyPath, decode, opts)), loadedFrom: copyPath, mainError };
  } catch (e) {
    copyError = toPgbrError(e);
  }
  const message =
    `unable to load ${opts.what ?? 'info'} file '${show(path, opts)}' or '${show(copyPath, opts)}':\n` +
    `${mainError.type}: ${mainError.message}\n${copyError.type}: ${copyError.message}`;
  const hints = opts.hints === undefined ? undefined : [...opts.hints];
  return Promise.reject(err(combinedType(mainError.type, copyError.type), message, { cause: mainError, hints }));
}

function combinedType(a: ErrorType, b: ErrorType): ErrorType {
  if (a === b) return a;
  if (a === 'FileMissingError') return b;
  if (b === 'FileMissingError') return a;
  return 'FileOpenError';
}

/** Write `path` then `path.copy` atomically, with the same (encrypted once) bytes. */
export async function saveInfoFile(
  storage: StorageDriver,
  path: string,
  text: string,
  opts: Pick<InfoFileOptions, 'cipherPass'> = {},
): Promise<void> {
  let bytes: Buffer = Buffer.from(text, 'utf8');
  if (opts.cipherPass !== undefined) bytes = encryptBuffer(bytes, opts.cipherPass);
  await storage.write(path, bytes, { atomic: true });
  await storage.write(path + INFO_COPY_EXT, bytes, { atomic: true });
}

function show(path: string, opts: InfoFileOptions): string {
  return opts.displayPath ? opts.displayPath(path) : path;
}
