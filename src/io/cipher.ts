import { createCipheriv, createDecipheriv, randomBytes, type Cipher, type Decipher } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { err } from '../error/error.js';
import { bytesToKey, CIPHER_HEADER_SIZE, CIPHER_MAGIC } from './cipher-key.js';

/**
 * AES-256-CBC in OpenSSL's `Salted__` container (spec §6.1), streaming. Each encrypt stream draws a
 * new random salt. Decrypt errors use pgBackRest's CryptoError texts.
 */
const CIPHER = 'aes-256-cbc';

export class EncryptStream extends Transform {
  private cipher: Cipher | undefined;

  constructor(private readonly pass: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.start();
    const out = this.cipher!.update(chunk);
    cb(null, out.length > 0 ? out : undefined);
  }

  override _flush(cb: TransformCallback): void {
    this.start();
    cb(null, this.cipher!.final());
  }

  private start(): void {
    if (this.cipher !== undefined) return;
    const salt = randomBytes(8);
    const { key, iv } = bytesToKey(this.pass, salt);
    this.cipher = createCipheriv(CIPHER, key, iv);
    this.push(Buffer.concat([CIPHER_MAGIC, salt]));
  }
}

export class DecryptStream extends Transform {
  private decipher: Decipher | undefined;
  private header = Buffer.alloc(0);

  constructor(private readonly pass: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.decipher === undefined) {
      this.header = Buffer.concat([this.header, chunk]);
      if (this.header.length < CIPHER_HEADER_SIZE) return cb();
      if (!this.header.subarray(0, 8).equals(CIPHER_MAGIC)) {
        return cb(err('CryptoError', 'cipher header invalid', { hints: ['is or was the repo encrypted?'] }));
      }
      const { key, iv } = bytesToKey(this.pass, this.header.subarray(8, CIPHER_HEADER_SIZE));
      this.decipher = createDecipheriv(CIPHER, key, iv);
      chunk = this.header.subarray(CIPHER_HEADER_SIZE);
      this.header = Buffer.alloc(0);
    }
    const out = this.decipher.update(chunk);
    cb(null, out.length > 0 ? out : undefined);
  }

  override _flush(cb: TransformCallback): void {
    if (this.decipher === undefined) return cb(err('CryptoError', 'cipher header missing'));
    try {
      cb(null, this.decipher.final());
    } catch (e) {
      cb(err('CryptoError', 'unable to flush', { cause: e }));
    }
  }
}

export function encryptStream(pass: string): Transform {
  return new EncryptStream(pass);
}

export function decryptStream(pass: string): Transform {
  return new DecryptStream(pass);
}
