import { Writable } from 'node:stream';

/** Writable that keeps everything written, for small results (info files, tests). */
export class BufferSink extends Writable {
  private readonly chunks: Buffer[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.chunks.push(chunk);
    cb();
  }

  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
