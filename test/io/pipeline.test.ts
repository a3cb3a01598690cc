import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decryptStream, encryptStream } from '../../src/io/cipher.js';
import { compressStream, decompressStream } from '../../src/io/compress.js';
import { HashFilter, SHA1_EMPTY } from '../../src/io/hash.js';
import { runPipeline } from '../../src/io/pipeline.js';
import { SizeFilter } from '../../src/io/size.js';
import { BufferSink } from '../../src/io/buffer-sink.js';
import { isPgbrError } from '../../src/error/error.js';
import { through } from './helpers.js';

const MiB = 1 << 20;

function source(chunks: number, each: Buffer): Readable {
  let n = 0;
  return new Readable({
    read() {
      this.push(n++ < chunks ? each : null);
    },
  });
}

class Discard extends Writable {
  override _write(_c: Buffer, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
}

describe('pipeline', () => {
  it('hash and size filters report after the pass', async () => {
    const hash = new HashFilter();
    const size = new SizeFilter();
    expect(() => hash.digest()).toThrow('hash filter has not finished');
    const out = await through(Buffer.from('abc'), [hash, size]);
    expect(out.toString()).toBe('abc');
    expect(hash.digest()).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(size.size).toBe(3);
    const empty = new HashFilter();
    await through(Buffer.alloc(0), [empty]);
    expect(empty.digest()).toBe(SHA1_EMPTY);
  });

  it('streams 64 MiB through sha1 + gz + aes with bounded memory', async () => {
    const chunk = randomBytes(MiB);
    const expected = createHash('sha1');
    for (let i = 0; i < 64; i++) expected.update(chunk);
    const hash = new HashFilter();
    const rawSize = new SizeFilter();
    const repoSize = new SizeFilter();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      await runPipeline(source(64, chunk), [hash, rawSize, compressStream('gz', 1), encryptStream('pass'), repoSize], new Discard());
    } finally {
      clearInterval(timer);
    }
    expect(hash.digest()).toBe(expected.digest('hex'));
    expect(rawSize.size).toBe(64 * MiB);
    expect(repoSize.size).toBeGreaterThan(64 * MiB); // random data does not compress
    expect(peak - before).toBeLessThan(48 * MiB);
  }, 60_000);

  it('round trips through compress + encrypt and back', async () => {
    const data = randomBytes(3 * MiB + 17);
    for (const type of ['gz', 'lz4', 'zst', 'bz2'] as const) {
      const stored = await through(data, [compressStream(type), encryptStream('p')], 65536);
      const back = await through(stored, [decryptStream('p'), decompressStream(type)], 65536);
      expect(back.equals(data), type).toBe(true);
    }
  });

  it('an error mid-pipeline rejects and destroys every stream', async () => {
    let seen = 0;
    const failing = new Transform({
      transform(c: Buffer, _e, cb) {
        if (++seen === 3) cb(new Error('injected failure'));
        else cb(null, c);
      },
    });
    const src = source(100, randomBytes(65536));
    const filters = [new HashFilter(), failing, compressStream('bz2'), compressStream('lz4'), encryptStream('p')];
    const sink = new BufferSink();
    await expect(runPipeline(src, filters, sink)).rejects.toThrow('injected failure');
    for (const s of [src, ...filters, sink]) expect((s as Readable).destroyed).toBe(true);
  });

  it('a corrupt stream fails the pipeline with the decoder error', async () => {
    const packed = await through(randomBytes(200_000), [compressStream('lz4')]);
    packed[100]! ^= 0xff;
    const decoder = decompressStream('lz4');
    const src = Readable.from([packed.subarray(0, 50_000), packed.subarray(50_000)]);
    const e = await runPipeline(src, [decoder], new BufferSink()).then(() => undefined, (x: unknown) => x);
    expect(isPgbrError(e, 'FormatError'), String(e)).toBe(true);
    expect(decoder.destroyed).toBe(true);
    expect(src.destroyed).toBe(true);
  });
});
