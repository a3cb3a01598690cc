import { toPgbrError } from '../error/error.js';
import { decryptBuffer } from '../io/cipher-key.js';
import { sha1Hex } from '../io/hash.js';
import { readBytes } from '../repo/info.js';
import { parseInfo, type InfoSections } from '../repo/ini.js';
import type { Logger } from '../log/logger.js';
import type { StorageDriver } from '../storage/storage.js';

export interface InfoLoad<T> {
  value?: T;
  /** SHA-1 of the decrypted bytes, to compare a file with its `.copy`. */
  checksum?: string;
  errorType?: string;
}

/** Load one info file (no `.copy` fallback); a missing file is logged at detail, other failures as warnings. */
export async function loadOneInfo<T>(
  storage: StorageDriver,
  path: string,
  decode: (s: InfoSections) => T,
  cipherPass: string | undefined,
  log: Logger,
  display: (p: string) => string,
): Promise<InfoLoad<T>> {
  try {
    let bytes = await readBytes(storage, path, true);
    if (bytes === null) {
      const message = `unable to open missing file '${display(path)}' for read`;
      log.detail(message);
      return { errorType: 'FileMissingError' };
    }
    if (cipherPass !== undefined) bytes = decryptBuffer(bytes, cipherPass);
    return { value: decode(parseInfo(bytes).sections), checksum: sha1Hex(bytes) };
  } catch (e) {
    const pe = toPgbrError(e);
    log.warn(pe.type === 'ChecksumError' ? `${pe.message} ${path}` : pe.message);
    return { errorType: pe.type };
  }
}

/**
 * The main file, else its copy, as verify uses them: a usable main file whose copy differs gets
 * `<what> does not match <main>`; returns undefined when neither loads.
 */
export async function loadInfoPair<T>(
  storage: StorageDriver,
  path: string,
  name: string,
  decode: (s: InfoSections) => T,
  cipherPass: string | undefined,
  log: Logger,
  display: (p: string) => string,
): Promise<T | undefined> {
  const main = await loadOneInfo(storage, path, decode, cipherPass, log, display);
  const copy = await loadOneInfo(storage, `${path}.copy`, decode, cipherPass, log, display);
  if (main.value !== undefined) {
    if (copy.checksum !== undefined && copy.checksum !== main.checksum) log.warn(`${name}.copy does not match ${name}`);
    return main.value;
  }
  return copy.value;
}
