import { err } from '../../error/error.js';

/**
 * A path parameter of repo-ls/repo-get made relative to the repo, as pgBackRest checks it: no `//`,
 * a trailing `/` dropped, an absolute path only when it lies under the repo path.
 */
export function repoRelativePath(path: string, repoPath: string): string {
  if (path.includes('//')) throw err('ParamInvalidError', `path '${path}' cannot contain //`);
  let p = path.endsWith('/') ? path.slice(0, -1) : path;
  if (!p.startsWith('/')) return p;
  if (!p.startsWith(repoPath)) throw err('ParamInvalidError', `absolute path '${p}' is not in base path '${repoPath}'`);
  p = p.slice(repoPath === '/' ? 1 : repoPath.length + 1);
  return p;
}
