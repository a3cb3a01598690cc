import type { OptionGroup, OptionSource, OptionValue } from './types.js';

/**
 * The options of one command invocation, resolved once (CLI > PGBACKREST_* env > [stanza:command]
 * > [stanza] > [global:command] > [global] > default), validated and frozen. Nothing downstream
 * reads argv, the environment or config files again.
 *
 * Names are full option names as the user writes them: `stanza`, `repo1-path`, `pg1-port`,
 * `compress-type`. Deprecated names are resolved to current ones before this object exists.
 */
export interface Config {
  readonly command: string;
  /** Internal role (`async`, `local`), as in `archive-push:async`. */
  readonly role?: string;
  readonly params: readonly string[];

  /** Value, or undefined when neither set nor defaulted. */
  get(name: string): OptionValue | undefined;
  /** Where the value came from (`default` also when unset). */
  source(name: string): OptionSource;
  /** True when the option has a value (set or defaulted). */
  has(name: string): boolean;
  /** The value as the user wrote it (`60s`, `1GB`), for messages; the default's text otherwise. */
  text(name: string): string | undefined;

  /** Typed getters: throw OptionRequiredError when the value is missing. */
  str(name: string): string;
  int(name: string): number;
  bool(name: string): boolean;
  /** Typed getters that return undefined when missing. */
  strOpt(name: string): string | undefined;
  intOpt(name: string): number | undefined;
  list(name: string): string[];
  hash(name: string): Record<string, string>;

  /** Indexes of a group that are configured, ascending; at least [1]. */
  indexes(group: OptionGroup): number[];

  /**
   * The option part of pgBackRest's `command begin` line: every option not from its default, in
   * the table's order, secrets as `<redacted>` (e.g. `--pg1-path=/p --repo1-s3-key=<redacted> --stanza=demo`).
   */
  displayOptions(): string;

  /** Warnings found while loading (invalid option in config file, ...), to log before the begin line. */
  readonly warnings: readonly string[];
  /** Warnings about how options combine, which pgBackRest logs after the begin line. */
  readonly notices?: readonly string[];
}
