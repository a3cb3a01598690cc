import { rmSync, existsSync } from 'node:fs';
import type { CommandContext } from '../command.js';
import { stopFilePath } from '../../lock/stop.js';

/** Remove the stop file written by `stop` (the stanza's, or all.stop without a stanza). */
export async function run({ cfg, log }: CommandContext): Promise<void> {
  const stanza = cfg.strOpt('stanza');
  const file = stopFilePath(cfg.str('lock-path'), stanza);
  if (!existsSync(file)) {
    log.warn(`stop file does not exist${stanza === undefined ? '' : ` for stanza ${stanza}`}`);
    return;
  }
  rmSync(file, { force: true });
}
