/** FIFO of buffers that hands out exact byte counts, for decoders that parse framed input. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Copy of the first `n` bytes without consuming them (n must be <= length). */
  peek(n: number): Buffer {
    return this.read(n, false);
  }

  /** Removes and returns `n` bytes (n must be <= length); avoids copying when one chunk suffices. */
  take(n: number): Buffer {
    return this.read(n, true);
  }

  private read(n: number, consume: boolean): Buffer {
    if (n > this.length) throw new RangeError(`byte queue holds ${this.length} bytes, ${n} requested`);
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      if (consume) this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let index = 0;
    let offset = this.head;
    while (filled < n) {
      const c = this.chunks[index++]!;
      const part = Math.min(c.length - offset, n - filled);
      c.copy(out, filled, offset, offset + part);
      filled += part;
      offset = 0;
    }
    if (consume) this.advance(n);
    return out;
  }

  private advance(n: number): void {
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const left = c.length - this.head;
      if (n < left) {
        this.head += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
  }
}
