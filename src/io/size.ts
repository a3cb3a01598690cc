import { Transform, type TransformCallback } from 'node:stream';

/** Counts the bytes that pass through; `size` is final once the stream has ended. */
export class SizeFilter extends Transform {
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    cb(null, chunk);
  }
}
