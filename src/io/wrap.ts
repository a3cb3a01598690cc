import { Duplex, type Transform } from 'node:stream';

export interface WrapOptions {
  /** Turns the inner stream's error into the one the caller should see. */
  mapError(e: Error): Error;
  /** Called at end of input with the number of bytes written; may return an error to raise instead. */
  checkEnd?(bytesIn: number): Error | undefined;
}

/**
 * Wraps a library Transform so its errors are translated and end-of-input rules can be enforced,
 * while keeping backpressure in both directions.
 */
export class WrappedStream extends Duplex {
  private bytesIn = 0;

  constructor(
    private readonly inner: Transform,
    private readonly opts: WrapOptions,
  ) {
    super();
    inner.on('data', (d: Buffer) => {
      if (!this.push(d)) inner.pause();
    });
    inner.on('error', (e: Error) => this.destroy(opts.mapError(e)));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.bytesIn += chunk.length;
    if (this.inner.write(chunk)) cb();
    else this.inner.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    const early = this.opts.checkEnd?.(this.bytesIn);
    if (early !== undefined) return cb(early);
    this.inner.once('end', () => {
      this.push(null);
      cb();
    });
    this.inner.end();
  }

  override _read(): void {
    this.inner.resume();
  }

  override _destroy(error: Error | null, cb: (e: Error | null) => void): void {
    this.inner.destroy();
    cb(error);
  }
}
