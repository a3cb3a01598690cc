/**
 * Typed access to the raw JSON values of parsed info sections. A missing required key or a value of
 * the wrong type is a FormatError naming the section and key.
 */
import { err } from '../error/error.js';
import { jsonDecode, type JsonObject, type JsonValue } from './json.js';
import type { InfoSections } from './ini.js';

export function wrongType(where: string, expected: string): never {
  throw err('FormatError', `${where} is not ${expected}`);
}

export function asInt(v: JsonValue | undefined, where: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  // Sizes above 2^53 (9 PiB) cannot occur in practice; refuse rather than round silently.
  return wrongType(where, 'an integer');
}

export function asUInt64(v: JsonValue | undefined, where: string): bigint {
  if ((typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n)) return BigInt(v);
  return wrongType(where, 'an unsigned integer');
}

export function asString(v: JsonValue | undefined, where: string): string {
  return typeof v === 'string' ? v : wrongType(where, 'a string');
}

export function asBool(v: JsonValue | undefined, where: string): boolean {
  return typeof v === 'boolean' ? v : wrongType(where, 'a boolean');
}

export function asObject(v: JsonValue | undefined, where: string): JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : wrongType(where, 'an object');
}

/** Decoded value of `[section] key`, or undefined when the key is absent. */
export function optValue(sections: InfoSections, section: string, key: string): JsonValue | undefined {
  const raw = sections.get(section)?.get(key);
  return raw === undefined ? undefined : jsonDecode(raw);
}

/** Decoded value of a required `[section] key`. */
export function reqValue(sections: InfoSections, section: string, key: string): JsonValue {
  const v = optValue(sections, section, key);
  if (v === undefined) throw err('FormatError', `section '${section}', key '${key}' does not exist`);
  return v;
}

/** A required key of a JSON object value; `where` names the object in messages. */
export function field(obj: JsonObject, key: string, where: string): JsonValue {
  if (!Object.prototype.hasOwnProperty.call(obj, key)) throw err('FormatError', `missing ${key} for ${where}`);
  return obj[key];
}

/** History ids of a `[db:history]` section in ascending numeric order. */
export function historyIds(sections: InfoSections, section: string): number[] {
  const keys = [...(sections.get(section)?.keys() ?? [])];
  const ids = keys.map((k) => (/^[1-9][0-9]{0,8}$/.test(k) ? Number(k) : wrongType(`[${section}] key '${k}'`, 'a history id')));
  return ids.sort((a, b) => a - b);
}
