import { createHash, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { err } from '../error/error.js';

/** OpenSSL `enc` container magic that starts every encrypted repository file. */
export const CIPHER_MAGIC = Buffer.from('Salted__', 'latin1');
export const CIPHER_HEADER_SIZE = 16;

/**
 * OpenSSL EVP_BytesToKey(aes-256-cbc, SHA-1, salt, pass, count=1). The passphrase is used as text;
 * sub-passphrases are base64 strings and are not decoded.
 */
export function bytesToKey(pass: string, salt: Buffer): { key: Buffer; iv: Buffer } {
  const passBuf = Buffer.from(pass, 'utf8');
  const parts: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let total = 0;
  while (total < 48) {
    prev = createHash('sha1').update(prev).update(passBuf).update(salt).digest();
    parts.push(prev);
    total += prev.length;
  }
  const material = Buffer.concat(parts);
  return { key: material.subarray(0, 32), iv: material.subarray(32, 48) };
}

/** Encrypt a whole buffer into `Salted__` + salt + AES-256-CBC ciphertext. */
export function encryptBuffer(plain: Buffer, pass: string): Buffer {
  const salt = randomBytes(8);
  const { key, iv } = bytesToKey(pass, salt);
  const c = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([CIPHER_MAGIC, salt, c.update(plain), c.final()]);
}

/** Decrypt a whole `Salted__` buffer; a missing header is pgBackRest's "cipher header invalid". */
export function decryptBuffer(data: Buffer, pass: string): Buffer {
  if (data.length < CIPHER_HEADER_SIZE || !data.subarray(0, 8).equals(CIPHER_MAGIC)) {
    throw err('CryptoError', 'cipher header invalid', { hints: ['is or was the repo encrypted?'] });
  }
  const { key, iv } = bytesToKey(pass, data.subarray(8, 16));
  const d = createDecipheriv('aes-256-cbc', key, iv);
  try {
    return Buffer.concat([d.update(data.subarray(16)), d.final()]);
  } catch (e) {
    throw err('CryptoError', 'unable to flush', { cause: e, hints: ['is the cipher-pass correct?'] });
  }
}

/** A new sub-passphrase: 48 random bytes as 64 base64 characters, as pgBackRest generates them. */
export function newCipherPass(): string {
  return randomBytes(48).toString('base64');
}
