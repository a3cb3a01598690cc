import { err } from '../error/error.js';
import { OPTIONS, baseName, optionByBase } from './options.js';
import type { TableOption } from './table.js';

export const INDEX_MAX = 256;

/** An option name as written, resolved to its definition and index (0 for ungrouped options). */
export interface ResolvedName {
  readonly def: TableOption;
  readonly index: number;
  /** Current full name: `repo1-storage-verify-tls`. */
  readonly key: string;
  readonly deprecated: boolean;
}

let deprecatedMap: Map<string, TableOption> | undefined;

function deprecations(): Map<string, TableOption> {
  if (deprecatedMap === undefined) {
    deprecatedMap = new Map();
    for (const o of OPTIONS) for (const d of o.deprecated ?? []) deprecatedMap.set(d, o);
  }
  return deprecatedMap;
}

export function keyOf(def: TableOption, index: number): string {
  return def.group === undefined ? def.name : `${def.group}${index}-${def.name}`;
}

function make(def: TableOption, index: number, deprecated: boolean): ResolvedName {
  return { def, index, key: keyOf(def, index), deprecated };
}

/**
 * Resolves a name without `--`/`no-`/`reset-` prefix. Returns undefined for unknown names; throws
 * for an unindexed group option or an index out of range.
 */
export function resolveName(name: string): ResolvedName | undefined {
  const direct = optionByBase(name);
  if (direct !== undefined && direct.group === undefined) return make(direct, 0, false);
  const old = deprecations().get(name);
  if (old !== undefined) return make(old, old.group === undefined ? 0 : 1, name !== baseName(old));
  if (direct !== undefined) {
    throw err('OptionInvalidError', `option '${name}' requires an index`, {
      hints: [`add the required index, e.g. ${direct.group}1-${direct.name}.`],
    });
  }
  const m = /^([a-z]+)(\d+)-(.+)$/.exec(name);
  if (m === null) return undefined;
  const index = Number(m[2]);
  const current = optionByBase(`${m[1]}-${m[3]}`);
  const def = current?.group === m[1] ? current : deprecations().get(`${m[1]}?-${m[3]}`);
  if (def === undefined || def.group === undefined || index < 1 || m[2].startsWith('0')) return undefined;
  if (index > INDEX_MAX) throw err('OptionInvalidError', `option '${name}' key exceeds maximum of ${INDEX_MAX}`);
  return make(def, index, def !== current);
}

export type Prefix = 'set' | 'negate' | 'reset';

/** Splits `no-`/`reset-` off a name when the rest is an option (an option's own name wins). */
export function resolveWithPrefix(name: string): { prefix: Prefix; res: ResolvedName } | undefined {
  const plain = resolveName(name);
  if (plain !== undefined) return { prefix: 'set', res: plain };
  for (const [p, kind] of [['no-', 'negate'], ['reset-', 'reset']] as const) {
    if (name.startsWith(p)) {
      const res = resolveName(name.slice(p.length));
      if (res !== undefined) return { prefix: kind, res };
    }
  }
  return undefined;
}
