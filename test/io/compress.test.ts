import { describe, expect, it } from 'vitest';
import {
  compressCodec,
  compressStream,
  compressSync,
  decompressCodec,
  decompressStream,
  decompressSync,
  extensionOf,
  resolveLevel,
  typeFromExtension,
  typeFromFileName,
  type CompressType,
} from '../../src/io/compress.js';
import { isPgbrError } from '../../src/error/error.js';
import type { IntoCodec } from '../../src/io/codec.js';
import { gzCompressParallel, gzCompressPieces, gzCompressSync } from '../../src/io/gz.js';
import { decodeInto, sampleData, through, tool } from './helpers.js';

const TYPES = ['gz', 'lz4', 'zst', 'bz2'] as const;
const DECODER: Record<(typeof TYPES)[number], [string, string[]]> = {
  gz: ['gzip', ['-dc']],
  lz4: ['lz4', ['-dc']],
  zst: ['zstd', ['-dc']],
  bz2: ['bzip2', ['-dc']],
};
const ENCODER: Record<(typeof TYPES)[number], [string, string[]]> = {
  gz: ['gzip', ['-c']],
  lz4: ['lz4', ['-c', '-BD', '-B4', '--content-size']],
  zst: ['zstd', ['-c', '--check']],
  bz2: ['bzip2', ['-c']],
};
const data = sampleData(300_000);

async function expectFormatError(p: Promise<unknown>, message: string): Promise<void> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(isPgbrError(e, 'FormatError'), String(e)).toBe(true);
  expect((e as Error).message).toBe(message);
}

describe('compression formats', () => {
  it.each([
    ['gz', '1f8b08000000000000030300000000000000000000', 20],
    ['lz4', '04224d1844405e', 15],
    ['zst', '28b52ffd00', 9],
    ['bz2', '425a6839', 14],
  ] as const)('%s: empty input is %s... and %d bytes', async (type, prefix, size) => {
    const out = await through(Buffer.alloc(0), [compressStream(type)]);
    expect(out.length).toBe(size);
    expect(out.toString('hex').startsWith(prefix.slice(0, Math.min(prefix.length, size * 2)))).toBe(true);
    expect(compressSync(type, Buffer.alloc(0)).length).toBe(size);
  });

  it('writes the gzip header pgBackRest writes', async () => {
    const out = await through(data, [compressStream('gz')]);
    expect(out.subarray(0, 10).toString('hex')).toBe('1f8b0800000000000003');
  });

  it('gz in parallel pieces is one gzip member that gzip, zlib and our decoders read', async () => {
    // pieces of at least 1 MiB; repeats across piece boundaries use the primed window
    const big = Buffer.concat([sampleData(1_500_000, 3), sampleData(1_500_000, 3), sampleData(700_000, 9)]);
    for (const level of [1, 6, 9]) {
      const one = gzCompressSync(big, level);
      for (const pieces of [2, 3]) {
        const out = await gzCompressParallel(big, level, pieces);
        // zlib's own header, byte for byte (XFL follows the level)
        expect(out.subarray(0, 10).equals(one.subarray(0, 10)), `level ${level}`).toBe(true);
        expect(out.equals(one)).toBe(false);
        // about the one-piece size: each piece starts with the window of the one before
        expect(Math.abs(out.length - one.length)).toBeLessThan(one.length * 0.005);
        expect(tool('gzip', ['-dc'], out).equals(big)).toBe(true);
        expect(decompressSync('gz', out).equals(big)).toBe(true);
        expect((await through(out, [decompressStream('gz')], 65536)).equals(big)).toBe(true);
        // one member: gzip -l sees a single stream of the whole size
        expect(tool('gzip', ['-t'], out).length).toBe(0);
      }
    }
    // small data (under two 1 MiB pieces) is one piece, identical to zlib's
    expect((await gzCompressParallel(data, 6, 4)).equals(gzCompressSync(data, 6))).toBe(true);
  });

  it('gz in parallel pieces: a damaged piece is a format error', async () => {
    const big = sampleData(3_000_000, 5);
    const out = await gzCompressParallel(big, 6, 2);
    const bad = Buffer.from(out);
    bad[Math.floor(out.length / 2)]! ^= 0xff;
    const e = (() => {
      try {
        decompressSync('gz', bad);
      } catch (x) {
        return x;
      }
    })();
    expect(isPgbrError(e, 'FormatError') || isPgbrError(e, 'AssertError'), String(e)).toBe(true);
  });

  it.each([
    [1, 1024 * 1024, 5_000_000],
    [2, 1024 * 1024, 5_000_000],
    [3, 777_777, 4_200_001],
    [2, 4096, 1_500_000],
    [2, 3_000_000, 1024 * 1024],
    [2, 1000, 0],
  ])('gz of a stream in pieces, %i at a time from %i-byte chunks (%i bytes), is one member gzip and we read', async (inFlight, chunk, size) => {
    const input = sampleData(size, 9);
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < input.length; i += chunk) yield input.subarray(i, i + chunk);
    }
    const parts: Buffer[] = [];
    for await (const p of gzCompressPieces(chunks(), 6, inFlight)) parts.push(Buffer.from(p));
    const out = Buffer.concat(parts);
    expect(tool('gzip', ['-dc'], out).equals(input)).toBe(true);
    expect(decompressSync('gz', out).equals(input)).toBe(true);
    // a few bytes per 1 MiB piece more than one stream
    expect(out.length).toBeLessThanOrEqual(gzCompressSync(input, 6).length * 1.01 + 64);
  });

  it('gz of a stream in pieces fails with its source and leaves nothing unhandled', async () => {
    const input = sampleData(3_500_000, 2);
    async function* failing(): AsyncGenerator<Buffer> {
      yield input.subarray(0, 2_000_000);
      yield input.subarray(2_000_000, 3_000_000);
      throw new Error('read failed');
    }
    const seen: Buffer[] = [];
    await expect((async () => {
      for await (const p of gzCompressPieces(failing(), 6, 2)) seen.push(p);
    })()).rejects.toThrow('read failed');
    expect(seen.length).toBeGreaterThan(0);
  });

  it.each(TYPES)('%s: stream round trip and CLI tool decodes ours', async (type) => {
    const packed = await through(data, [compressStream(type)]);
    expect(packed.length).toBeLessThan(data.length);
    expect(tool(DECODER[type][0], DECODER[type][1], packed).equals(data)).toBe(true);
    expect((await through(packed, [decompressStream(type)], 1000)).equals(data)).toBe(true);
    expect(decompressSync(type, compressSync(type, data)).equals(data)).toBe(true);
  });

  it.each(TYPES)('%s: we decode the CLI tool output', async (type) => {
    const packed = tool(ENCODER[type][0], ENCODER[type][1], data);
    expect((await through(packed, [decompressStream(type)], 4096)).equals(data)).toBe(true);
    expect(decompressSync(type, packed).equals(data)).toBe(true);
  });

  it('decodes linked lz4 blocks that reference earlier blocks', async () => {
    const repeated = Buffer.concat(Array.from({ length: 20 }, () => sampleData(40_000, 7)));
    const packed = tool('lz4', ['-c', '-BD', '-B4', '-9'], repeated);
    expect(packed[4]! & 0x20).toBe(0);
    expect((await through(packed, [decompressStream('lz4')], 65536)).equals(repeated)).toBe(true);
  });

  it.each([
    ['gz', -1],
    ['gz', 0],
    ['gz', 9],
    ['lz4', -5],
    ['lz4', 12],
    ['zst', -7],
    ['zst', 22],
    ['bz2', 1],
    ['bz2', 9],
  ] as const)('%s level %d round trips', async (type, level) => {
    const packed = await through(data, [compressStream(type, level)]);
    expect(tool(DECODER[type][0], DECODER[type][1], packed).equals(data)).toBe(true);
    if (type === 'bz2') expect(packed.subarray(0, 4).toString('latin1')).toBe(`BZh${level}`);
  });

  it('rejects levels outside the allowed range', () => {
    expect(() => resolveLevel('gz', 10)).toThrow("'10' is out of range for 'compress-level' option");
    expect(() => resolveLevel('bz2', 0)).toThrow(/out of range/);
    expect(() => resolveLevel('zst', 23)).toThrow(/out of range/);
    expect(resolveLevel('lz4')).toBe(1);
    expect(resolveLevel('zst')).toBe(3);
    expect(resolveLevel('none', 5)).toBe(0);
  });

  it('none passes bytes through unchanged', async () => {
    expect((await through(data, [compressStream('none')])).equals(data)).toBe(true);
    expect((await through(data, [decompressStream('none')])).equals(data)).toBe(true);
  });

  it.each(TYPES)('%s: empty and truncated input are unexpected eof', async (type) => {
    await expectFormatError(through(Buffer.alloc(0), [decompressStream(type)]), 'unexpected eof in compressed data');
    const packed = compressSync(type, data);
    const truncated = packed.subarray(0, packed.length - 3);
    await expectFormatError(through(truncated, [decompressStream(type)]), 'unexpected eof in compressed data');
  });

  it('gz rejects zlib-wrapped and corrupt input', async () => {
    const zlibWrapped = tool('python3', ['-c', 'import sys,zlib;sys.stdout.buffer.write(zlib.compress(b"abc"*100))'], Buffer.alloc(0));
    expect(zlibWrapped.subarray(0, 2).toString('hex')).toBe('789c');
    await expectFormatError(through(zlibWrapped, [decompressStream('gz')]), 'zlib threw error: [-3] data error');
    expect(() => decompressSync('gz', zlibWrapped)).toThrow('zlib threw error: [-3] data error');
  });

  it('lz4 reports frame and checksum errors like LZ4F', async () => {
    await expectFormatError(through(Buffer.from('not an lz4 frame'), [decompressStream('lz4')]), 'lz4 error: [-13] ERROR_frameType_unknown');
    const packed = Buffer.from(compressSync('lz4', data));
    packed[packed.length - 1]! ^= 0xff;
    await expectFormatError(through(packed, [decompressStream('lz4')]), 'lz4 error: [-18] ERROR_contentChecksum_invalid');
  });

  it('zst and bz2 report garbage input as format errors', async () => {
    await expectFormatError(through(Buffer.from('garbage garbage'), [decompressStream('zst')]), 'zst error: [-10] Unknown frame descriptor');
    await expectFormatError(through(Buffer.from('garbage garbage'), [decompressStream('bz2')]), 'bz2 error: [-5] data error magic');
  });

  it('zst decoders stay correct when contexts are reused, also after a failed one', () => {
    const decode = (frame: Buffer): Buffer => {
      const dec = decompressCodec('zst')!;
      return Buffer.concat([...dec.update(frame), ...dec.finish()]);
    };
    const inputs = [data, Buffer.from('x'), sampleData(5_000), Buffer.alloc(200_000, 7), data.subarray(1000)];
    const frames = inputs.map((b) => Buffer.from(compressSync('zst', b)));
    for (let round = 0; round < 3; round++) {
      // a decoder left mid-frame (its input cut short) is never given back
      const cut = decompressCodec('zst')!;
      [...cut.update(frames[0]!.subarray(0, frames[0]!.length >> 1))];
      expect(() => cut.finish()).toThrow(/unexpected eof/);
      // nor is one that failed on corrupt input
      const bad = Buffer.from(frames[3]!);
      bad.fill(0xff, 4, 12);
      expect(() => [...decompressCodec('zst')!.update(bad)]).toThrow(/zst error/);
      inputs.forEach((b, i) => expect(decode(frames[i]!).equals(b), `round ${round} input ${i}`).toBe(true));
    }
  });

  it('zst writes into a reused buffer the bytes update returns, and fails the same way', () => {
    const big = Buffer.concat([data, Buffer.alloc(3_000_000, 5), sampleData(70_000, 4)]);
    const frame = Buffer.from(compressSync('zst', big));
    const into = (input: Buffer, step: number, outSize: number) => decodeInto(decompressCodec('zst') as IntoCodec, input, step, outSize);
    for (const [step, outSize] of [[frame.length, 128 * 1024], [4096, 1000], [7, 131_075], [65_536, 5_000_000]] as const) {
      const { data: bytes, largest, views } = into(frame, step, outSize);
      expect(bytes.equals(big), `step ${step} out ${outSize}`).toBe(true);
      expect(largest).toBeLessThanOrEqual(outSize);
      expect(views).toBe(true);
    }
    expect(() => into(frame.subarray(0, frame.length >> 1), 1000, 8192)).toThrow(/unexpected eof/);
    const bad = Buffer.from(frame);
    bad.fill(0xff, 4, 12);
    expect(() => into(bad, bad.length, 8192)).toThrow(/zst error/);
  });

  it('zst on several threads writes one frame that the zstd tool (libzstd, as pgBackRest) and ours read', () => {
    const big = sampleData(12 * 1024 * 1024, 3);
    const encode = (threads: number): Buffer => {
      const codec = compressCodec('zst', 3, threads)!;
      const parts: Buffer[] = [];
      for (let i = 0; i < big.length; i += 1024 * 1024) parts.push(...codec.update(big.subarray(i, i + 1024 * 1024)));
      return Buffer.concat([...parts, ...codec.finish()]);
    };
    const single = encode(1);
    const multi = encode(2);
    // several 2 MiB jobs: not the single-threaded bytes, but the same content
    expect(multi.equals(single)).toBe(false);
    expect(decompressSync('zst', multi).equals(big)).toBe(true);
    expect(tool('zstd', ['-dc'], multi).equals(big)).toBe(true);
    // a context is reused only with its own thread count: single-threaded output is unchanged
    expect(encode(1).equals(single)).toBe(true);
    expect(encode(2).equals(multi)).toBe(true);
  });

  it('maps extensions both ways', () => {
    const types: CompressType[] = ['none', 'gz', 'lz4', 'zst', 'bz2'];
    for (const t of types) expect(typeFromExtension(extensionOf(t))).toBe(t);
    expect(extensionOf('gz')).toBe('.gz');
    expect(extensionOf('none')).toBe('');
    expect(typeFromFileName('000000010000000000000001-ab.zst')).toBe('zst');
    expect(typeFromFileName('pg_data/PG_VERSION')).toBe('none');
    expect(() => typeFromExtension('.xz')).toThrow('pgBackRest not compiled with xz support');
  });
});
