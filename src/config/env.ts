import { err } from '../error/error.js';
import { resolveWithPrefix } from './names.js';
import type { RawOption } from './cli-args.js';

const PREFIX = 'PGBACKREST_';

/**
 * Options from PGBACKREST_* variables. Values stay text until used (an unused bad value is no
 * error, as in pgBackRest); list/hash values split on `:`. Unknown names only warn.
 */
export function readEnv(env: NodeJS.ProcessEnv, warnings: string[]): Map<string, RawOption> {
  const out = new Map<string, RawOption>();
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith(PREFIX) || v === undefined) continue;
    const name = k.slice(PREFIX.length).toLowerCase().replace(/_/g, '-');
    let found;
    try {
      found = resolveWithPrefix(name);
    } catch {
      found = undefined;
    }
    if (found === undefined) {
      warnings.push(`environment contains invalid option '${name}'`);
      continue;
    }
    if (found.prefix !== 'set') {
      warnings.push(`environment contains invalid ${found.prefix} option '${name}'`);
      continue;
    }
    const { res } = found;
    if (v === '') throw err('OptionInvalidValueError', `environment variable '${res.key}' must have a value`);
    if (out.has(res.key) && res.deprecated) continue;
    const multi = res.def.type === 'list' || res.def.type === 'hash';
    out.set(res.key, { res, kind: 'set', values: multi ? v.split(':') : [v] });
  }
  return out;
}

/** Boolean from the environment: y/n only. */
export function envBool(name: string, v: string): boolean {
  if (v !== 'y' && v !== 'n') throw err('OptionInvalidValueError', `environment boolean option '${name}' must be 'y' or 'n'`);
  return v === 'y';
}
