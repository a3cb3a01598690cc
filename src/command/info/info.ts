import type { CommandContext, CommandResult } from '../command.js';
import { jsonEncode, type JsonValue } from '../../repo/json.js';
import { gatherInfo } from './gather.js';
import { renderInfoText } from './render-text.js';

/** `info`: text, or one line of JSON without a trailing newline, as pgBackRest prints them. */
export async function run({ cfg }: CommandContext): Promise<CommandResult> {
  const stanzas = await gatherInfo(cfg);
  if (cfg.strOpt('output') === 'json') return { stdout: jsonEncode(stanzas as unknown as JsonValue) };
  return { stdout: renderInfoText(stanzas, { set: cfg.strOpt('set') }) };
}
