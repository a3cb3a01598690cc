import { Transform, type TransformCallback } from 'node:stream';
import { PAGE_SIZE, SEGMENT_PAGES, type PageChecksumFilter } from '../io/page-checksum.js';
import type { StorageDriver } from '../storage/storage.js';
import { readAll } from '../io/buffer-sink.js';
import { localPath } from './file-stream.js';

/**
 * Page checksum re-read rule (spec checksums.md §4.1): a page that fails validation is read again
 * from disk after the copy; if its bytes changed, PostgreSQL was writing it and it is not an error.
 * This needs the bytes the copy saw, which the checksum filter does not keep.
 */

/**
 * Pass-through placed directly after a PageChecksumFilter. The filter validates every page that
 * completes within a chunk before passing the chunk on, so when a chunk arrives here the pages
 * newly added to `failedBlocks` end inside it (or in the carried tail of the previous chunks).
 */
export class FailedPageCapture extends Transform {
  /** Block number → the page as it was copied. */
  readonly pages = new Map<number, Buffer>();
  private readonly firstBlock: number;
  /** Offset in the file of the first byte of `tail`. */
  private tailOffset = 0;
  private tail = Buffer.alloc(0);
  private seen = 0;

  constructor(
    private readonly checker: PageChecksumFilter,
    segmentNo: number,
  ) {
    super();
    this.firstBlock = segmentNo * SEGMENT_PAGES;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.capture(chunk);
    cb(null, chunk);
  }

  /** Keeps the newly failed pages `chunk` ends; call right after the checker has seen `chunk`. */
  capture(chunk: Buffer): void {
    const failed = this.checker.failedBlocks;
    const window = this.pages.size < failed.length ? Buffer.concat([this.tail, chunk]) : undefined;
    for (let i = this.pages.size; window !== undefined && i < failed.length; i++) {
      const block = failed[i]!;
      const start = (block - this.firstBlock) * PAGE_SIZE - this.tailOffset;
      this.pages.set(block, Buffer.from(window.subarray(start, start + PAGE_SIZE)));
    }
    this.seen += chunk.length;
    this.keepTail(window ?? chunk, window === undefined);
  }

  /** Keeps the last partial page, the only bytes a later failure can still need from the past. */
  private keepTail(data: Buffer, dataIsChunkOnly: boolean): void {
    const keep = this.seen % PAGE_SIZE;
    const joined = dataIsChunkOnly && data.length < keep ? Buffer.concat([this.tail, data]) : data;
    this.tail = Buffer.from(joined.subarray(joined.length - keep));
    this.tailOffset = this.seen - keep;
  }
}

/**
 * Reads each captured page again from `file` and returns the blocks whose bytes are unchanged,
 * ascending: those are the real checksum errors.
 */
export async function stillFailingPages(
  pg: StorageDriver,
  file: string,
  capture: FailedPageCapture,
  segmentNo: number,
): Promise<number[]> {
  const out: number[] = [];
  for (const [block, copied] of capture.pages) {
    const offset = (block - segmentNo * SEGMENT_PAGES) * PAGE_SIZE;
    const stream = await pg.read(localPath(file), { ignoreMissing: true, offset, limit: PAGE_SIZE });
    const now = stream === null ? undefined : await readAll(stream);
    if (now !== undefined && now.equals(copied)) out.push(block);
  }
  return out.sort((a, b) => a - b);
}
