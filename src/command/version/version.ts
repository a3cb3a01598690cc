import type { CommandResult } from '../command.js';
import { PROJECT, VERSION } from '../../version.js';

export async function run(): Promise<CommandResult> {
  return { stdout: `${PROJECT} ${VERSION}\n` };
}
