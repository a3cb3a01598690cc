import { PassThrough, type Duplex } from 'node:stream';
import { err } from '../error/error.js';
import { Bz2Stream, bz2Sync } from './bz2.js';
import { CodecStream, runCodec, type Codec } from './codec.js';
import { gzCompressStream, gzCompressSync, gzDecompressStream, gzDecompressSync } from './gz.js';
import { Lz4Decoder, Lz4Encoder } from './lz4.js';
import { ZstDecoder, ZstEncoder } from './zst.js';

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

export function compressStream(type: CompressType, level?: number): Duplex {
  const lvl = resolveLevel(type, level);
  switch (type) {
    case 'none':
      return new PassThrough();
    case 'gz':
      return gzCompressStream(lvl);
    case 'lz4':
      return new CodecStream(new Lz4Encoder());
    case 'zst':
      return new CodecStream(new ZstEncoder(lvl));
    case 'bz2':
      return new Bz2Stream(false, lvl);
  }
}

/**
 * The synchronous codec of a type whose codec runs in this thread (lz4, zst); undefined for types
 * that only stream (gz, bz2) and for `none`. Callers that can drive a codec directly skip a stream.
 */
export function compressCodec(type: CompressType, level?: number): Codec | undefined {
  const lvl = resolveLevel(type, level);
  if (type === 'lz4') return new Lz4Encoder();
  if (type === 'zst') return new ZstEncoder(lvl);
  return undefined;
}

export function decompressCodec(type: CompressType): Codec | undefined {
  if (type === 'lz4') return new Lz4Decoder();
  if (type === 'zst') return new ZstDecoder();
  return undefined;
}

export function decompressStream(type: CompressType): Duplex {
  switch (type) {
    case 'none':
      return new PassThrough();
    case 'gz':
      return gzDecompressStream();
    case 'lz4':
      return new CodecStream(new Lz4Decoder());
    case 'zst':
      return new CodecStream(new ZstDecoder());
    case 'bz2':
      return new Bz2Stream(true);
  }
}

export function compressSync(type: CompressType, data: Buffer, level?: number): Buffer {
  const lvl = resolveLevel(type, level);
  switch (type) {
    case 'none':
      return data;
    case 'gz':
      return gzCompressSync(data, lvl);
    case 'lz4':
      return runCodec(new Lz4Encoder(), data);
    case 'zst':
      return runCodec(new ZstEncoder(lvl), data);
    case 'bz2':
      return bz2Sync(data, false, lvl);
  }
}

export function decompressSync(type: CompressType, data: Buffer): Buffer {
  switch (type) {
    case 'none':
      return data;
    case 'gz':
      return gzDecompressSync(data);
    case 'lz4':
      return runCodec(new Lz4Decoder(), data);
    case 'zst':
      return runCodec(new ZstDecoder(), data);
    case 'bz2':
      return bz2Sync(data, true);
  }
}
