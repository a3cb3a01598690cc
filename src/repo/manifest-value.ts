/** Typed decoding of manifest JSON values beyond info-value's: owners, modes, unknown keys. */
import { err } from '../error/error.js';
import type { JsonObject, JsonValue } from './json.js';
import { asInt, asString, wrongType } from './info-value.js';
import type { Owner } from './manifest-types.js';

export function asUInt(v: JsonValue | undefined, where: string): number {
  const n = asInt(v, where);
  return n >= 0 ? n : wrongType(where, 'an unsigned integer');
}

export function asOwner(v: JsonValue | undefined, where: string): Owner {
  if (typeof v === 'string') return v;
  if (v === false) return false;
  if (v === true) throw err('FormatError', `${where}: owner bool must be false`);
  return wrongType(where, 'an owner name or false');
}

/** `"0600"` → 0o600 (pgBackRest reads it base 8). */
export function asMode(v: JsonValue | undefined, where: string): number {
  const s = asString(v, where);
  if (!/^[0-7]{1,7}$/.test(s)) throw err('FormatError', `${where}: invalid mode '${s}'`);
  return parseInt(s, 8);
}

/** The keys of `o` not in `known`, or undefined when there are none. */
export function extraOf(o: JsonObject, known: ReadonlySet<string>): JsonObject | undefined {
  const keys = Object.keys(o).filter((k) => !known.has(k));
  if (keys.length === 0) return undefined;
  const out: JsonObject = {};
  for (const k of keys) Object.defineProperty(out, k, { value: o[k], enumerable: true, writable: true, configurable: true });
  return out;
}
