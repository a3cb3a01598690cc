import type { CommandContext, CommandResult } from '../command.js';
import { err } from '../../error/error.js';
import type { StorageDriver, StorageInfo } from '../../storage/storage.js';
import { repoTarget } from '../common/repos.js';
import { repoRelativePath } from '../common/repo-path.js';
import { renderListing, sortListing, type ListSort } from './render.js';

/** `repo-ls [path]`: one name a line, or pgBackRest's JSON object keyed by name. */
export async function run({ cfg }: CommandContext): Promise<CommandResult> {
  if (cfg.params.length > 1) throw err('ParamInvalidError', 'only one path may be specified');
  const repo = await repoTarget(cfg, cfg.intOpt('repo') ?? 1);
  const repoPath = cfg.strOpt(`repo${repo.idx}-path`) ?? '/var/lib/pgbackrest';
  const path = cfg.params.length === 1 ? repoRelativePath(cfg.params[0], repoPath) : '';
  const filter = compileFilter(cfg.strOpt('filter'));
  const json = cfg.strOpt('output') === 'json';
  const entries = await listing(repo.storage, path, cfg.bool('recurse'), (cfg.strOpt('sort') ?? 'asc') as ListSort);
  const shown = entries.filter((e) => filter === undefined || filter.test(e.name));
  return { stdout: renderListing(shown, json) };
}

function compileFilter(source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch {
    throw err('FormatError', 'Invalid regular expression');
  }
}

/** A file lists as itself under the name `.`; anything else as `.` (a path) followed by its content. */
async function listing(storage: StorageDriver, path: string, recurse: boolean, sort: ListSort): Promise<StorageInfo[]> {
  const self = path === '' ? null : await storage.info(path);
  if (self !== null && self.type === 'file') return [{ ...self, name: '.' }];
  const dot: StorageInfo = { name: '.', type: 'path', size: 0, timeModified: 0 };
  return [dot, ...sortListing(await storage.list(path, { recurse }), sort)];
}
