import type { Readable } from 'node:stream';
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

/** A whole (small) stream in one buffer; string chunks are taken as UTF-8. */
export async function readAll(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}
