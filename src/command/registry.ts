import type { CommandModule } from './command.js';
import { err } from '../error/error.js';

type Loader = () => Promise<CommandModule>;

/**
 * Every implemented command, loaded on demand so a command pays only for its own code (archive-push
 * runs once per WAL segment). Names must be unique; the table is checked when first used.
 */
const ENTRIES: ReadonlyArray<readonly [string, Loader]> = [
  ['annotate', () => import('./annotate/annotate.js')],
  ['archive-get', () => import('./archive-get/archive-get.js')],
  ['archive-push', () => import('./archive-push/archive-push.js')],
  ['backup', () => import('./backup/backup.js')],
  ['check', () => import('./check/check.js')],
  ['expire', () => import('./expire/expire.js')],
  ['help', () => import('./help/help.js')],
  ['info', () => import('./info/info.js')],
  ['repo-get', () => import('./repo-get/repo-get.js')],
  ['repo-ls', () => import('./repo-ls/repo-ls.js')],
  ['restore', () => import('./restore/restore.js')],
  ['stanza-create', () => import('./stanza-create/stanza-create.js')],
  ['stanza-delete', () => import('./stanza-delete/stanza-delete.js')],
  ['stanza-upgrade', () => import('./stanza-upgrade/stanza-upgrade.js')],
  ['start', () => import('./start/start.js')],
  ['stop', () => import('./stop/stop.js')],
  ['verify', () => import('./verify/verify.js')],
  ['version', () => import('./version/version.js')],
];

let table: Map<string, Loader> | undefined;

function commandTable(): Map<string, Loader> {
  if (table) return table;
  table = new Map();
  for (const [name, load] of ENTRIES) {
    if (table.has(name)) throw err('AssertError', `command '${name}' registered twice`);
    table.set(name, load);
  }
  return table;
}

export function isImplemented(name: string): boolean {
  return commandTable().has(name);
}

export async function loadCommand(name: string): Promise<CommandModule> {
  const load = commandTable().get(name);
  if (!load) {
    throw err('FeatureNotSupportedError', `command '${name}' is not implemented yet in pgbackrest-ts`, {
      hints: ['see the compatibility table in README.md'],
    });
  }
  return load();
}
