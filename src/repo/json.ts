/**
 * pgBackRest's JSON dialect, as used in info files and manifests (spec info-files §2.2).
 *
 * Encoding is byte-exact: compact, object keys in ascending UTF-8 byte order (pgBackRest's reader
 * scans forward and treats out-of-order keys as missing), strings escaped with only the 7-character
 * set, integers plain. Decoding keeps integers above 2^53 exact by returning `bigint` for them.
 */
import { err } from '../error/error.js';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Nesting deeper than this is refused so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 256;

/** strcmp on UTF-8 bytes, the order pgBackRest sorts keys, sections and labels in. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 units order like code points, and so like UTF-8 bytes, unless the first difference
  // involves a surrogate (a code point above U+FFFF); only then are the bytes compared. No buffers
  // in the common case: encoding sorts the keys of every object it writes.
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  if ((x & 0xf800) !== 0xd800 && (y & 0xf800) !== 0xd800) return x - y;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A JSON string with only `"` `\` LF CR TAB BS FF escaped; every other byte goes through raw. */
export function jsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const esc = escapeOf(s.charCodeAt(i));
    if (esc === undefined) continue;
    out += s.slice(start, i) + esc;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

function escapeOf(code: number): string | undefined {
  switch (code) {
    case 0x22: return '\\"';
    case 0x5c: return '\\\\';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
    case 0x08: return '\\b';
    case 0x0c: return '\\f';
    default: return undefined;
  }
}

/**
 * Encode a value exactly as pgBackRest writes it. Object properties whose value is `undefined` are
 * left out (handy for optional keys). Only integers are allowed as numbers.
 */
export function jsonEncode(value: JsonValue | undefined): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean': return value ? 'true' : 'false';
    case 'bigint': return value.toString();
    case 'string': return jsonString(value);
    case 'number':
      if (!Number.isInteger(value)) throw err('AssertError', `json value ${value} is not an integer`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'object':
      if (Array.isArray(value)) return `[${value.map((v) => jsonEncode(v)).join(',')}]`;
      return encodeObject(value);
    default:
      throw err('AssertError', `unable to encode json type '${typeof value}'`);
  }
}

function encodeObject(obj: JsonObject): string {
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(compareBytes);
  return `{${keys.map((k) => `${jsonString(k)}:${jsonEncode(obj[k])}`).join(',')}}`;
}

/** Decode one JSON value (surrounding whitespace allowed). Malformed input is JsonFormatError. */
export function jsonDecode(text: string): JsonValue {
  return jsonDecodeFast(text) ?? parseWhole(text, true);
}

/**
 * The value by the engine's JSON.parse when its answer is certainly this dialect's, else undefined
 * (then the parser below decides, with its messages; parseInfo keeps the values it checked this
 * way, so they are not parsed twice). Every command parses its info files once,
 * while this module's code is still interpreted: a 1,017-file manifest parsed cold in 31-38 ms
 * with it, 60-77 ms without. It is not used where the two could differ: text with a 16-digit run
 * (an integer that may need a bigint), a number followed by `.`, `e` or `E` (a float, which the
 * dialect refuses; strings can only cause a needless fallback), or long enough to nest deeper than
 * MAX_DEPTH. Whatever JSON.parse refuses (raw control characters, which the dialect allows) falls
 * back too.
 */
export function jsonDecodeFast(text: string): JsonValue | undefined {
  if (text.length > 2 * MAX_DEPTH || LONG_DIGITS.test(text) || FLOAT.test(text)) return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

// Two expressions tested one after the other run in half the time of their alternation, which tried
// both at every position (a manifest's file values: 10 ms against 20 ms for 11,000 of them).
const LONG_DIGITS = /[0-9]{16}/;
const FLOAT = /(?:^|[:[,])[ \t\n\r]*-?[0-9]+[.eE]/;

/** Null when `text` is one valid JSON value, otherwise the reason. Never throws. */
export function jsonInvalidReason(text: string): string | null {
  if (jsonDecodeFast(text) !== undefined) return null;
  // What the fast path leaves is checked by a scan that builds nothing; a failure is decoded again
  // for its message, which names keys the scan does not keep.
  try {
    parseWhole(text, false);
    return null;
  } catch {
    // reported below
  }
  try {
    parseWhole(text, true);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** One value and nothing but whitespace around it; `build` as in Parser. */
function parseWhole(text: string, build: boolean): JsonValue {
  const p = new Parser(text, build);
  p.skipSpace();
  const value = p.value(0);
  p.skipSpace();
  if (p.pos < text.length) p.fail(`unexpected characters after value at: ${text.slice(p.pos, p.pos + 40)}`);
  return value;
}

class Parser {
  pos = 0;
  /** `build` false: check the syntax only; strings come back empty and containers are not filled. */
  constructor(private readonly text: string, private readonly build = true) {}

  fail(message: string): never {
    throw err('JsonFormatError', message);
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`json nested deeper than ${MAX_DEPTH} levels`);
    const c = this.text[this.pos];
    if (c === '"') return this.string();
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of WORDS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    if (c === undefined) this.fail('expected json value but found end of input');
    return this.fail(`invalid type at: ${this.text.slice(this.pos, this.pos + 40)}`);
  }

  private number(): number | bigint {
    INTEGER.lastIndex = this.pos;
    const m = INTEGER.exec(this.text);
    if (m === null) this.fail(`invalid number at: ${this.text.slice(this.pos, this.pos + 40)}`);
    const next = this.text[this.pos + m[0].length];
    if (next !== undefined && /[0-9.eE]/.test(next)) {
      const what = /[0-9]/.test(next) ? 'invalid number' : 'only integers are supported';
      this.fail(`${what} at: ${this.text.slice(this.pos, this.pos + 40)}`);
    }
    this.pos += m[0].length;
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? n : BigInt(m[0]);
  }

  private string(): string {
    const t = this.text;
    let out = '';
    let start = ++this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail(`expected '"' but found end of input`);
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c === 0x5c) {
        if (this.build) out += t.slice(start, this.pos) + this.escape();
        else this.escape();
        start = this.pos;
        continue;
      }
      this.pos++;
    }
    if (this.build) out += t.slice(start, this.pos);
    this.pos++;
    return out;
  }

  /** Decodes the escape at `pos` (which holds the backslash) and moves past it. */
  private escape(): string {
    const c = this.text[this.pos + 1];
    this.pos += 2;
    const simple = SIMPLE_ESCAPES[c ?? ''];
    if (simple !== undefined) return simple;
    if (c !== 'u') this.fail(`invalid escape character '${c ?? ''}'`);
    const hex = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`invalid unicode escape '\\u${hex}'`);
    this.pos += 4;
    return String.fromCharCode(parseInt(hex, 16));
  }

  private array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const value = this.value(depth + 1);
      if (this.build) out.push(value);
      if (this.endOfList(']')) return out;
    }
  }

  private object(depth: number): JsonObject {
    const out: JsonObject = {};
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail(`expected '"' at: ${this.text.slice(this.pos, this.pos + 40)}`);
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after key '${key}'`);
      this.pos++;
      this.skipSpace();
      const value = this.value(depth + 1);
      // A plain store is several times faster; only `__proto__` would not make an own property.
      if (!this.build) {
        // syntax only
      } else if (key === '__proto__') {
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = value;
      }
      if (this.endOfList('}')) return out;
    }
  }

  /** After a list element: true at the closing bracket, false after a comma. */
  private endOfList(close: string): boolean {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === close) {
      this.pos++;
      return true;
    }
    if (c !== ',') this.fail(`expected ',' or '${close}' but found ${c === undefined ? 'end of input' : `'${c}'`}`);
    this.pos++;
    return false;
  }
}

const INTEGER = /-?(0|[1-9][0-9]*)/y;

const WORDS: ReadonlyArray<[string, JsonValue]> = [['null', null], ['true', true], ['false', false]];

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"', '\\': '\\', '/': '/', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f',
};
