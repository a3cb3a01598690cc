import { err, type PgbrError } from '../error/error.js';
import { eofError, type Codec, type IntoCodec } from './codec.js';
import { loadAddon } from './native-addon.js';

/**
 * The optional native LZ4 frame codec (native/lz4f.c on the system liblz4, the library pgBackRest
 * uses), built into dist/lz4f.node when the build machine has liblz4's headers. It writes exactly
 * pgBackRest's frames and compresses 1.5 to 3 times faster than lz4-napi blocks plus a JavaScript
 * xxHash. `PGBR_LZ4_NATIVE=0` turns it off; lz4.ts then uses its own frame layer.
 */
interface Lz4fAddon {
  encoderCreate(level: number): unknown;
  encoderUpdate(handle: unknown, chunk: Buffer): Buffer;
  encoderEnd(handle: unknown): Buffer;
  /** skipChecksums: the frames' xxHash checksums are not verified (the caller checks the output). */
  decoderCreate(skipChecksums: boolean): unknown;
  decoderUpdate(handle: unknown, chunk: Buffer): [Buffer, boolean];
  /** Decodes chunk[offset..] into `out`; returns bytes written, state[0] = input consumed, state[1] = 1 if a frame just ended. */
  decoderInto(handle: unknown, chunk: Buffer, offset: number, out: Buffer, state: Uint32Array): number;
  decoderFree(handle: unknown): void;
}

let loaded: { addon: Lz4fAddon | undefined } | undefined;

/** The addon, loaded on first use (commands that never touch lz4 do not load it); undefined without it. */
export function lz4Addon(): Lz4fAddon | undefined {
  return (loaded ??= { addon: process.env.PGBR_LZ4_NATIVE === '0' ? undefined : loadAddon<Lz4fAddon>('lz4f.node') }).addon;
}

/** An LZ4F error as pgBackRest prints it: `lz4 error: [-N] ERROR_name` (both implementations). */
export function lz4FormatError(errno: number, name: string): PgbrError {
  return err('FormatError', `lz4 error: [${errno}] ${name}`);
}

/** The addon's thrown LZ4F error (code = ERROR_name, errno = -N) in that form; anything else as is. */
function mapped(e: unknown): unknown {
  const x = e as { code?: string; errno?: number };
  if (typeof x?.code === 'string' && x.code.startsWith('ERROR_') && typeof x.errno === 'number') return lz4FormatError(x.errno, x.code);
  return e;
}

export class NativeLz4Encoder implements Codec {
  private readonly handle: unknown;

  constructor(private readonly addon: Lz4fAddon, level: number) {
    this.handle = addon.encoderCreate(level);
  }

  update(chunk: Buffer): Buffer[] {
    const out = this.addon.encoderUpdate(this.handle, chunk);
    return out.length === 0 ? [] : [out];
  }

  finish(): Buffer[] {
    return [this.addon.encoderEnd(this.handle)];
  }
}

/** Input is fed in slices so one highly compressed chunk never expands into one huge buffer. */
const DECODE_SLICE = 32 * 1024;

export class NativeLz4Decoder implements IntoCodec {
  private readonly handle: unknown;
  private frameDone = false;
  private any = false;
  private readonly state = new Uint32Array(2);

  constructor(
    private readonly addon: Lz4fAddon,
    skipChecksums = false,
  ) {
    this.handle = addon.decoderCreate(skipChecksums);
  }

  *update(chunk: Buffer): Generator<Buffer> {
    for (let i = 0; i < chunk.length; i += DECODE_SLICE) {
      let out: Buffer;
      try {
        [out, this.frameDone] = this.addon.decoderUpdate(this.handle, chunk.subarray(i, i + DECODE_SLICE));
      } catch (e) {
        this.addon.decoderFree(this.handle);
        throw mapped(e);
      }
      this.any = true;
      if (out.length > 0) yield out;
    }
  }

  /** As `update`, without allocating: each piece is a view of `out`, valid until the next step. */
  *updateInto(chunk: Buffer, out: Buffer): Generator<Buffer> {
    for (let offset = 0; ; ) {
      let written: number;
      try {
        written = this.addon.decoderInto(this.handle, chunk, offset, out, this.state);
      } catch (e) {
        this.addon.decoderFree(this.handle);
        throw mapped(e);
      }
      const used = this.state[0]!;
      // a call without progress says nothing about the frame: the previous answer stands
      if (written === 0 && used === 0) return;
      offset += used;
      this.frameDone = this.state[1] === 1;
      this.any = true;
      if (written > 0) yield out.subarray(0, written);
      // out not filled: all input is consumed and nothing is left buffered in the context
      if (written < out.length && offset >= chunk.length) return;
    }
  }

  finish(): Buffer[] {
    this.addon.decoderFree(this.handle);
    if (!this.any || !this.frameDone) throw eofError();
    return [];
  }
}
