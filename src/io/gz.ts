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

export function gzDecompressSync(data: Buffer): Buffer {
  if (data.length === 0) throw eofError();
  try {
    return zlib.gunzipSync(data);
  } catch (e) {
    throw gzError(e);
  }
}
