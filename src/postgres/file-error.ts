import { err, type PgbrError } from '../error/error.js';
import { sysErrorText } from '../storage/errno.js';

/** pgBackRest's errors for a local file that cannot be opened for read. */
export function openReadError(path: string, e: unknown): PgbrError {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
    return err('FileMissingError', `unable to open missing file '${path}' for read`, { cause: e });
  }
  return err('FileOpenError', `unable to open file '${path}' for read: ${sysErrorText(e)}`, { cause: e });
}
