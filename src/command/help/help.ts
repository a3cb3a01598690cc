import type { CommandContext, CommandResult } from '../command.js';
import { renderHelp } from '../../config/help.js';

export async function run({ cfg }: CommandContext): Promise<CommandResult> {
  return { stdout: renderHelp([...cfg.params], cfg) };
}
