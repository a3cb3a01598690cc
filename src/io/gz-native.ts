import { eofError, type IntoCodec } from './codec.js';
import { gzError } from './gz.js';
import { loadAddon } from './native-addon.js';

/**
 * The optional native gzip decoder (native/gz.c, on the zlib inside node itself), built into
 * dist/gz.node when the build machine has Node's headers and a C compiler. It inflates in the
 * calling thread into a buffer the caller reuses, where node:zlib's stream sends every 64 KiB to
 * libuv's pool and back: in a restore's worker threads that round trip cost more CPU than the
 * inflate. Same decoding rules as the stream (gzip only, one member after another, zero padding
 * ignored) and the same errors. `PGBR_GZ_NATIVE=0` turns it off.
 */
interface GzAddon {
  create(): unknown;
  /** Inflates chunk[offset..] into `out`; returns bytes written, state[0] = input consumed, state[1] = 1 if a member just ended. */
  into(handle: unknown, chunk: Buffer, offset: number, out: Buffer, state: Uint32Array): number;
  free(handle: unknown): void;
}

let loaded: { addon: GzAddon | undefined } | undefined;

/** The addon, loaded on first use; undefined without it. */
export function gzAddon(): GzAddon | undefined {
  return (loaded ??= { addon: process.env.PGBR_GZ_NATIVE === '0' ? undefined : loadAddon<GzAddon>('gz.node') }).addon;
}

/** Output piece size of `update`, which allocates: node:zlib's stream uses the same. */
const UPDATE_OUT = 64 * 1024;

export class NativeGzDecoder implements IntoCodec {
  private readonly handle: unknown;
  private ended = false;
  private freed = false;
  private readonly state = new Uint32Array(2);

  constructor(private readonly addon: GzAddon) {
    this.handle = addon.create();
  }

  *update(chunk: Buffer): Generator<Buffer> {
    // a new buffer for each piece: the consumer keeps the pieces
    for (let offset = 0; ; ) {
      const out = Buffer.allocUnsafe(UPDATE_OUT);
      const written = this.step(chunk, offset, out);
      offset += this.state[0]!;
      if (written > 0) yield written < out.length ? out.subarray(0, written) : out;
      if (written < out.length) return;
    }
  }

  /** As `update`, without allocating: each piece is a view of `out`, valid until the next step. */
  *updateInto(chunk: Buffer, out: Buffer): Generator<Buffer> {
    for (let offset = 0; ; ) {
      const written = this.step(chunk, offset, out);
      offset += this.state[0]!;
      if (written > 0) yield out.subarray(0, written);
      // out not filled: all input is consumed (or waits for more) and nothing is pending in zlib
      if (written < out.length) return;
    }
  }

  private step(chunk: Buffer, offset: number, out: Buffer): number {
    let written: number;
    try {
      written = this.addon.into(this.handle, chunk, offset, out, this.state);
    } catch (e) {
      this.free();
      throw gzError(e);
    }
    this.ended = this.state[1] === 1;
    return written;
  }

  finish(): Buffer[] {
    this.free();
    if (!this.ended) throw eofError();
    return [];
  }

  private free(): void {
    if (this.freed) return;
    this.freed = true;
    this.addon.free(this.handle);
  }
}
