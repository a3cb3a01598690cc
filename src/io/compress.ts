import { PassThrough, type Duplex } from 'node:stream';
import { Bz2Stream, bz2Sync } from './bz2.js';
import { CodecStream, runCodec, type Codec } from './codec.js';
import { gzCompressParallel, gzCompressStream, gzCompressSync, gzDecompressStream, gzDecompressSync } from './gz.js';
import { gzAddon, NativeGzDecoder, NativeGzEncoder } from './gz-native.js';
import { lz4Decoder, lz4Encoder } from './lz4.js';
import { ZstDecoder, ZstEncoder } from './zst.js';

export * from './compress-type.js';
import { resolveLevel, type CompressType } from './compress-type.js';

export function compressStream(type: CompressType, level?: number): Duplex {
  const lvl = resolveLevel(type, level);
  switch (type) {
    case 'none':
      return new PassThrough();
    case 'gz': {
      const codec = gzEncoder(lvl);
      return codec === undefined ? gzCompressStream(lvl) : new CodecStream(codec);
    }
    case 'lz4':
      return new CodecStream(lz4Encoder(lvl));
    case 'zst':
      return new CodecStream(new ZstEncoder(lvl));
    case 'bz2':
      return new Bz2Stream(false, lvl);
  }
}

/**
 * The synchronous codec of a type whose codec runs in this thread (lz4, zst, and gz with the
 * native codec, see gz-native.ts); undefined for types that only stream (bz2, gz without it) and
 * for `none`. Callers that can drive a codec directly skip a stream. `threads` lets zst compress
 * one stream on several threads (see ZstEncoder); others ignore it.
 */
export function compressCodec(type: CompressType, level?: number, threads = 1): Codec | undefined {
  const lvl = resolveLevel(type, level);
  if (type === 'lz4') return lz4Encoder(lvl);
  if (type === 'zst') return new ZstEncoder(lvl, threads);
  if (type === 'gz') return gzEncoder(lvl);
  return undefined;
}

function gzEncoder(level: number): NativeGzEncoder | undefined {
  const addon = gzAddon();
  return addon === undefined ? undefined : new NativeGzEncoder(addon, level);
}

/**
 * The synchronous decoder of a type (gz only with the native decoder, see gz-native.ts); undefined
 * for types that only stream. `checked`: the caller verifies the output's SHA-1, so a format's own
 * checksum may be left out where that saves time (lz4, see lz4Decoder).
 */
export function decompressCodec(type: CompressType, checked = false): Codec | undefined {
  if (type === 'lz4') return lz4Decoder('auto', checked);
  if (type === 'zst') return new ZstDecoder();
  if (type === 'gz') return gzDecoder();
  return undefined;
}

function gzDecoder(): NativeGzDecoder | undefined {
  const addon = gzAddon();
  return addon === undefined ? undefined : new NativeGzDecoder(addon);
}

export function decompressStream(type: CompressType): Duplex {
  switch (type) {
    case 'none':
      return new PassThrough();
    case 'gz': {
      const codec = gzDecoder();
      return codec === undefined ? gzDecompressStream() : new CodecStream(codec);
    }
    case 'lz4':
      return new CodecStream(lz4Decoder());
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
      return runCodec(lz4Encoder(lvl), data);
    case 'zst':
      return runCodec(new ZstEncoder(lvl), data);
    case 'bz2':
      return bz2Sync(data, false, lvl);
  }
}

/**
 * compressSync for one large buffer that may use several cores: gz is compressed in up to `pieces`
 * parts on libuv's thread pool (gzCompressParallel); the other types run in this thread.
 */
export async function compressParallel(type: CompressType, data: Buffer, level: number | undefined, pieces: number): Promise<Buffer> {
  if (type === 'gz') return gzCompressParallel(data, resolveLevel(type, level), pieces);
  return compressSync(type, data, level);
}

export function decompressSync(type: CompressType, data: Buffer): Buffer {
  switch (type) {
    case 'none':
      return data;
    case 'gz':
      return gzDecompressSync(data);
    case 'lz4':
      return runCodec(lz4Decoder(), data);
    case 'zst':
      return runCodec(new ZstDecoder(), data);
    case 'bz2':
      return bz2Sync(data, true);
  }
}
