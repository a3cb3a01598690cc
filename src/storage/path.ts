import { err } from '../error/error.js';

/**
 * Checks a driver-relative path (see storage.ts): `/` separated, no leading `/`, no `.`/`..`
 * segments, no empty segments. A trailing `/` is dropped. Returns the normalised path ('' = root).
 */
export function checkPath(path: string): string {
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  if (p === '') return '';
  if (p.startsWith('/')) throw err('AssertError', `storage path '${path}' must be relative`);
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') {
      throw err('AssertError', `storage path '${path}' is not valid`);
    }
  }
  if (p.includes('\0')) throw err('AssertError', `storage path '${path}' is not valid`);
  return p;
}

/** `a/b` + `c` = `a/b/c`; either side may be the root ''. */
export function joinPath(base: string, name: string): string {
  if (base === '') return name;
  if (name === '') return base;
  return `${base}/${name}`;
}

/** Last segment of a path ('' for the root). */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}

/** Everything before the last segment ('' when there is none). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}

/** Suffix of the temp file an atomic posix write renames into place. */
export const TEMP_SUFFIX = '.pgbackrest.tmp';
