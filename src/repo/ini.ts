/**
 * The info-file container shared by archive.info, backup.info and backup.manifest: strict INI whose
 * values are JSON text, signed by `backrest-checksum` (spec info-files §2.1–2.3).
 *
 * Values are kept as RAW JSON text so that parse → render is byte-identical and the checksum never
 * depends on re-serialisation. Models decode the values they need with `jsonDecode`.
 */
import { createHash, type Hash } from 'node:crypto';
import { err } from '../error/error.js';
import { compareBytes, jsonDecode, jsonDecodeFast, jsonInvalidReason, jsonString, type JsonValue } from './json.js';

/** Section name → (key → raw JSON value text), both in insertion order. */
export type InfoSections = Map<string, Map<string, string>>;

/** Section name → (key → value), for the values a parse decoded while checking them. */
export type DecodedValues = Map<string, Map<string, JsonValue>>;

export const INFO_FORMAT = 5;
/** Written as `backrest-version`; pgBackRest-like values are the safest (nothing parses them). */
export const BACKREST_VERSION = '2.45';

const SECTION_BACKREST = 'backrest';
const KEY_CHECKSUM = 'backrest-checksum';
const KEY_FORMAT = 'backrest-format';
const KEY_VERSION = 'backrest-version';

export interface ParsedInfo {
  /** Every section in order of first appearance, without the checksum key. */
  sections: InfoSections;
  /** The checksum found in (and verified against) the file. */
  checksum: string;
  /**
   * The values of `sections` that were decoded to check them, most of them: a model built right
   * after the parse takes them from here instead of parsing them again (see manifestFromSections).
   * They describe `sections` as parsed, and are each handed to one model only.
   */
  decoded: DecodedValues;
}

/**
 * Incremental `backrest-checksum`: SHA-1 over `{"section":{"key":value,...},...}` built in file order
 * from raw value text. Section names are quoted but not escaped; keys are escaped.
 */
class InfoHash {
  private readonly hash: Hash = createHash('sha1').update('{');
  private section: string | undefined;
  /** Text not hashed yet: one update per ~64 KB instead of two per key (a manifest has thousands). */
  private pending = '';

  add(section: string, key: string, rawValue: string): void {
    if (section !== this.section) {
      this.pending += this.section === undefined ? `"${section}":{` : `},"${section}":{`;
      this.section = section;
    } else {
      this.pending += ',';
    }
    this.pending += `${jsonString(key)}:${rawValue}`;
    if (this.pending.length >= HASH_BATCH) this.flush();
  }

  digest(): string {
    this.pending += '}}';
    this.flush();
    return this.hash.digest('hex');
  }

  private flush(): void {
    this.hash.update(this.pending);
    this.pending = '';
  }
}

const HASH_BATCH = 64 * 1024;

/**
 * Parse and verify an info file. Errors are pgBackRest's: FormatError for structure (with the line
 * number and line), FormatError `expected format 5 but found N`, ChecksumError for a wrong or
 * missing checksum. Encrypted bytes read as text fail as `key/value found outside of section`.
 */
export function parseInfo(text: string | Buffer): ParsedInfo {
  const content = typeof text === 'string' ? text : text.toString('utf8');
  const sections: InfoSections = new Map();
  const decoded: DecodedValues = new Map();
  const hash = new InfoHash();
  let section: Map<string, string> | undefined;
  let sectionDecoded: Map<string, JsonValue> | undefined;
  let sectionName = '';
  let stored: string | undefined;
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      sectionName = line.slice(1, -1);
      if (sectionName === '') throw err('FormatError', `invalid empty section at line ${i + 1}: ${line}`);
      section = sections.get(sectionName) ?? new Map<string, string>();
      sections.set(sectionName, section);
      sectionDecoded = decoded.get(sectionName) ?? new Map<string, JsonValue>();
      decoded.set(sectionName, sectionDecoded);
      continue;
    }
    if (section === undefined) throw err('FormatError', `key/value found outside of section at line ${i + 1}: ${line}`);
    const [key, value, decodedValue] = splitKeyValue(line, i + 1);
    if (sectionName === SECTION_BACKREST && key === KEY_CHECKSUM) {
      stored = checksumText(value);
      continue;
    }
    if (sectionName === SECTION_BACKREST && key === KEY_FORMAT && jsonDecode(value) !== INFO_FORMAT) {
      throw err('FormatError', `expected format ${INFO_FORMAT} but found ${value}`);
    }
    hash.add(sectionName, key, value);
    section.set(key, value);
    // a key seen twice keeps its last value, in both maps
    if (decodedValue !== undefined) sectionDecoded!.set(key, decodedValue);
    else sectionDecoded!.delete(key);
  }
  for (const [name, keys] of sections) {
    if (keys.size > 0) continue;
    sections.delete(name);
    decoded.delete(name);
  }
  const actual = hash.digest();
  if (stored === undefined) throw err('ChecksumError', `invalid checksum, actual '${actual}' but no checksum found`);
  if (stored !== actual) throw err('ChecksumError', `invalid checksum, actual '${actual}' but expected '${stored}'`);
  return { sections, checksum: actual, decoded };
}

/**
 * Split at the first `=` whose remainder is valid JSON; the key may itself contain `=`. The value
 * comes decoded too when the check decoded it (jsonDecodeFast), as it does for nearly every value.
 */
function splitKeyValue(line: string, lineNo: number): [string, string, JsonValue | undefined] {
  let eq = line.indexOf('=');
  if (eq < 0) throw err('FormatError', `missing '=' in key/value at line ${lineNo}: ${line}`);
  if (eq === 0) throw err('FormatError', `key is zero-length at line ${lineNo}: ${line}`);
  let reason: string | null = null;
  while (eq >= 0) {
    const raw = line.slice(eq + 1);
    const value = jsonDecodeFast(raw);
    if (value !== undefined) return [line.slice(0, eq), raw, value];
    reason = jsonInvalidReason(raw);
    if (reason === null) return [line.slice(0, eq), raw, undefined];
    eq = line.indexOf('=', eq + 1);
  }
  throw err('FormatError', `invalid JSON value at line ${lineNo} '${line}': ${reason}`);
}

function checksumText(raw: string): string {
  const v = jsonDecode(raw);
  return typeof v === 'string' ? v : raw;
}

/**
 * Render sections as pgBackRest writes them: `[backrest]` first (format, then version: the input's
 * `backrest-version` or BACKREST_VERSION), the other non-empty sections in byte order of their
 * names with keys in the order given, an empty line before each header after the first, and the
 * checksum trailer computed over exactly what is written.
 */
export function renderInfo(sections: InfoSections): string {
  const hash = new InfoHash();
  const out: string[] = [];
  const writeSection = (name: string, keys: Iterable<[string, string]>): void => {
    out.push(out.length === 0 ? `[${name}]\n` : `\n[${name}]\n`);
    for (const [key, value] of keys) {
      hash.add(name, key, value);
      out.push(`${key}=${value}\n`);
    }
  };
  const version = sections.get(SECTION_BACKREST)?.get(KEY_VERSION) ?? jsonString(BACKREST_VERSION);
  writeSection(SECTION_BACKREST, [[KEY_FORMAT, String(INFO_FORMAT)], [KEY_VERSION, version]]);
  const names = [...sections.keys()].filter((n) => n !== SECTION_BACKREST).sort(compareBytes);
  for (const name of names) {
    const keys = sections.get(name)!;
    if (keys.size > 0) writeSection(name, keys);
  }
  out.push(`\n[${SECTION_BACKREST}]\n${KEY_CHECKSUM}=${jsonString(hash.digest())}\n`);
  return out.join('');
}
