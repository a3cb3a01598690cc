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


export function gzError(e: unknown): Error {
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
  const crc32 = zlibCrc32();
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
  const trailer = gzipTrailer(crc32(data), data.length);
  return Buffer.concat([gzipHeader(level), ...(await Promise.all(deflated)), trailer]);
}

function zlibCrc32(): ((data: Uint8Array, value?: number) => number) | undefined {
  return (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
}

/** Whether gzCompressPieces can run here; otherwise compress with one gzip stream. */
export function gzPiecesAvailable(): boolean {
  return zlibCrc32() !== undefined;
}

/** Input bytes per piece of gzCompressPieces. */
const STREAM_PIECE = 1024 * 1024;

/**
 * gzip of a stream compressed `inFlight` pieces at a time on libuv's thread pool, for one large file
 * that a gzip stream would compress on one thread alone. Each piece of about 1 MiB goes to one of
 * `inFlight` raw deflate streams and ends with a full flush: byte-aligned, and nothing after it
 * refers to anything before, so the pieces of different streams join in input order into one
 * deflate stream. An empty final block, the CRC-32 and the size close the single gzip member (as
 * pigz does; the output is a few bytes per piece larger than one stream's). One deflate stream per
 * slot, not per piece: a deflate state released only with its wrapper object grew a 134 MB file's
 * compression by 80 MB of dead states. Needs zlib.crc32 (Node 20.15 or later): see gzPiecesAvailable.
 */
export async function* gzCompressPieces(input: AsyncIterable<Buffer>, level: number, inFlight: number): AsyncGenerator<Buffer> {
  const crc32 = zlibCrc32();
  if (crc32 === undefined) throw err('AssertError', 'gz pieces need zlib.crc32 (Node 20.15 or later)');
  const slots = Array.from({ length: Math.max(1, inFlight) }, () => new DeflateSlot(level));
  try {
    yield gzipHeader(level);
    let crc = 0;
    let total = 0;
    let parts: Buffer[] = [];
    let length = 0;
    let next = 0;
    const queue: Promise<Buffer>[] = [];
    const start = (): void => {
      // the slot's previous piece was taken off the queue before this one could start
      queue.push(slots[next++ % slots.length]!.compress(parts, length));
      parts = [];
      length = 0;
    };
    for await (const chunk of input) {
      crc = crc32(chunk, crc);
      total += chunk.length;
      parts.push(chunk);
      length += chunk.length;
      if (length < STREAM_PIECE) continue;
      if (queue.length >= slots.length) yield await queue.shift()!;
      start();
    }
    if (length > 0) {
      if (queue.length >= slots.length) yield await queue.shift()!;
      start();
    }
    while (queue.length > 0) yield await queue.shift()!;
    // an empty final block with fixed codes, then the trailer
    yield Buffer.concat([Buffer.from([0x03, 0x00]), gzipTrailer(crc, total)]);
  } finally {
    for (const slot of slots) slot.close();
  }
}

/**
 * One raw deflate stream compressing one piece at a time, each ending with a full flush. A piece is
 * copied into the slot's own buffer, so the chunks it came from die young: held until compressed,
 * they outlived two scavenges and piled up in the old generation (60 MB more at peak).
 */
class DeflateSlot {
  private readonly stream: zlib.DeflateRaw;
  private input = Buffer.alloc(0);
  private out: Buffer[] = [];
  private failure: Error | undefined;

  constructor(level: number) {
    this.stream = zlib.createDeflateRaw(gzOptions(level));
    // flowing: zlib pushes a piece's output before it calls the flush back
    this.stream.on('data', (c: Buffer) => this.out.push(c));
    this.stream.on('error', (e) => (this.failure ??= gzError(e)));
  }

  compress(parts: readonly Buffer[], length: number): Promise<Buffer> {
    if (this.input.length < length) this.input = Buffer.allocUnsafeSlow(length);
    let at = 0;
    for (const p of parts) at += p.copy(this.input, at);
    const piece = this.input.subarray(0, length);
    const done = new Promise<Buffer>((resolve, reject) => {
      this.stream.write(piece);
      this.stream.flush(zlib.constants.Z_FULL_FLUSH, (e?: Error | null) => {
        if (e) this.failure ??= gzError(e);
        if (this.failure !== undefined) return reject(this.failure);
        const out = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
        this.out = [];
        resolve(out);
      });
    });
    // awaited in order; one failing while an earlier piece is awaited must not go unhandled
    done.catch(() => undefined);
    return done;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** The 8-byte gzip trailer: CRC-32 and the input size modulo 2^32, both little-endian. */
function gzipTrailer(crc: number, size: number): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  return trailer;
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
