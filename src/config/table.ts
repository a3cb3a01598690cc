import type { OptionCommandRule, OptionDef } from './types.js';

/**
 * Extensions of the shared table types used only inside src/config: where an option is listed in
 * help, negation/reset rules and per-command dependencies.
 */
export type HelpSection = 'command' | 'general' | 'log' | 'repository' | 'stanza';

export interface Depend {
  readonly option: string;
  /** Values (as text: 'y'/'n' for booleans) the other option must have; undefined = just be set. */
  readonly values?: readonly string[];
  /** Value used when the dependency does not resolve (instead of leaving the option unset). */
  readonly default?: string;
}

export interface TableRule extends OptionCommandRule {
  readonly depend?: Depend;
}

export interface TableOption extends OptionDef {
  readonly commands: Readonly<Record<string, TableRule>>;
  readonly help: HelpSection;
  /** Hidden from help and docs (exec-id, beta, job-retry...). */
  readonly internal?: boolean;
  /** Non-boolean or command-line boolean that still accepts --no- (config, online). */
  readonly negate?: boolean;
  readonly depend?: Depend;
}

/** Builds a command map: every listed command gets `rule`, then `over` replaces single entries. */
export function cmds(list: string, over: Record<string, TableRule> = {}, rule: TableRule = {}): Record<string, TableRule> {
  const out: Record<string, TableRule> = {};
  for (const c of list.split(' ')) if (c !== '') out[c] = rule;
  return { ...out, ...over };
}

// Command sets shared by many options (they mirror the option that others inherit from upstream).
export const C_ALL =
  'annotate archive-get archive-push backup check expire help info repo-get repo-ls restore server server-ping ' +
  'stanza-create stanza-delete stanza-upgrade start stop verify version';
export const C_BUFFER =
  'annotate archive-get archive-push backup check expire info repo-get repo-ls restore server server-ping ' +
  'stanza-create stanza-delete stanza-upgrade verify';
export const C_REPO =
  'annotate archive-get archive-push backup check expire info repo-get repo-ls restore stanza-create stanza-delete ' +
  'stanza-upgrade verify';
export const C_REMOTE =
  'archive-get archive-push backup check info repo-get repo-ls restore stanza-create stanza-delete stanza-upgrade verify';
export const C_REPO_HOST =
  'annotate archive-get archive-push check info repo-get repo-ls restore stanza-create stanza-delete stanza-upgrade verify';
export const C_PG = 'backup check stanza-create stanza-delete stanza-upgrade';
export const C_STANZA = C_REPO + ' start stop';
