import { err, type PgbrError } from '../error/error.js';

const STRERROR: Record<string, [number, string]> = {
  EACCES: [13, 'Permission denied'],
  EISDIR: [21, 'Is a directory'],
  ENOTDIR: [20, 'Not a directory'],
};

/** pgBackRest's errors for a file that cannot be opened for read (storage posix driver wording). */
export function openReadError(path: string, e: unknown): PgbrError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOENT') return err('FileMissingError', `unable to open missing file '${path}' for read`, { cause: e });
  const known = STRERROR[code];
  const detail = known === undefined ? (e as Error).message : `[${known[0]}] ${known[1]}`;
  return err('FileOpenError', `unable to open file '${path}' for read: ${detail}`, { cause: e });
}
