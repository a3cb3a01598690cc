import { getSystemErrorMap } from 'node:util';
import { constants as osConstants } from 'node:os';
import { err, PgbrError } from '../error/error.js';
import type { ErrorType } from '../error/catalogue.js';

/** strerror() texts pgBackRest prints for the errors storage sees most (libuv's differ). */
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  EACCES: 'Permission denied',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EDQUOT: 'Disk quota exceeded',
  EXDEV: 'Invalid cross-device link',
};

export function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** strerror() text of a system error: `Permission denied`. */
export function strerror(e: unknown): string {
  const ex = e as NodeJS.ErrnoException;
  const text = STRERROR[ex?.code ?? ''];
  if (text !== undefined) return text;
  const libuv = typeof ex?.errno === 'number' ? getSystemErrorMap().get(ex.errno)?.[1] : undefined;
  return libuv ? libuv[0].toUpperCase() + libuv.slice(1) : String(ex?.message ?? e);
}

/** `[13] Permission denied`, as pgBackRest appends to system errors. */
export function sysErrorText(e: unknown): string {
  const ex = e as NodeJS.ErrnoException;
  const num = typeof ex?.errno === 'number' ? Math.abs(ex.errno) : (osConstants.errno as Record<string, number>)[ex?.code ?? ''] ?? 0;
  return `[${num}] ${strerror(e)}`;
}

/** A PgbrError for a failed system call: `<msg>: [errno] text`. PgbrErrors pass through. */
export function sysErr(type: ErrorType, msg: string, e: unknown): PgbrError {
  if (e instanceof PgbrError) return e;
  return err(type, `${msg}: ${sysErrorText(e)}`, { cause: e });
}
