import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decryptStream, encryptStream } from '../../src/io/cipher.js';
import { compressStream, decompressStream } from '../../src/io/compress.js';
import { isPgbrError, type PgbrError } from '../../src/error/error.js';
import { sampleData, through } from './helpers.js';

const PASS = 'x7Ahq0Yf+test/pass';
const data = sampleData(100_003);

function openssl(args: string[], input: Buffer): Buffer {
  const r = spawnSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha1', '-pass', `pass:${PASS}`, ...args], { input });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
  return r.stdout;
}

async function cryptoError(p: Promise<unknown>): Promise<PgbrError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(isPgbrError(e, 'CryptoError'), String(e)).toBe(true);
  expect((e as PgbrError).code).toBe(95);
  return e as PgbrError;
}

describe('aes-256-cbc Salted__ streams', () => {
  it('openssl decrypts ours and we decrypt openssl', async () => {
    const ours = await through(data, [encryptStream(PASS)]);
    expect(ours.subarray(0, 8).toString('latin1')).toBe('Salted__');
    expect(ours.length).toBe(16 + (Math.floor(data.length / 16) + 1) * 16);
    expect(openssl(['-d'], ours).equals(data)).toBe(true);
    const theirs = openssl([], data);
    expect((await through(theirs, [decryptStream(PASS)], 5)).equals(data)).toBe(true);
  });

  it('uses a new salt per stream', async () => {
    const a = await through(data, [encryptStream(PASS)]);
    const b = await through(data, [encryptStream(PASS)]);
    expect(a.subarray(8, 16).equals(b.subarray(8, 16))).toBe(false);
  });

  it('an empty gz file encrypted is 48 bytes', async () => {
    const out = await through(Buffer.alloc(0), [compressStream('gz'), encryptStream(PASS)]);
    expect(out.length).toBe(48);
    const back = await through(out, [decryptStream(PASS), decompressStream('gz')]);
    expect(back.length).toBe(0);
  });

  it('plaintext input is cipher header invalid with the hint', async () => {
    const e = await cryptoError(through(Buffer.from('[backrest]\nbackrest-format=5\n'), [decryptStream(PASS)]));
    expect(e.fullMessage).toBe('cipher header invalid\nHINT: is or was the repo encrypted?');
  });

  it('input shorter than the header is cipher header missing', async () => {
    expect((await cryptoError(through(Buffer.alloc(0), [decryptStream(PASS)]))).message).toBe('cipher header missing');
    expect((await cryptoError(through(Buffer.from('Salted__'), [decryptStream(PASS)]))).message).toBe('cipher header missing');
  });

  it('a wrong passphrase fails on padding or yields other bytes', async () => {
    const enc = await through(Buffer.from('0123456789abcdef0123456789abcdef'), [encryptStream(PASS)]);
    const out = await through(enc, [decryptStream('wrong')]).then(
      (b) => b,
      (e: unknown) => e,
    );
    if (Buffer.isBuffer(out)) expect(out.toString()).not.toBe('0123456789abcdef0123456789abcdef');
    else expect((out as PgbrError).message).toBe('unable to flush');
    // truncated ciphertext (not a whole block) always fails the final block
    expect((await cryptoError(through(enc.subarray(0, enc.length - 5), [decryptStream(PASS)]))).message).toBe('unable to flush');
  });
});
