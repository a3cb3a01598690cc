import type { CommandContext, CommandResult } from '../command.js';
import { repoTarget } from '../common/repos.js';
import { verifyRepo } from '../../verify/run.js';

/**
 * `verify`: checks one repo (`--repo`, default 1). The result block is logged at INFO and, with
 * `--output=text`, printed. Errors found do not change the exit code (pgBackRest 2.45).
 */
export async function run({ cfg, log }: CommandContext): Promise<CommandResult> {
  const repo = await repoTarget(cfg, cfg.intOpt('repo') ?? 1);
  const opts = { stanza: cfg.str('stanza'), verbose: cfg.bool('verbose'), processMax: cfg.intOpt('process-max') ?? 1 };
  const result = await verifyRepo(repo, opts, log);
  if (result === '') return {};
  log.info(result);
  return cfg.strOpt('output') === 'text' ? { stdout: `${result}\n` } : {};
}
