import * as nodeCrypto from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** SHA-1 of the bytes that pass through. `digest()` is valid once the stream has ended. */
export class HashFilter extends Transform {
  private readonly hash: Hash = nodeCrypto.createHash('sha1');
  private result: string | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = this.hash.digest('hex');
    cb();
  }

  /** Lower-case hex SHA-1; throws if called before the stream finished. */
  digest(): string {
    if (this.result === undefined) throw new Error('hash filter has not finished');
    return this.result;
  }
}

/** SHA-1 of the empty string, the implied checksum of a zero-length file. */
export const SHA1_EMPTY = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';

/** One-shot `crypto.hash` (Node 20.12+): no Hash object to build, which costs more than hashing a small input. */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: Buffer | string, encoding: 'hex') => string }).hash;

/** Lower-case hex digest of `data` (a string is hashed as UTF-8). */
export function hashHex(algorithm: 'sha1' | 'sha256', data: Buffer | string): string {
  return oneShot !== undefined ? oneShot(algorithm, data, 'hex') : nodeCrypto.createHash(algorithm).update(data).digest('hex');
}

export function sha1Hex(data: Buffer | string): string {
  return hashHex('sha1', data);
}
