/**
 * Compression types, levels and file extensions: plain data, no codec is loaded here, so path and
 * manifest code can use it without pulling in the native compressors.
 */
import { err } from '../error/error.js';

/** Compression of repository files (spec §5): one complete stream per file. */
export type CompressType = 'none' | 'gz' | 'lz4' | 'zst' | 'bz2';
export const COMPRESS_TYPES: readonly CompressType[] = ['none', 'bz2', 'gz', 'lz4', 'zst'];

/** Default level per type as pgBackRest 2.45 applies it; `none` is recorded as level 0. */
export const DEFAULT_LEVEL: Readonly<Record<CompressType, number>> = { none: 0, gz: 6, lz4: 1, zst: 3, bz2: 9 };
export const LEVEL_RANGE: Readonly<Record<CompressType, readonly [number, number]>> = {
  none: [0, 0],
  gz: [-1, 9],
  lz4: [-5, 12],
  zst: [-7, 22],
  bz2: [1, 9],
};

export function isCompressType(value: string): value is CompressType {
  return (COMPRESS_TYPES as readonly string[]).includes(value);
}

/** Level to use: the given one, checked against the type's range, or the type's default. */
export function resolveLevel(type: CompressType, level?: number): number {
  if (level === undefined) return DEFAULT_LEVEL[type];
  if (type === 'none') return 0;
  const [min, max] = LEVEL_RANGE[type];
  if (!Number.isInteger(level) || level < min || level > max) {
    throw err('OptionInvalidValueError', `'${level}' is out of range for 'compress-level' option`);
  }
  return level;
}

/** File name extension including the dot; empty for `none`. */
export function extensionOf(type: CompressType): string {
  return type === 'none' ? '' : `.${type}`;
}

/** Compression type of a file name extension (with or without the dot); no extension means `none`. */
export function typeFromExtension(ext: string): CompressType {
  const bare = ext.startsWith('.') ? ext.slice(1) : ext;
  if (bare === '') return 'none';
  if (bare === 'xz') throw err('OptionInvalidValueError', 'pgBackRest not compiled with xz support');
  if (bare === 'none' || !isCompressType(bare)) throw err('AssertError', `invalid compression extension '${ext}'`);
  return bare;
}

/** Compression type of a repo file name from its extension (`.gz`, `.lz4`, ...), `none` if there is none. */
export function typeFromFileName(name: string): CompressType {
  const match = /\.(gz|lz4|zst|bz2|xz)$/.exec(name);
  return match === null ? 'none' : typeFromExtension(match[1]!);
}
