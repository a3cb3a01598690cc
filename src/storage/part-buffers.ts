/**
 * Buffers for the parts of multipart uploads, kept from one part and one upload to the next.
 *
 * An upload gathers a part from the chunks its source yields, keeps it while the part is on its
 * way and drops it once the store has it. Held that long, those chunks outlive V8's young
 * generation, and once dropped they are freed only by a full collection, which V8 starts when tens
 * of MB of such memory are dead. Copied into a part buffer that is used again, the chunks die young
 * and the parts make no garbage at all. A one-process S3 backup of the profiling cluster (lz4)
 * peaked at 119-126 MiB without the pool, 99-101 MiB when a full collection was forced after each
 * part (0.6 s more CPU), and 110-119 MiB with the pool (no more CPU). At process-max 4: 160 MiB
 * against 230 before the pool and paced writes (http1.ts).
 *
 * The pool holds at most as many buffers of a size as were in use at once: a buffer comes back
 * only from an upload that took it. Each thread has its own pool.
 */
export class PartBuffers {
  private readonly free = new Map<number, Buffer[]>();
  /** Buffers this pool has allocated, for tests and for the memory notes above. */
  allocated = 0;

  /** A buffer of `size` bytes with unspecified contents: a returned one, or a new one. */
  take(size: number): Buffer {
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) return reused;
    this.allocated++;
    // not from Node's shared slab: a part buffer must own its memory
    return Buffer.allocUnsafeSlow(size);
  }

  /** Buffers of `size` bytes waiting to be taken again. */
  idle(size: number): number {
    return this.free.get(size)?.length ?? 0;
  }

  /**
   * Returns a buffer from `take` once nothing reads it any more: after the request that sent it
   * has its answer, never while a socket may still be writing it.
   */
  give(buf: Buffer): void {
    const list = this.free.get(buf.length);
    if (list === undefined) this.free.set(buf.length, [buf]);
    else list.push(buf);
  }
}

/** This thread's pool. */
export const partBuffers = new PartBuffers();
