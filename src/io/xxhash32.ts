/**
 * Streaming XXH32 (seed 0 by default), needed for the LZ4 frame content and header checksums.
 * Written from the published xxHash specification.
 */
const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function readU32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function round(acc: number, input: number): number {
  return Math.imul(rotl((acc + Math.imul(input, P2)) | 0, 13), P1);
}

export class Xxh32 {
  private v1: number;
  private v2: number;
  private v3: number;
  private v4: number;
  private readonly seed: number;
  private total = 0;
  private readonly tail = new Uint8Array(16);
  private tailLen = 0;

  constructor(seed = 0) {
    this.seed = seed >>> 0;
    this.v1 = (this.seed + P1 + P2) | 0;
    this.v2 = (this.seed + P2) | 0;
    this.v3 = this.seed | 0;
    this.v4 = (this.seed - P1) | 0;
  }

  update(data: Uint8Array): this {
    this.total += data.length;
    let i = 0;
    if (this.tailLen > 0) {
      const take = Math.min(16 - this.tailLen, data.length);
      this.tail.set(data.subarray(0, take), this.tailLen);
      this.tailLen += take;
      i = take;
      if (this.tailLen < 16) return this;
      this.stripe(this.tail, 0, 16);
      this.tailLen = 0;
    }
    const whole = i + ((data.length - i) & ~15);
    this.stripe(data, i, whole);
    if (whole < data.length) {
      this.tail.set(data.subarray(whole), 0);
      this.tailLen = data.length - whole;
    }
    return this;
  }

  private stripe(b: Uint8Array, start: number, end: number): void {
    let { v1, v2, v3, v4 } = this;
    const offset = b.byteOffset + start;
    if (LITTLE_ENDIAN && (offset & 3) === 0) {
      // whole words straight from memory, faster than assembling each from four bytes
      const w = new Uint32Array(b.buffer, offset, (end - start) >>> 2);
      for (let i = 0; i < w.length; i += 4) {
        v1 = round(v1, w[i]!);
        v2 = round(v2, w[i + 1]!);
        v3 = round(v3, w[i + 2]!);
        v4 = round(v4, w[i + 3]!);
      }
    } else {
      for (let i = start; i < end; i += 16) {
        v1 = round(v1, readU32(b, i));
        v2 = round(v2, readU32(b, i + 4));
        v3 = round(v3, readU32(b, i + 8));
        v4 = round(v4, readU32(b, i + 12));
      }
    }
    this.v1 = v1;
    this.v2 = v2;
    this.v3 = v3;
    this.v4 = v4;
  }

  digest(): number {
    let h: number;
    if (this.total >= 16) {
      h = (rotl(this.v1, 1) + rotl(this.v2, 7) + rotl(this.v3, 12) + rotl(this.v4, 18)) | 0;
    } else {
      h = (this.seed + P5) | 0;
    }
    h = (h + (this.total >>> 0)) | 0;
    let i = 0;
    for (; i + 4 <= this.tailLen; i += 4) {
      h = Math.imul(rotl((h + Math.imul(readU32(this.tail, i), P3)) | 0, 17), P4);
    }
    for (; i < this.tailLen; i++) {
      h = Math.imul(rotl((h + Math.imul(this.tail[i]!, P5)) | 0, 11), P1);
    }
    h = Math.imul(h ^ (h >>> 15), P2);
    h = Math.imul(h ^ (h >>> 13), P3);
    return (h ^ (h >>> 16)) >>> 0;
  }
}

export function xxh32(data: Uint8Array, seed = 0): number {
  return new Xxh32(seed).update(data).digest();
}
