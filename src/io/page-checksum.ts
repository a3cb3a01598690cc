import { Transform, type TransformCallback } from 'node:stream';
import { loadAddon } from './native-addon.js';

/**
 * PostgreSQL data page checksums (storage/checksum_impl.h) and the backup-side validation filter of
 * spec §4.1. Pages are read as native-endian uint32 words, as PostgreSQL does on the same machine.
 */
export const PAGE_SIZE = 8192;
/** Pages per 1 GiB relation segment: block number = segmentNo * this + page index. */
export const SEGMENT_PAGES = 131072;
/** A trailing partial page shorter than this ends validation instead of being counted. */
const PARTIAL_PAGE_MIN = 512;

const N_SUMS = 32;
const FNV_PRIME = 16777619;
// prettier-ignore
const BASE_OFFSETS = new Int32Array([
  0x5b1f36e9, 0xb8525960, 0x02ab50aa, 0x1de66d2a, 0x79ff467a, 0x9bb9f8a3, 0x217e7cd2, 0x83e13d2c,
  0xf8d4474f, 0xe39eb970, 0x42c6ae16, 0x993216fa, 0x7b093b5d, 0x98daff3c, 0xf718902a, 0x0b1c9cdb,
  0xe58f764b, 0x187636bc, 0x5d7b3bb1, 0xe73de7de, 0x92bec979, 0xcca6c0b2, 0x304a0979, 0x85aa43d4,
  0x783125bb, 0x6ca8eaa2, 0xe407eac6, 0x4b5cfc3e, 0x9fbf8c76, 0x15ca20be, 0xf2ca9fd3, 0x959bd756,
]);
const PD_CHECKSUM_WORD = 2;
const sums = new Int32Array(N_SUMS);
const scratch = new Uint32Array(PAGE_SIZE / 4);

function pageWords(page: Uint8Array): Uint32Array {
  if (page.byteOffset % 4 === 0) return new Uint32Array(page.buffer, page.byteOffset, PAGE_SIZE / 4);
  new Uint8Array(scratch.buffer).set(page.subarray(0, PAGE_SIZE));
  return scratch;
}

/** pg_checksum_page(): the checksum PostgreSQL stores in pd_checksum for this page and block. */
export function pageChecksum(page: Uint8Array, blockNo: number): number {
  const words = pageWords(page);
  sums.set(BASE_OFFSETS);
  // The first row of 32 words holds pd_checksum (low half of word 2 on little-endian), taken as zero.
  for (let j = 0; j < N_SUMS; j++) {
    const tmp = sums[j]! ^ (j === PD_CHECKSUM_WORD ? words[j]! & 0xffff0000 : words[j]!);
    sums[j] = Math.imul(tmp, FNV_PRIME) ^ (tmp >>> 17);
  }
  // A fixed inner loop over the 32 sums, without the per-word test, runs about twice as fast.
  for (let i = N_SUMS; i < words.length; i += N_SUMS) {
    for (let j = 0; j < N_SUMS; j++) {
      const tmp = sums[j]! ^ words[i + j]!;
      sums[j] = Math.imul(tmp, FNV_PRIME) ^ (tmp >>> 17);
    }
  }
  let result = 0;
  for (let j = 0; j < N_SUMS; j++) {
    for (let round = 0; round < 2; round++) {
      const tmp = sums[j]!;
      sums[j] = Math.imul(tmp, FNV_PRIME) ^ (tmp >>> 17);
    }
    result ^= sums[j]!;
  }
  return (((result ^ blockNo) >>> 0) % 65535) + 1;
}

function isNewPage(page: Uint8Array): boolean {
  if (page[14] !== 0 || page[15] !== 0) return false;
  for (let i = 0; i < PAGE_SIZE; i++) if (page[i] !== 0) return false;
  return true;
}

/** True if the page is all zeros (new) or its stored pd_checksum matches. */
export function pageValid(page: Uint8Array, blockNo: number): boolean {
  if (isNewPage(page)) return true;
  return (page[8]! | (page[9]! << 8)) === pageChecksum(page, blockNo);
}

/** Validates whole pages; page i is block `firstBlock + i`. Returns the failing block numbers. */
export type CheckPages = (pages: Buffer, firstBlock: number) => number[];

/** The JavaScript CheckPages. */
export const checkPagesJs: CheckPages = (pages, firstBlock) => {
  const failed: number[] = [];
  for (let i = 0; i * PAGE_SIZE < pages.length; i++) {
    if (!pageValid(pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE), firstBlock + i)) failed.push(firstBlock + i);
  }
  return failed;
};

let native: { check: CheckPages | undefined } | undefined;

/**
 * The native CheckPages (native/page-checksum.c, built into dist/ when the build machine has a C
 * compiler), about ten times faster; undefined without it or with `PGBR_PAGE_CHECKSUM_NATIVE=0`.
 */
export function checkPagesNative(): CheckPages | undefined {
  if (native === undefined) {
    const addon = process.env.PGBR_PAGE_CHECKSUM_NATIVE === '0' ? undefined : loadAddon<{ checkPages: CheckPages }>('page-checksum.node');
    native = { check: addon?.checkPages };
  }
  return native.check;
}

/** Segment number from a relation file name's `.N` suffix (`16384.2` → 2), 0 if there is none. */
export function segmentNoOf(fileName: string): number {
  const match = /\.(\d+)$/.exec(fileName);
  return match === null ? 0 : Number(match[1]);
}

/** Ascending block numbers with consecutive runs collapsed: 1,2,3,5 → [[1,3],5]. */
export function collapseRanges(blocks: readonly number[]): (number | [number, number])[] {
  const out: (number | [number, number])[] = [];
  for (let i = 0; i < blocks.length; ) {
    let j = i;
    while (j + 1 < blocks.length && blocks[j + 1] === blocks[j]! + 1) j++;
    out.push(i === j ? blocks[i]! : [blocks[i]!, blocks[j]!]);
    i = j + 1;
  }
  return out;
}

export interface PageChecksumResult {
  /** No failing block and the file size is a multiple of the page size. */
  valid: boolean;
  align: boolean;
  /** Failing blocks collapsed into ranges; empty when misaligned (pgBackRest lists none then). */
  errors: (number | [number, number])[];
}

/** Pass-through filter validating every full page of a relation file. */
export class PageChecksumFilter extends Transform {
  /** Failing block numbers in order, so the caller can re-read those pages before reporting. */
  readonly failedBlocks: number[] = [];
  pages = 0;
  align = true;
  private readonly firstBlock: number;
  private partial = Buffer.alloc(0);

  constructor(segmentNo: number) {
    super();
    this.firstBlock = segmentNo * SEGMENT_PAGES;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.check(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.finish();
    cb();
  }

  /** Validates the pages that `chunk` completes; the stream-free form of `_transform`. */
  check(chunk: Buffer): void {
    let data = chunk;
    if (this.partial.length > 0) {
      const need = PAGE_SIZE - this.partial.length;
      this.partial = Buffer.concat([this.partial, chunk.subarray(0, need)]);
      if (this.partial.length < PAGE_SIZE) return;
      this.validate(this.partial);
      this.partial = Buffer.alloc(0);
      data = chunk.subarray(need);
    }
    const whole = data.length - (data.length % PAGE_SIZE);
    if (whole > 0) this.validate(data.subarray(0, whole));
    if (whole < data.length) this.partial = Buffer.from(data.subarray(whole));
  }

  /** End of input: a trailing partial page makes the file misaligned. */
  finish(): void {
    if (this.partial.length > 0) {
      this.align = false;
      if (this.partial.length >= PARTIAL_PAGE_MIN) this.pages++;
    }
  }

  /** Validates whole pages, the next blocks of the file: a page completed across chunks, or a run of them. */
  private validate(pages: Buffer): void {
    for (const block of this.checkPages(pages, this.firstBlock + this.pages)) this.failedBlocks.push(block);
    this.pages += pages.length / PAGE_SIZE;
  }

  private readonly checkPages: CheckPages = checkPagesNative() ?? checkPagesJs;

  /** Result once the stream has ended; `stillFailing` filters blocks cleared by a re-read. */
  result(stillFailing: readonly number[] = this.failedBlocks): PageChecksumResult {
    const errors = this.align ? collapseRanges(stillFailing) : [];
    return { valid: this.align && stillFailing.length === 0, align: this.align, errors };
  }
}
