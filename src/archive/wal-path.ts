import { isAbsolute, join } from 'node:path';
import { err } from '../error/error.js';

/**
 * PostgreSQL passes `%p` relative to its data directory. Such a path is resolved against pg1-path,
 * which must then be set and must be the working directory PostgreSQL runs the command in.
 */
export function resolveWalPath(param: string, pgPath: string | undefined, cwd = process.cwd()): string {
  if (isAbsolute(param)) return param;
  if (pgPath === undefined) {
    throw err('OptionRequiredError', "option 'pg1-path' must be specified when relative wal paths are used");
  }
  if (cwd !== pgPath) {
    throw err('OptionInvalidValueError', `PostgreSQL working directory '${cwd}' is not the same as option pg1-path '${pgPath}'`, {
      hints: ['is the PostgreSQL data_directory configured the same as the pg1-path option?'],
    });
  }
  return join(pgPath, param);
}
