import type { CommandContext } from '../command.js';
import { checkStop } from '../../lock/stop.js';
import { runRestore } from '../../restore/run.js';

/** `restore`: one backup set from one repo into pg1-path, with recovery settings. */
export async function run({ cfg, log }: CommandContext): Promise<void> {
  checkStop(cfg.str('lock-path'), cfg.str('stanza'));
  await runRestore(cfg, log);
}
