/**
 * The native gzip codec (dist/gz.node, built when Node's headers and a C compiler are present, as
 * in CI) against node:zlib's streams, which it replaces: the decoder gives the same bytes and errors
 * for every way of feeding it and every size of output buffer; the encoder writes the same bytes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressCodec, compressStream, decompressCodec, decompressStream } from '../../src/io/compress.js';
import { type AsyncIntoCodec, type IntoCodec } from '../../src/io/codec.js';
import { pipelinedIntoStage } from '../../src/backup/file-stream.js';
import { isPgbrError } from '../../src/error/error.js';
import { gzCompressParallel, gzCompressStream, gzDecompressStream } from '../../src/io/gz.js';
import { gzAddon } from '../../src/io/gz-native.js';
import { REPO_ROOT } from '../harness/run.js';
import { sampleData, through, tool } from './helpers.js';

const data = sampleData(700_000);
const packed = zlib.gzipSync(data, { level: 6, memLevel: 9 });
/** Smaller, for the cases fed a byte at a time. */
const part = data.subarray(0, 30_000);
const partPacked = zlib.gzipSync(part);

/** What node:zlib's stream makes of `input`: the bytes, or the error's class and message. */
async function viaStream(input: Buffer, chunk = 7919): Promise<Buffer | string> {
  return through(input, [gzDecompressStream()], chunk).catch((e: Error) => `${(e as { name: string }).name}: ${e.message}`);
}

/** The same through the native decoder, writing into one reused `outSize`-byte buffer. */
function viaNative(input: Buffer, step: number, outSize: number): Buffer | string {
  const codec = decompressCodec('gz') as IntoCodec;
  const out = Buffer.alloc(outSize);
  const pieces: Buffer[] = [];
  let views = true;
  try {
    for (let i = 0; i === 0 || i < input.length; i += step) {
      for (const piece of codec.updateInto(input.subarray(i, i + step), out)) {
        views &&= piece.buffer === out.buffer && piece.length > 0;
        pieces.push(Buffer.from(piece));
      }
    }
    codec.finish();
  } catch (e) {
    expect(isPgbrError(e), String(e)).toBe(true);
    return `${(e as { name: string }).name}: ${(e as Error).message}`;
  }
  // every piece is a non-empty view of the caller's buffer
  expect(views).toBe(true);
  return Buffer.concat(pieces);
}

/** The same through pipelinedIntoStage (decoding on libuv's pool), fed `step`-byte chunks. */
async function viaPipelined(input: Buffer, step: number, outSize: number): Promise<Buffer | string> {
  const codec = decompressCodec('gz') as AsyncIntoCodec;
  async function* feed(): AsyncGenerator<Buffer> {
    for (let i = 0; i === 0 || i < input.length; i += step) yield input.subarray(i, i + step);
  }
  const pieces: Buffer[] = [];
  try {
    for await (const piece of pipelinedIntoStage(codec, outSize)(feed())) pieces.push(Buffer.from(piece));
  } catch (e) {
    expect(isPgbrError(e), String(e)).toBe(true);
    return `${(e as { name: string }).name}: ${(e as Error).message}`;
  }
  return Buffer.concat(pieces);
}

describe('native gz decoder', () => {
  it('loads whenever the build produced it', () => {
    expect(gzAddon() !== undefined).toBe(existsSync(join(REPO_ROOT, 'dist', 'gz.node')) && process.env.PGBR_GZ_NATIVE !== '0');
  });

  describe.skipIf(gzAddon() === undefined)('with the addon', () => {
    it.each([
      [1_000_000, 128 * 1024],
      [65_536, 65_536],
      [4096, 1000],
      [7, 257],
      [1, 65_536],
    ])('reads the gzip tool, zlib and parallel pieces with %i-byte input and a %i-byte buffer', async (step, outSize) => {
      const small = step < 10 ? data.subarray(0, 20_000) : data;
      const big = sampleData(step < 10 ? 40_000 : 2_500_000, 4);
      for (const [input, want] of [
        [step < 10 ? zlib.gzipSync(small) : packed, small],
        [tool('gzip', ['-c'], small), small],
        [await gzCompressParallel(big, 6, 2), big],
      ] as const) {
        const got = viaNative(input, step, outSize);
        expect(Buffer.isBuffer(got) && got.equals(want), String(got).slice(0, 100)).toBe(true);
      }
    });

    it('allocating update gives the same bytes in pieces the caller keeps', () => {
      const codec = decompressCodec('gz')!;
      const pieces: Buffer[] = [];
      for (let i = 0; i < packed.length; i += 50_000) pieces.push(...codec.update(packed.subarray(i, i + 50_000)));
      pieces.push(...codec.finish());
      // kept pieces were not overwritten by later ones
      expect(Buffer.concat(pieces).equals(data)).toBe(true);
      expect(new Set(pieces.map((p) => p.buffer)).size).toBe(pieces.length);
    });

    const corrupt = Buffer.from(partPacked);
    corrupt[partPacked.length >> 1]! ^= 0xff;
    const zlibWrapped = zlib.deflateSync(data.subarray(0, 1000));
    const cases: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['truncated', partPacked.subarray(0, partPacked.length - 3)],
      ['header only', partPacked.subarray(0, 10)],
      ['corrupt', corrupt],
      ['zlib-wrapped', zlibWrapped],
      ['two members', Buffer.concat([partPacked, zlib.gzipSync(Buffer.from('second member'))])],
      ['zero padding after the member', Buffer.concat([partPacked, Buffer.alloc(100)])],
      ['garbage after the member', Buffer.concat([partPacked, Buffer.from('garbage')])],
      ['an empty file as pgBackRest stores it', zlib.gzipSync(Buffer.alloc(0))],
    ];
    it.each(cases)('%s: the same outcome as node:zlib, however it is fed', async (_name, input) => {
      const want = await viaStream(input);
      for (const [step, outSize] of [[input.length + 1, 65_536], [333, 4096], [1, 100_000]] as const) {
        const got = viaNative(input, step, outSize);
        expect(Buffer.isBuffer(got) ? got.toString('hex').slice(0, 64) + got.length : got).toBe(
          Buffer.isBuffer(want) ? want.toString('hex').slice(0, 64) + want.length : want,
        );
        if (Buffer.isBuffer(want)) expect((got as Buffer).equals(want)).toBe(true);
      }
    });

    it.each(cases)('%s: the same outcome decoded on the pool (pipelinedIntoStage)', async (_name, input) => {
      const want = await viaStream(input);
      for (const [step, outSize] of [[input.length + 1, 65_536], [333, 4096]] as const) {
        const got = await viaPipelined(input, step, outSize);
        if (Buffer.isBuffer(want)) expect(Buffer.isBuffer(got) && got.equals(want), String(got).slice(0, 100)).toBe(true);
        else expect(got).toBe(want);
      }
    });

    it('decoded on the pool, large input gives the same bytes in every piece size', async () => {
      const big = sampleData(2_500_000, 4);
      const input = Buffer.concat([await gzCompressParallel(big, 6, 2), zlib.gzipSync(data)]);
      for (const [step, outSize] of [[1024 * 1024, 1024 * 1024], [65_536, 4096], [input.length, 100_000]] as const) {
        const got = await viaPipelined(input, step, outSize);
        expect(Buffer.isBuffer(got) && got.equals(Buffer.concat([big, data])), `${step}/${outSize}`).toBe(true);
      }
    });

    it('a step on the pool keeps the decoder busy; free waits for it', async () => {
      const codec = decompressCodec('gz') as AsyncIntoCodec & IntoCodec;
      const out = Buffer.alloc(4096);
      const running = codec.stepInto(packed, 0, out);
      // no second call while the pool holds the state
      expect(() => [...codec.updateInto(packed, out)]).toThrow();
      // finishing now fails (the member has not ended) and frees the state once the step is done
      expect(() => codec.finish()).toThrow('unexpected eof in compressed data');
      const step = await running;
      expect(step.written).toBe(4096);
      expect(out.equals(data.subarray(0, 4096))).toBe(true);
      expect(() => [...codec.updateInto(packed, out)]).toThrow();
    });

    it('a consumer that stops early, or a failed step, closes the input and leaves nothing running', async () => {
      const big = sampleData(3_000_000, 9);
      const input = zlib.gzipSync(big);
      let closed = 0;
      async function* feed(bytes: Buffer): AsyncGenerator<Buffer> {
        try {
          for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536);
        } finally {
          closed++;
        }
      }
      const first: Buffer[] = [];
      for await (const piece of pipelinedIntoStage(decompressCodec('gz') as AsyncIntoCodec, 65_536)(feed(input))) {
        first.push(Buffer.from(piece));
        if (first.length === 3) break;
      }
      const got = Buffer.concat(first);
      expect(got.length).toBeGreaterThan(0);
      expect(got.equals(big.subarray(0, got.length))).toBe(true);
      expect(closed).toBe(1);

      const spoiled = Buffer.from(input);
      spoiled[spoiled.length >> 1]! ^= 0xff;
      const e = await (async () => {
        for await (const piece of pipelinedIntoStage(decompressCodec('gz') as AsyncIntoCodec, 65_536)(feed(spoiled))) void piece;
      })().then(() => undefined, (x: unknown) => x);
      expect(isPgbrError(e, 'FormatError'), String(e)).toBe(true);
      expect((e as Error).message).toMatch(/^zlib threw error: \[-3\]/);
      expect(closed).toBe(2);
    });

    it('is what decompressStream uses for gz, with pgBackRest-shaped errors', async () => {
      expect((await through(packed, [decompressStream('gz')])).equals(data)).toBe(true);
      const e = await through(zlibWrapped, [decompressStream('gz')]).then(() => undefined, (x: unknown) => x);
      expect(isPgbrError(e, 'FormatError'), String(e)).toBe(true);
      expect((e as Error).message).toBe('zlib threw error: [-3] data error');
      const eof = await through(packed.subarray(0, 1000), [decompressStream('gz')]).then(() => undefined, (x: unknown) => x);
      expect((eof as Error).message).toBe('unexpected eof in compressed data');
    });

    it('a decoder that failed cannot be used again', () => {
      const codec = decompressCodec('gz') as IntoCodec;
      const out = Buffer.alloc(4096);
      expect(() => [...codec.updateInto(corrupt, out)]).toThrow('zlib threw error: [-3] data error');
      expect(() => [...codec.updateInto(partPacked, out)]).toThrow();
    });

    describe('encoder', () => {
      /** Output of the native encoder fed `input` in `step`-byte chunks. */
      function encode(input: Buffer, level: number, step: number): Buffer {
        const codec = compressCodec('gz', level)!;
        const parts: Buffer[] = [];
        for (let i = 0; i < input.length; i += step) parts.push(...codec.update(input.subarray(i, i + step)));
        parts.push(...codec.finish());
        return Buffer.concat(parts);
      }
      const random = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => (Math.imul(i + 7, 2654435761) >>> 13) & 0xff));

      it.each([-1, 1, 6, 9])('writes node:zlib\'s bytes at level %i, however the input is cut', (level) => {
        for (const [input, steps] of [
          [data, [data.length, 65_536, 7919]],
          [part, [1]],
          // output larger than the buffer it starts with, in one call
          [random, [random.length, 1024 * 1024]],
        ] as const) {
          const want = zlib.gzipSync(input, { level, memLevel: 9 });
          for (const step of steps) expect(encode(input, level, step).equals(want), `step ${step}`).toBe(true);
        }
      });

      it('level 0 (stored blocks, whose sizes follow the output room) is gzip that reads back', () => {
        for (const step of [data.length, 7919]) {
          const out = encode(data, 0, step);
          expect(out.length).toBeGreaterThan(data.length);
          expect(tool('gzip', ['-dc'], out).equals(data)).toBe(true);
        }
      });

      it('empty input is the 20 bytes pgBackRest stores, and what compressStream writes is the same', async () => {
        expect(encode(Buffer.alloc(0), 6, 1).toString('hex')).toBe('1f8b080000000000000303000000000000000000');
        const viaStream = await through(data, [compressStream('gz')]);
        expect(viaStream.equals(await through(data, [gzCompressStream(6)]))).toBe(true);
        expect(tool('gzip', ['-dc'], viaStream).equals(data)).toBe(true);
      });

      it('an ended encoder refuses more input', () => {
        const codec = compressCodec('gz', 6)!;
        codec.finish();
        expect(() => codec.update(data)).toThrow();
      });
    });
  });
});
