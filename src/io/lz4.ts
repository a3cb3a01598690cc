import { createRequire } from 'node:module';
import { ByteQueue } from './byte-queue.js';
import { eofError, type Codec } from './codec.js';
import { Xxh32, xxh32 } from './xxhash32.js';
import { lz4Addon, lz4FormatError, NativeLz4Decoder, NativeLz4Encoder } from './lz4-native.js';

/**
 * LZ4 frame format as pgBackRest writes it with LZ4F defaults: 64 KiB blocks, linked-block flag,
 * content checksum, no content size. Block (de)compression is native (lz4-napi); the frame layer is
 * here. Blocks are compressed independently, which a linked-block frame permits; the decoder
 * supports back-references into the previous 64 KiB so frames from the lz4 library decode too.
 */
interface Lz4Native {
  compressSync(data: Buffer, dict?: Buffer | null): Buffer;
  uncompressSync(data: Uint8Array, dict?: Uint8Array | null): Buffer;
}
// Loaded on first use: a command that compresses with another type (archive-push's gz) never pays for it.
let napi: Lz4Native | undefined;
const native = (): Lz4Native => (napi ??= createRequire(import.meta.url)('lz4-napi') as Lz4Native);

const MAGIC = 0x184d2204;
const BLOCK_SIZE = 65536;
const HISTORY = 65536;
const FLG_LINKED_CHECKSUM = 0x44;
const BD_64K = 0x40;
const UNCOMPRESSED_BIT = 0x80000000;
const BLOCK_MAX: Record<number, number> = { 4: 65536, 5: 262144, 6: 1048576, 7: 4194304 };

/** LZ4F error codes as pgBackRest reports them: `lz4 error: [-N] ERROR_name`. */
const LZ4F_ERRORS = {
  maxBlockSize_invalid: 2,
  headerVersion_wrong: 6,
  reservedFlag_set: 8,
  frameType_unknown: 13,
  decompressionFailed: 16,
  headerChecksum_invalid: 17,
  contentChecksum_invalid: 18,
} as const;

function lz4Error(name: keyof typeof LZ4F_ERRORS): Error {
  return lz4FormatError(-LZ4F_ERRORS[name], `ERROR_${name}`);
}

function u32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(value >>> 0, 0);
  return b;
}

class FrameLz4Encoder implements Codec {
  private readonly pending = Buffer.allocUnsafe(BLOCK_SIZE);
  private pendingLen = 0;
  private started = false;
  private readonly checksum = new Xxh32();

  update(chunk: Buffer): Buffer[] {
    const out: Buffer[] = this.header();
    this.checksum.update(chunk);
    let i = 0;
    if (this.pendingLen > 0) {
      i = chunk.copy(this.pending, this.pendingLen, 0, BLOCK_SIZE - this.pendingLen);
      this.pendingLen += i;
      if (this.pendingLen < BLOCK_SIZE) return out;
      this.block(this.pending, out);
      this.pendingLen = 0;
    }
    for (; i + BLOCK_SIZE <= chunk.length; i += BLOCK_SIZE) this.block(chunk.subarray(i, i + BLOCK_SIZE), out);
    this.pendingLen = chunk.copy(this.pending, 0, i);
    return out;
  }

  finish(): Buffer[] {
    const out = this.header();
    if (this.pendingLen > 0) this.block(this.pending.subarray(0, this.pendingLen), out);
    out.push(u32(0), u32(this.checksum.digest()));
    return out;
  }

  private header(): Buffer[] {
    if (this.started) return [];
    this.started = true;
    const descriptor = Buffer.from([FLG_LINKED_CHECKSUM, BD_64K]);
    return [u32(MAGIC), descriptor, Buffer.from([(xxh32(descriptor) >>> 8) & 0xff])];
  }

  private block(data: Buffer, out: Buffer[]): void {
    // lz4-napi prefixes the block with its uncompressed size; the frame format does not want it
    const compressed = native().compressSync(data).subarray(4);
    if (compressed.length < data.length) {
      out.push(u32(compressed.length), compressed);
    } else {
      out.push(u32((data.length | UNCOMPRESSED_BIT) >>> 0), Buffer.from(data));
    }
  }
}

interface FrameInfo {
  blockMax: number;
  linked: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
}

class FrameLz4Decoder implements Codec {
  private readonly input = new ByteQueue();
  private frame: FrameInfo | undefined;
  private frames = 0;
  private history: Buffer = Buffer.alloc(0);
  private checksum = new Xxh32();

  *update(chunk: Buffer): Generator<Buffer> {
    this.input.push(chunk);
    for (;;) {
      if (this.frame === undefined) {
        if (!this.readHeader()) return;
      } else {
        const block = this.readBlock();
        if (block === undefined) return;
        if (block !== null) yield block;
      }
    }
  }

  finish(): Buffer[] {
    if (this.frame !== undefined || this.frames === 0 || this.input.length > 0) {
      throw eofError();
    }
    return [];
  }

  /** Parses a frame header; false when more input is needed. */
  private readHeader(): boolean {
    if (this.input.length < 7) return false;
    const start = this.input.peek(7);
    if (start.readUInt32LE(0) !== MAGIC) throw lz4Error('frameType_unknown');
    const flg = start[4]!;
    if (flg >>> 6 !== 1) throw lz4Error('headerVersion_wrong');
    if ((flg & 0x02) !== 0 || (start[5]! & 0x8f) !== 0) throw lz4Error('reservedFlag_set');
    const blockMax = BLOCK_MAX[(start[5]! >>> 4) & 7];
    if (blockMax === undefined) throw lz4Error('maxBlockSize_invalid');
    const headerLen = 7 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
    if (this.input.length < headerLen) return false;
    const header = this.input.take(headerLen);
    if (((xxh32(header.subarray(4, headerLen - 1)) >>> 8) & 0xff) !== header[headerLen - 1]) {
      throw lz4Error('headerChecksum_invalid');
    }
    this.frame = { blockMax, linked: (flg & 0x20) === 0, blockChecksum: (flg & 0x10) !== 0, contentChecksum: (flg & 0x04) !== 0 };
    this.history = Buffer.alloc(0);
    this.checksum = new Xxh32();
    return true;
  }

  /** Decodes one block: its bytes, null for the end mark, undefined when more input is needed. */
  private readBlock(): Buffer | null | undefined {
    const frame = this.frame!;
    if (this.input.length < 4) return undefined;
    const word = this.input.peek(4).readUInt32LE(0);
    if (word === 0) return this.readEnd(frame);
    const size = word & 0x7fffffff;
    if (size > frame.blockMax) throw lz4Error('maxBlockSize_invalid');
    const need = 4 + size + (frame.blockChecksum ? 4 : 0);
    if (this.input.length < need) return undefined;
    this.input.take(4);
    const body = this.input.take(size);
    if (frame.blockChecksum) this.input.take(4);
    const data = word & UNCOMPRESSED_BIT ? Buffer.from(body) : this.decodeBlock(body, frame);
    this.checksum.update(data);
    if (frame.linked) this.remember(data);
    return data;
  }

  private readEnd(frame: FrameInfo): null | undefined {
    if (this.input.length < 4 + (frame.contentChecksum ? 4 : 0)) return undefined;
    this.input.take(4);
    if (frame.contentChecksum && this.input.take(4).readUInt32LE(0) !== this.checksum.digest()) {
      throw lz4Error('contentChecksum_invalid');
    }
    this.frame = undefined;
    this.frames++;
    return null;
  }

  private decodeBlock(body: Buffer, frame: FrameInfo): Buffer {
    const prefixed = Buffer.allocUnsafe(body.length + 4);
    prefixed.writeUInt32LE(frame.blockMax, 0);
    body.copy(prefixed, 4);
    // loaded outside the try: a missing lz4-napi is not a corrupt block
    const codec = native();
    try {
      return codec.uncompressSync(prefixed, frame.linked && this.history.length > 0 ? this.history : null);
    } catch {
      throw lz4Error('decompressionFailed');
    }
  }

  private remember(data: Buffer): void {
    if (data.length >= HISTORY) this.history = data.subarray(data.length - HISTORY);
    else this.history = Buffer.concat([this.history, data]).subarray(-HISTORY);
  }
}

/** The LZ4 frame encoder: native liblz4 when built (see lz4-native.ts), else lz4-napi blocks framed here (level ignored). */
export function lz4Encoder(level: number, impl: 'auto' | 'frame' = 'auto'): Codec {
  const addon = impl === 'auto' ? lz4Addon() : undefined;
  return addon !== undefined ? new NativeLz4Encoder(addon, level) : new FrameLz4Encoder();
}

/**
 * The LZ4 frame decoder. `checked`: the caller compares the output with a SHA-1 of its own (a
 * restore), so the native decoder leaves out the frames' xxHash checksums, which cost as much CPU
 * as decoding (216 MB: 80 ms to decode, 170 ms with them). Broken frames still fail to decode.
 */
export function lz4Decoder(impl: 'auto' | 'frame' = 'auto', checked = false): Codec {
  const addon = impl === 'auto' ? lz4Addon() : undefined;
  return addon !== undefined ? new NativeLz4Decoder(addon, checked) : new FrameLz4Decoder();
}
