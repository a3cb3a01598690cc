/**
 * Types of the one table that declares every command and option (see `options.ts`,
 * `commands.ts`). Parsing, validation, help and docs/reference.md are derived from it.
 */

export type OptionType =
  | 'boolean'
  | 'integer'
  | 'size' // bytes; units b, k/kb/kib, m…, g…, t…, p… all powers of 1024
  | 'time' // seconds, decimals allowed
  | 'string'
  | 'path' // starts with '/', no '//', trailing '/' removed
  | 'string-id' // one of `allow`
  | 'list' // repeated option
  | 'hash'; // repeated key=value

/** Where an option may be set: anywhere, only in a stanza section (or CLI/env), or only CLI/env. */
export type OptionSection = 'global' | 'stanza' | 'command-line';

export type OptionGroup = 'repo' | 'pg';

/** A value after parsing: size → bytes, time → seconds, integer → number. */
export type OptionValue = boolean | number | string | string[] | Record<string, string>;

export type OptionSource = 'default' | 'config' | 'env' | 'cli';

/** Per-command differences of an option. */
export interface OptionCommandRule {
  required?: boolean;
  default?: string;
  allow?: readonly string[];
  /** Valid only for an internal role (async, local); not shown in help. */
  internal?: boolean;
}

export interface OptionDef {
  /** Name without index (`path` in group `repo` means `repo1-path` … ). For ungrouped options, the full name. */
  readonly name: string;
  readonly type: OptionType;
  readonly group?: OptionGroup;
  readonly section: OptionSection;
  /** Default as text (parsed like a configured value); undefined = no default. */
  readonly default?: string;
  /** Default computed from other options (e.g. compress-level from compress-type). Only shown in help. */
  readonly defaultNote?: string;
  readonly allow?: readonly string[];
  readonly range?: readonly [number, number];
  /** Commands that accept the option, with per-command rules. */
  readonly commands: Readonly<Record<string, OptionCommandRule>>;
  /** Required where a command rule does not say otherwise. */
  readonly required?: boolean;
  /** Secret: refused on the command line, shown as <redacted>. */
  readonly secure?: boolean;
  /** Old names, full form: `repo-path`, `repo?-s3-verify-ssl` (`?` = any index), `db-path`. */
  readonly deprecated?: readonly string[];
  /** Only valid with --beta (2.45 block incremental). */
  readonly beta?: boolean;
  /** Option depends on another having one of these values (e.g. repo-s3-* on repo-type=s3). */
  readonly dependsOn?: { readonly option: string; readonly values?: readonly string[] };
  readonly summary: string;
  readonly description: string;
}

export interface CommandDef {
  readonly name: string;
  /** Accepts positional parameters (archive-push %p, archive-get %f %p, help, repo-*). */
  readonly params?: boolean;
  /** Always writes a log file (backup, expire, restore, ...); others only with log-level-file on CLI/env. */
  readonly logFileAlways?: boolean;
  /** Command begin/end at DEBUG instead of INFO (info, help, version, repo-ls, repo-get). */
  readonly logQuiet?: boolean;
  readonly summary: string;
  readonly description: string;
}
