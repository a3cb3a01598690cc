/**
 * One `[target:file]` entry: JSON object ↔ ManifestFile. Omitted-means-default rules (spec
 * manifest.md §3.9): no checksum for size 0 (EMPTY_SHA1 implied), no repo-size when equal to size,
 * no bno when 0, user/group/mode only when they differ from the defaults.
 */
import { err } from '../error/error.js';
import type { JsonObject, JsonValue } from './json.js';
import { asBool, asInt, asString, field } from './info-value.js';
import { asMode, asOwner, asUInt, extraOf } from './manifest-value.js';
import { EMPTY_SHA1, type ManifestFile, type Owner, type PageErrorList } from './manifest-types.js';

/** Lazily evaluated so a missing default only fails when an entry needs it. */
export interface FileDefaults {
  user: () => Owner;
  group: () => Owner;
  mode: () => number;
}

/** Owner and mode values that entries leave out. */
export interface OwnerDefaults {
  user: Owner;
  group: Owner;
  mode: number;
}

const FILE_KEYS = new Set([
  'bi', 'bic', 'bim', 'bni', 'bno', 'checksum', 'checksum-page', 'checksum-page-error', 'group', 'mode', 'rck',
  'reference', 'repo-size', 'size', 'szo', 'timestamp', 'user',
]);

const has = (o: JsonObject, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function pageErrorList(v: JsonValue, where: string): PageErrorList {
  const bad = (): never => {
    throw err('FormatError', `${where} has an invalid checksum-page-error list`);
  };
  if (!Array.isArray(v)) return bad();
  return v.map((e): number | [number, number] => {
    if (typeof e === 'number' && Number.isInteger(e) && e >= 0) return e;
    if (Array.isArray(e) && e.length === 2 && e.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) {
      return [e[0] as number, e[1] as number];
    }
    return bad();
  });
}

const OPTIONAL_UINTS = [['bni', 'bundleId'], ['bi', 'blockIncrSize'], ['bic', 'blockIncrChecksumSize'],
  ['bim', 'blockIncrMapSize'], ['szo', 'sizeOriginal']] as const;

export function decodeFile(name: string, o: JsonObject, d: FileDefaults): ManifestFile {
  const where = `file '${name}'`;
  if (!has(o, 'size')) throw err('FormatError', `missing size for file '${name}'`);
  if (!has(o, 'timestamp')) throw err('FormatError', `missing timestamp for file '${name}'`);
  const size = asUInt(o.size, where);
  const f: ManifestFile = {
    name,
    size,
    timestamp: asInt(o.timestamp, where),
    repoSize: has(o, 'repo-size') ? asUInt(o['repo-size'], where) : size,
    user: has(o, 'user') ? asOwner(o.user, where) : d.user(),
    group: has(o, 'group') ? asOwner(o.group, where) : d.group(),
    mode: has(o, 'mode') ? asMode(o.mode, where) : d.mode(),
  };
  if (size === 0) f.checksum = EMPTY_SHA1;
  else if (has(o, 'checksum')) f.checksum = asString(o.checksum, where);
  for (const [key, prop] of OPTIONAL_UINTS) if (has(o, key)) f[prop] = asUInt(o[key], where);
  if (f.bundleId !== undefined) f.bundleOffset = has(o, 'bno') ? asUInt(o.bno, where) : 0;
  if (has(o, 'checksum-page')) {
    f.checksumPage = asBool(o['checksum-page'], where);
    if (has(o, 'checksum-page-error')) f.checksumPageError = pageErrorList(field(o, 'checksum-page-error', where), where);
  }
  if (has(o, 'rck')) f.rck = asString(o.rck, where);
  if (has(o, 'reference')) f.reference = asString(o.reference, where);
  const extra = extraOf(o, FILE_KEYS);
  if (extra !== undefined) f.extra = extra;
  return f;
}

/** `0o600` → `"0600"`. */
export function modeString(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** The entry object as pgBackRest 2.45 writes it; `jsonEncode` puts the keys in byte order. */
export function encodeFile(f: ManifestFile, d: OwnerDefaults): Record<string, JsonValue | undefined> {
  const bundled = f.bundleId !== undefined && f.bundleId !== 0;
  return {
    ...f.extra,
    bi: f.blockIncrSize,
    bic: f.blockIncrChecksumSize,
    bim: f.blockIncrMapSize,
    bni: bundled ? f.bundleId : undefined,
    bno: bundled && f.bundleOffset !== undefined && f.bundleOffset !== 0 ? f.bundleOffset : undefined,
    checksum: f.size !== 0 ? f.checksum : undefined,
    'checksum-page': f.checksumPage,
    'checksum-page-error': f.checksumPage !== undefined ? f.checksumPageError : undefined,
    group: f.group !== d.group ? f.group : undefined,
    mode: f.mode !== d.mode ? modeString(f.mode) : undefined,
    rck: f.rck,
    reference: f.reference,
    'repo-size': f.repoSize !== f.size ? f.repoSize : undefined,
    size: f.size,
    szo: f.sizeOriginal,
    timestamp: f.timestamp,
    user: f.user !== d.user ? f.user : undefined,
  };
}

/** Ascending block numbers → the manifest list, consecutive runs collapsed: 1,2,3,5 → [[1,3],5]. */
export function pageErrorListFromBlocks(blocks: readonly number[]): PageErrorList {
  const out: PageErrorList = [];
  let i = 0;
  while (i < blocks.length) {
    let j = i;
    while (j + 1 < blocks.length && blocks[j + 1] === blocks[j] + 1) j++;
    out.push(j === i ? blocks[i] : [blocks[i], blocks[j]]);
    i = j + 1;
  }
  return out;
}

/** `pages 1-3, 5` form used in pgBackRest's warning. */
export function pageErrorListText(list: PageErrorList): string {
  return list.map((e) => (typeof e === 'number' ? String(e) : `${e[0]}-${e[1]}`)).join(', ');
}
