import { eofError, type AsyncIntoCodec, type Codec } from './codec.js';
import { gzError } from './gz.js';
import { loadAddon } from './native-addon.js';

/**
 * The optional native gzip codec (native/gz.c, on the zlib inside node itself), built into
 * dist/gz.node when the build machine has Node's headers and a C compiler. It runs in the calling
 * thread, where node:zlib's stream sends every 64 KiB to libuv's pool and back: in the worker
 * threads of a restore or backup that round trip cost more CPU than the codec. The decoder inflates
 * into a buffer the caller reuses, with the stream's rules (gzip only, one member after another,
 * zero padding ignored) and errors; the encoder writes the stream's bytes exactly. `stepInto` runs
 * one such step on the pool instead, in 1 MiB pieces, for a restore's large files (restore/file.ts).
 * `PGBR_GZ_NATIVE=0` turns it off.
 */
interface GzAddon {
  create(): unknown;
  /** Inflates chunk[offset..] into `out`; returns bytes written, state[0] = input consumed, state[1] = 1 if a member just ended. */
  into(handle: unknown, chunk: Buffer, offset: number, out: Buffer, state: Uint32Array): number;
  /** `into` on libuv's pool: callback(error, written) with `state` set; the handle is busy until then. */
  intoAsync(
    handle: unknown, chunk: Buffer, offset: number, out: Buffer, state: Uint32Array,
    callback: (error: Error | null, written: number) => void,
  ): void;
  free(handle: unknown): void;
  deflaterCreate(level: number): unknown;
  deflaterUpdate(handle: unknown, chunk: Buffer): Buffer;
  deflaterEnd(handle: unknown): Buffer;
}

let loaded: { addon: GzAddon | undefined } | undefined;

/** The addon, loaded on first use; undefined without it. */
export function gzAddon(): GzAddon | undefined {
  return (loaded ??= { addon: process.env.PGBR_GZ_NATIVE === '0' ? undefined : loadAddon<GzAddon>('gz.node') }).addon;
}

/** Output piece size of `update`, which allocates: node:zlib's stream uses the same. */
const UPDATE_OUT = 64 * 1024;

export class NativeGzDecoder implements AsyncIntoCodec {
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

  stepInto(chunk: Buffer, offset: number, out: Buffer): Promise<{ written: number; consumed: number }> {
    return new Promise((resolve, reject) => {
      try {
        this.addon.intoAsync(this.handle, chunk, offset, out, this.state, (error, written) => {
          if (error !== null) reject(this.failed(error));
          else resolve({ written: this.stepped(written), consumed: this.state[0]! });
        });
      } catch (e) {
        reject(this.failed(e));
      }
    });
  }

  private step(chunk: Buffer, offset: number, out: Buffer): number {
    try {
      return this.stepped(this.addon.into(this.handle, chunk, offset, out, this.state));
    } catch (e) {
      throw this.failed(e);
    }
  }

  /** A step's outcome once `state` is set: whether the last member seen has ended. */
  private stepped(written: number): number {
    this.ended = this.state[1] === 1;
    return written;
  }

  /** A failed step: the addon has released the state (or finds it already released), the error is pgBackRest's. */
  private failed(e: unknown): Error {
    this.free();
    return gzError(e);
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

export class NativeGzEncoder implements Codec {
  private readonly handle: unknown;

  constructor(private readonly addon: GzAddon, level: number) {
    this.handle = addon.deflaterCreate(level);
  }

  update(chunk: Buffer): Buffer[] {
    const out = this.call(() => this.addon.deflaterUpdate(this.handle, chunk));
    return out.length === 0 ? [] : [out];
  }

  finish(): Buffer[] {
    return [this.call(() => this.addon.deflaterEnd(this.handle))];
  }

  private call(f: () => Buffer): Buffer {
    try {
      return f();
    } catch (e) {
      throw gzError(e);
    }
  }
}
