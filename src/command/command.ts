import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';

export interface CommandContext {
  cfg: Config;
  log: Logger;
}

/** What a handler hands back to the CLI layer, which does all printing and exiting. */
export interface CommandResult {
  /** Printed to stdout as is (info text/JSON, help, version). */
  stdout?: string;
  /** Non-error exit status other than 0 (archive-get's 1 for "not found"). */
  exitCode?: number;
  /**
   * Work that follows this command's end line as a command of its own (backup's automatic expire):
   * it logs its own begin/end lines; if it throws, the CLI ends with `<name> command end: aborted`.
   */
  after?: { name: string; run: () => Promise<void> };
}

export type CommandHandler = (ctx: CommandContext) => Promise<CommandResult | void>;

export interface CommandModule {
  run: CommandHandler;
}
