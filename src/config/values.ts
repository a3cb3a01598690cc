import { err } from '../error/error.js';
import type { OptionValue } from './types.js';
import type { TableOption } from './table.js';

/** Multipliers of size units, all powers of 1024 (pgBackRest 2.45 semantics). */
const SIZE_UNIT: Record<string, number> = { '': 1, b: 1 };
for (const [i, u] of ['k', 'm', 'g', 't', 'p'].entries()) {
  const mult = 1024 ** (i + 1);
  SIZE_UNIT[u] = mult;
  SIZE_UNIT[`${u}b`] = mult;
  SIZE_UNIT[`${u}ib`] = mult;
}

/** Bytes of a size like `128MiB`, `2mb`, `1048576`; undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)([a-z]*)$/i.exec(text);
  if (m === null) return undefined;
  const mult = SIZE_UNIT[m[2].toLowerCase()];
  return mult === undefined ? undefined : Number(m[1]) * mult;
}

/**
 * Seconds of a time option, read as pgBackRest 2.45 reads it: C's strtod on the text, whatever
 * follows the number ignored (`60s` is 60, `1e2` 100, `0x10` 16), then whole milliseconds. Undefined
 * when no number starts the text.
 */
export function parseTime(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP]([+-]?\d+))?|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(inf(?:inity)?|nan))/i.exec(text);
  if (m === null) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  let n: number;
  if (m[2] !== undefined) {
    const [whole, frac = ''] = m[2].split('.');
    n = parseInt(whole || '0', 16) + [...frac].reduce((acc, d, i) => acc + parseInt(d, 16) / 16 ** (i + 1), 0);
    if (m[3] !== undefined) n *= 2 ** Number(m[3]);
  } else if (m[4] !== undefined) {
    n = Number(m[4]);
  } else {
    n = m[5]!.toLowerCase() === 'nan' ? NaN : Infinity;
  }
  n *= sign;
  return Number.isFinite(n) ? Math.trunc(n * 1000) / 1000 : n;
}

function invalid(value: string, name: string): Error {
  return err('OptionInvalidValueError', `'${value}' is not valid for '${name}' option`);
}

/** Out of range also when not a number at all (strtod reads `inf` and `nan`). */
function checkRange(n: number, value: string, name: string, range: readonly [number, number] | undefined): void {
  if (range !== undefined && !(n >= range[0] && n <= range[1])) {
    throw err('OptionInvalidValueError', `'${value}' is out of range for '${name}' option`);
  }
}

/** Parses one scalar value of `def` (not list/hash/boolean); `name` is the indexed name for messages. */
export function parseScalar(def: TableOption, name: string, value: string, allow: readonly string[] | undefined): OptionValue {
  switch (def.type) {
    case 'integer': {
      if (!/^-?\d+$/.test(value)) throw invalid(value, name);
      const n = Number(value);
      checkRange(n, value, name, def.range);
      return n;
    }
    case 'size': {
      const n = parseSize(value);
      if (n === undefined) throw invalid(value, name);
      checkRange(n, value, name, def.range);
      if (allow !== undefined && !allow.some((a) => parseSize(a) === n)) throw notAllowed(value, name);
      return n;
    }
    case 'time': {
      const n = parseTime(value);
      if (n === undefined) throw invalid(value, name);
      checkRange(n, value, name, def.range);
      return n;
    }
    case 'path':
      if (value === '') throw tooShort(name);
      return parsePath(value, name);
    case 'string-id':
      if (allow !== undefined && !allow.includes(value)) throw notAllowed(value, name);
      return value;
    default:
      if (value === '') throw tooShort(name);
      return value;
  }
}

function tooShort(name: string): Error {
  return err('OptionInvalidValueError', `'' must be >= 1 character for '${name}' option`);
}

function notAllowed(value: string, name: string): Error {
  return err('OptionInvalidValueError', `'${value}' is not allowed for '${name}' option`);
}

/** Path rules: absolute, no `//`, trailing `/` removed (except the root itself). */
export function parsePath(value: string, name: string): string {
  if (!value.startsWith('/')) throw err('OptionInvalidValueError', `'${value}' must begin with / for '${name}' option`);
  if (value.includes('//')) throw err('OptionInvalidValueError', `'${value}' cannot contain // for '${name}' option`);
  return value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value;
}

/** `key=value` entries of a hash option; the last value of a repeated key wins, first-seen order kept. */
export function parseHash(values: readonly string[], name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 1) throw err('OptionInvalidError', `key/value '${v}' not valid for '${name}' option`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
