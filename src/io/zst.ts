import { createRequire } from 'node:module';
import { err } from '../error/error.js';
import { eofError, type Codec, type IntoCodec } from './codec.js';

/**
 * Zstandard frames through the zstd-napi binding of libzstd: one frame per stream, no checksum and
 * no content size, as pgBackRest's ZSTD_initCStream(level) writes them.
 */
type StreamResult = [number, number, number];
interface ZstdBinding {
  CCtx: new () => {
    setParameter(param: number, value: number): void;
    compressStream2(dst: Uint8Array, src: Uint8Array, endOp: number): StreamResult;
  };
  DCtx: new () => { decompressStream(dst: Uint8Array, src: Uint8Array): StreamResult; reset(directive: number): void };
  CParameter: Record<string, number>;
  EndDirective: Record<string, number>;
  ResetDirective: Record<string, number>;
  cStreamOutSize(): number;
  dStreamOutSize(): number;
}
// Loaded on first use: a command that compresses with another type never pays for it.
let loaded: ZstdBinding | undefined;
const zstd = (): ZstdBinding => (loaded ??= createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding);

/** libzstd error names mapped to their ZSTD_ErrorCode, to print pgBackRest's `zst error: [-N] name`. */
const ZSTD_ERROR_CODES: Record<string, number> = {
  'Unknown frame descriptor': 10,
  'Version not supported': 12,
  'Unsupported frame parameter': 14,
  'Frame requires too much memory for decoding': 16,
  'Data corruption detected': 20,
  "Restored data doesn't match checksum": 22,
};

function zstError(e: unknown): Error {
  const name = e instanceof Error ? e.message : String(e);
  return err('FormatError', `zst error: [-${ZSTD_ERROR_CODES[name] ?? 1}] ${name}`, { cause: e });
}

type CCtx = InstanceType<ZstdBinding['CCtx']>;

/**
 * Compression contexts are large native objects: a backup compresses thousands of small files, and
 * a new context per file mostly feeds the garbage collector. A context that finished its frame
 * starts the next one cleanly with the same (sticky) parameters, so finished ones are reused.
 */
const freeContexts = new Map<string, CCtx[]>();
const FREE_MAX = 8;

/** Bytes per libzstd job when a context compresses on several threads (see takeContext). */
const MT_JOB_SIZE = 2 * 1024 * 1024;

/** A free context for `level` and `threads` (both sticky parameters, so both key the pool), or a new one. */
function takeContext(level: number, threads: number): CCtx {
  const ctx = freeContexts.get(`${level}/${threads}`)?.pop();
  if (ctx !== undefined) return ctx;
  const created = new (zstd().CCtx)();
  created.setParameter(zstd().CParameter['compressionLevel']!, level);
  created.setParameter(zstd().CParameter['contentSizeFlag']!, 0);
  created.setParameter(zstd().CParameter['checksumFlag']!, 0);
  if (threads > 1) {
    created.setParameter(zstd().CParameter['nbWorkers']!, threads);
    // libzstd's default job at level 3 is 8 MiB, and its buffers grew a context by 51 MB; 2 MiB
    // jobs need 16 MB and compressed a 134 MB file as small and nearly as fast on two threads.
    created.setParameter(zstd().CParameter['jobSize']!, MT_JOB_SIZE);
  }
  return created;
}

function giveContext(level: number, threads: number, ctx: CCtx): void {
  const key = `${level}/${threads}`;
  const free = freeContexts.get(key) ?? [];
  if (free.length < FREE_MAX) free.push(ctx);
  freeContexts.set(key, free);
}

export class ZstEncoder implements Codec {
  private cctx: CCtx | undefined;
  private readonly outSize = zstd().cStreamOutSize();
  /** Scratch output; what was produced is copied out, so one buffer serves the whole stream. */
  private scratch: Buffer | undefined;

  /**
   * `threads` above 1 compresses on that many libzstd threads (one frame still, of several blocks
   * any zstd decoder reads): for one large file, which would otherwise keep one core busy alone
   * after the other files are done. The calling thread then only hands input over and collects output.
   */
  constructor(
    private readonly level: number,
    private readonly threads = 1,
  ) {
    this.cctx = takeContext(level, threads);
  }

  update(chunk: Buffer): Buffer[] {
    return this.run(chunk, zstd().EndDirective['continue']!);
  }

  finish(): Buffer[] {
    const out = this.run(Buffer.alloc(0), zstd().EndDirective['end']!);
    giveContext(this.level, this.threads, this.cctx!);
    this.cctx = undefined;
    return out;
  }

  private run(src: Buffer, endOp: number): Buffer[] {
    const cctx = this.cctx;
    if (cctx === undefined) throw err('AssertError', 'zst encoder used after finish');
    const out: Buffer[] = [];
    const isEnd = endOp === zstd().EndDirective['end'];
    this.scratch ??= Buffer.allocUnsafe(this.outSize);
    const dst = this.scratch;
    for (;;) {
      const [remaining, produced, consumed] = cctx.compressStream2(dst, src, endOp);
      if (produced > 0) out.push(Buffer.from(dst.subarray(0, produced)));
      src = src.subarray(consumed);
      if (src.length === 0 && (isEnd ? remaining === 0 : produced < dst.length)) return out;
    }
  }
}

type DCtx = InstanceType<ZstdBinding['DCtx']>;

/**
 * Decompression contexts, reused the same way. Each holds its window (2 MB and more) and tells V8
 * so: a restore that made a context per file reported ~2 MB of external memory per file, which
 * set off a full garbage collection about every 30 files (37 in a 1,000-file restore), and kept
 * the windows alive until then. A context comes back only from a frame that ended cleanly, and is
 * reset before its next use all the same.
 */
const freeDecoders: DCtx[] = [];

export class ZstDecoder implements IntoCodec {
  private dctx: DCtx | undefined = freeDecoders.pop() ?? new (zstd().DCtx)();
  private readonly outSize = zstd().dStreamOutSize();
  private inFrame = false;
  private seen = false;

  update(chunk: Buffer): Generator<Buffer> {
    return this.decode(chunk, () => Buffer.allocUnsafe(this.outSize));
  }

  /** As `update`, without allocating: each piece is a view of `out`, valid until the next step. */
  updateInto(chunk: Buffer, out: Buffer): Generator<Buffer> {
    return this.decode(chunk, () => out);
  }

  private *decode(chunk: Buffer, output: () => Buffer): Generator<Buffer> {
    const dctx = this.dctx;
    if (dctx === undefined) throw err('AssertError', 'zst decoder used after finish');
    let src = chunk;
    if (src.length > 0) this.seen = true;
    while (src.length > 0 || this.inFrame) {
      const dst = output();
      let result: StreamResult;
      try {
        result = dctx.decompressStream(dst, src);
      } catch (e) {
        throw zstError(e);
      }
      const [hint, produced, consumed] = result;
      src = src.subarray(consumed);
      this.inFrame = hint !== 0;
      if (produced > 0) yield dst.subarray(0, produced);
      // output buffer not full and input used up: the decoder needs more input
      if (src.length === 0 && produced < dst.length) break;
    }
  }

  finish(): Buffer[] {
    if (this.inFrame || !this.seen) throw eofError();
    const dctx = this.dctx;
    this.dctx = undefined;
    if (dctx !== undefined && freeDecoders.length < FREE_MAX) {
      dctx.reset(zstd().ResetDirective['sessionOnly']!);
      freeDecoders.push(dctx);
    }
    return [];
  }
}
