import { COMMAND_OPTIONS } from './options-command.js';
import { GENERAL_OPTIONS } from './options-general.js';
import { PG_OPTIONS } from './options-pg.js';
import { REPO_OPTIONS } from './options-repo.js';
import type { TableOption } from './table.js';

/** Full option name without index: `repo-path`, `pg-port`, `stanza`. */
export function baseName(def: TableOption): string {
  return def.group === undefined ? def.name : `${def.group}-${def.name}`;
}

/**
 * Every option of pgBackRest 2.45, in pgBackRest's internal order (alphabetical by unindexed name),
 * which is also the order of the `command begin` line and of help.
 */
export const OPTIONS: readonly TableOption[] = [...GENERAL_OPTIONS, ...COMMAND_OPTIONS, ...REPO_OPTIONS, ...PG_OPTIONS]
  .sort((a, b) => (baseName(a) < baseName(b) ? -1 : baseName(a) > baseName(b) ? 1 : 0));

let byBase: Map<string, TableOption> | undefined;

/** Option by unindexed name (`repo-path`, `stanza`). */
export function optionByBase(name: string): TableOption | undefined {
  byBase ??= new Map(OPTIONS.map((o) => [baseName(o), o]));
  return byBase.get(name);
}
