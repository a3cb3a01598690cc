import zlib from 'node:zlib';
import type { Duplex } from 'node:stream';
import { err } from '../error/error.js';
import { WrappedStream } from './wrap.js';
import { eofError } from './codec.js';

/**
 * gzip as pgBackRest writes it (deflateInit2 with windowBits 15+16, memLevel 9). zlib's own header
 * already matches: no name, mtime 0, OS 3. The decoder accepts gzip only, like pgBackRest.
 */
const ZLIB_MESSAGES: Record<number, [string, 'FormatError' | 'AssertError' | 'MemoryError']> = {
  2: ['need dictionary', 'AssertError'],
  [-1]: ['file error', 'AssertError'],
  [-2]: ['stream error', 'FormatError'],
  [-3]: ['data error', 'FormatError'],
  [-4]: ['insufficient memory', 'MemoryError'],
  [-6]: ['incompatible version', 'FormatError'],
};


function gzError(e: unknown): Error {
  const errno = (e as { errno?: number }).errno;
  // Node reports a truncated stream as Z_BUF_ERROR at the end; pgBackRest sees it as an early end
  if (errno === zlib.constants.Z_BUF_ERROR) return eofError(e);
  const known = errno === undefined ? undefined : ZLIB_MESSAGES[errno];
  if (known === undefined) return err('AssertError', `zlib threw error: [${errno}] unknown error`, { cause: e });
  return err(known[1], `zlib threw error: [${errno}] ${known[0]}`, { cause: e });
}

// 64 KiB output chunks: Node's 16 KiB default halves stream throughput
const CHUNK_SIZE = 65536;

function gzOptions(level: number): zlib.ZlibOptions {
  return { level, memLevel: 9, windowBits: 15, chunkSize: CHUNK_SIZE };
}

export function gzCompressStream(level: number): Duplex {
  return zlib.createGzip(gzOptions(level));
}

export function gzDecompressStream(): Duplex {
  return new WrappedStream(zlib.createGunzip({ chunkSize: CHUNK_SIZE }), {
    mapError: gzError,
    checkEnd: (bytes) => (bytes === 0 ? eofError() : undefined),
  });
}

export function gzCompressSync(data: Buffer, level: number): Buffer {
  return zlib.gzipSync(data, gzOptions(level));
}

/** Below this a buffer is compressed in one piece: splitting it would gain less than it costs. */
const PARALLEL_PIECE_MIN = 1024 * 1024;
/** Deflate looks back at most this far: each piece is primed with that much of the one before. */
const WINDOW = 32 * 1024;

/**
 * gzip of `data` in `pieces` parts compressed at once on libuv's thread pool (four threads by
 * default), the way pigz does: every piece but the last ends with a sync flush (byte-aligned, not
 * final), each piece after the first is primed with the 32 KiB before it, and the pieces are
 * joined under one gzip header and one CRC-32/size trailer. The result is a single gzip member any
 * inflater reads, as large as a one-piece compression give or take a few bytes per piece; only its
 * bytes differ from zlib's one-piece output. Falls back to one piece where Node has no zlib.crc32
 * (before 20.15) or the data is small.
 */
export async function gzCompressParallel(data: Buffer, level: number, pieces: number): Promise<Buffer> {
  const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  const count = Math.min(pieces, Math.floor(data.length / PARALLEL_PIECE_MIN));
  if (crc32 === undefined || count < 2) return gzCompressSync(data, level);
  const size = Math.ceil(data.length / count);
  const deflated = Array.from({ length: count }, (_, i) => {
    const start = i * size;
    const last = i === count - 1;
    const options: zlib.ZlibOptions = {
      ...gzOptions(level),
      ...(last ? {} : { finishFlush: zlib.constants.Z_SYNC_FLUSH }),
      ...(i > 0 ? { dictionary: data.subarray(start - WINDOW, start) } : {}),
    };
    return new Promise<Buffer>((resolve, reject) =>
      zlib.deflateRaw(data.subarray(start, last ? data.length : start + size), options, (e, out) => (e ? reject(gzError(e)) : resolve(out))),
    );
  });
  // the checksum is computed here while the pool compresses
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([gzipHeader(level), ...(await Promise.all(deflated)), trailer]);
}

/** The 10-byte header zlib writes for gzip: no name, mtime 0, OS 3 (Unix), XFL from the level as zlib sets it. */
function gzipHeader(level: number): Buffer {
  const xfl = level === 9 ? 2 : level < 2 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

export function gzDecompressSync(data: Buffer): Buffer {
  if (data.length === 0) throw eofError();
  try {
    return zlib.gunzipSync(data);
  } catch (e) {
    throw gzError(e);
  }
}
