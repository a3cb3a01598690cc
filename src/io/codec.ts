import { Duplex } from 'node:stream';
import { err, type PgbrError } from '../error/error.js';

/** Compressed input that ends before its stream does: pgBackRest's text for every compression type. */
export function eofError(cause?: unknown): PgbrError {
  return err('FormatError', 'unexpected eof in compressed data', cause === undefined ? undefined : { cause });
}

/**
 * A synchronous incremental codec: `update` consumes input and yields output, `finish` ends the
 * stream (and throws if the input was incomplete). Output is lazy so a highly compressed chunk can
 * expand without being held in memory at once. One implementation serves whole buffers and streams.
 */
export interface Codec {
  update(chunk: Buffer): Iterable<Buffer>;
  finish(): Iterable<Buffer>;
}

/**
 * A decoder that can also write into a buffer its caller reuses (the native lz4 decoder): each
 * piece `updateInto` yields is a view of `out`, overwritten by the iterator's next step.
 */
export interface IntoCodec extends Codec {
  updateInto(chunk: Buffer, out: Buffer): Iterable<Buffer>;
}

/**
 * An IntoCodec whose steps can also run on libuv's pool (the native gz decoder), so that the
 * calling thread deals with one piece while the next is decoded (file-stream.ts pipelinedIntoStage).
 * A step is one turn of `updateInto`: it fills `out` from chunk[offset..] until `out` is full or the
 * input is used up. No other call may be made on the codec until the promise settles; a failed
 * step has released the codec, as a failed `update` does.
 */
export interface AsyncIntoCodec extends IntoCodec {
  stepInto(chunk: Buffer, offset: number, out: Buffer): Promise<{ written: number; consumed: number }>;
}

/** Stream adapter for a Codec that honours backpressure between output buffers. */
export class CodecStream extends Duplex {
  private pending: { iter: Iterator<Buffer>; done: (e?: Error | null) => void } | undefined;

  constructor(private readonly codec: Codec) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.start(() => this.codec.update(chunk), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.start(
      () => this.codec.finish(),
      (e) => {
        if (!e) this.push(null);
        cb(e);
      },
    );
  }

  override _read(): void {
    this.pump();
  }

  private start(step: () => Iterable<Buffer>, done: (e?: Error | null) => void): void {
    try {
      this.pending = { iter: step()[Symbol.iterator](), done };
    } catch (e) {
      done(e as Error);
      return;
    }
    this.pump();
  }

  private pump(): void {
    while (this.pending !== undefined) {
      const { iter, done } = this.pending;
      let next: IteratorResult<Buffer>;
      try {
        next = iter.next();
      } catch (e) {
        this.pending = undefined;
        done(e as Error);
        return;
      }
      if (next.done) {
        this.pending = undefined;
        done();
        return;
      }
      if (!this.push(next.value)) return;
    }
  }
}

export function runCodec(codec: Codec, input: Buffer): Buffer {
  return Buffer.concat([...codec.update(input), ...codec.finish()]);
}
