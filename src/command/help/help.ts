import type { CommandContext, CommandResult } from '../command.js';
import { renderHelp } from '../../config/help.js';

/** Help text ends with a newline, as pgBackRest prints it. */
export async function run({ cfg }: CommandContext): Promise<CommandResult> {
  return { stdout: `${renderHelp([...cfg.params], cfg)}\n` };
}
