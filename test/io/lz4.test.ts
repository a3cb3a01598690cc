/**
 * The two LZ4 implementations: the native liblz4 codec (dist/lz4f.node, built when liblz4's
 * headers are present, as in CI) and the frame layer over lz4-napi used without it. Each must
 * read the other's frames and the lz4 tool's, and fail the same way on bad input.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lz4Decoder, lz4Encoder } from '../../src/io/lz4.js';
import { lz4Addon } from '../../src/io/lz4-native.js';
import { runCodec, type IntoCodec } from '../../src/io/codec.js';
import { isPgbrError } from '../../src/error/error.js';
import { REPO_ROOT } from '../harness/run.js';
import { decodeInto, sampleData, tool } from './helpers.js';

const IMPLS = ['auto', 'frame'] as const;
const data = sampleData(700_000);
const encode = (impl: (typeof IMPLS)[number], input: Buffer, level = 1): Buffer => runCodec(lz4Encoder(level, impl), input);
const decode = (impl: (typeof IMPLS)[number], input: Buffer): Buffer => runCodec(lz4Decoder(impl), input);

function failure(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(isPgbrError(e, 'FormatError'), String(e)).toBe(true);
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('lz4 implementations', () => {
  it('loads the native codec whenever the build produced it', () => {
    expect(lz4Addon() !== undefined).toBe(existsSync(join(REPO_ROOT, 'dist', 'lz4f.node')) && process.env.PGBR_LZ4_NATIVE !== '0');
  });

  it.each(IMPLS)('%s writes pgBackRest frames that both implementations and the lz4 tool read', (impl) => {
    const packed = encode(impl, data);
    expect(packed.subarray(0, 7).toString('hex')).toBe('04224d1844405e');
    for (const reader of IMPLS) expect(decode(reader, packed).equals(data), reader).toBe(true);
    expect(tool('lz4', ['-dc'], packed).equals(data)).toBe(true);
  });

  it.each(IMPLS)('%s reads frames of the lz4 tool with linked 4 MiB blocks and content size', (impl) => {
    const packed = tool('lz4', ['-c', '-BD', '-B7', '--content-size', '-9'], data);
    expect(decode(impl, packed).equals(data)).toBe(true);
  });

  it.each(IMPLS)('%s expands a very compressible input in bounded pieces', (impl) => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const packed = encode(impl, zeros);
    expect(packed.length).toBeLessThan(zeros.length / 200);
    const codec = lz4Decoder(impl);
    let total = 0;
    let largest = 0;
    for (const out of codec.update(packed)) {
      total += out.length;
      largest = Math.max(largest, out.length);
    }
    for (const out of codec.finish()) total += out.length;
    expect(total).toBe(zeros.length);
    expect(largest).toBeLessThanOrEqual(16 * 1024 * 1024);
  });

  it.each(IMPLS)('%s fails on bad input with the same errors as LZ4F', (impl) => {
    expect(failure(() => decode(impl, Buffer.from('not an lz4 frame'))).message).toBe('lz4 error: [-13] ERROR_frameType_unknown');
    const packed = Buffer.from(encode('frame', data));
    packed[packed.length - 1]! ^= 0xff;
    expect(failure(() => decode(impl, packed)).message).toBe('lz4 error: [-18] ERROR_contentChecksum_invalid');
    expect(failure(() => decode(impl, encode('frame', data).subarray(0, 5000))).message).toBe('unexpected eof in compressed data');
    expect(failure(() => decode(impl, Buffer.alloc(0))).message).toBe('unexpected eof in compressed data');
  });

  it.skipIf(lz4Addon() === undefined)('the native decoder for a caller that checks the output leaves out the frame checksum only', () => {
    const packed = Buffer.from(encode('auto', data));
    packed[packed.length - 1]! ^= 0xff;
    const checked = (input: Buffer): Buffer => runCodec(lz4Decoder('auto', true), input);
    // the output is the same: the restore's SHA-1 of it is what catches a bad copy
    expect(checked(packed).equals(data)).toBe(true);
    expect(failure(() => decode('auto', packed)).message).toBe('lz4 error: [-18] ERROR_contentChecksum_invalid');
    // a broken block still fails
    const broken = Buffer.from(encode('auto', data));
    broken.fill(0xff, 100, 140);
    expect(() => checked(broken)).toThrow(/lz4 error/);
    expect(failure(() => checked(encode('auto', data).subarray(0, 5000))).message).toBe('unexpected eof in compressed data');
  });

  it.skipIf(lz4Addon() === undefined)('the native codec honours compress-level (the fallback ignores it)', () => {
    const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `row ${i % 977} value ${(i * 7919) % 10007}\n`).join(''));
    const fast = encode('auto', text, -5);
    const best = encode('auto', text, 12);
    expect(best.length).toBeLessThan(fast.length);
    expect(decode('frame', best).equals(text)).toBe(true);
  });

  describe.skipIf(lz4Addon() === undefined)('the native decoder writing into a reused buffer', () => {
    function into(input: Buffer, step: number, outSize: number): { data: Buffer; largest: number } {
      const r = decodeInto(lz4Decoder() as IntoCodec, input, step, outSize);
      expect(r.views).toBe(true);
      return r;
    }

    it.each([
      [1_000_000, 128 * 1024],
      [4096, 4096],
      [7, 1000],
      [65_536, 257],
    ])('returns the same bytes as update with %i-byte input and a %i-byte buffer', (step, outSize) => {
      const packed = encode('auto', data);
      const { data: got, largest } = into(packed, step, outSize);
      expect(got.equals(data)).toBe(true);
      expect(largest).toBeLessThanOrEqual(outSize);
    });

    it('reads concatenated frames, and a buffer that fills exactly at a frame end', () => {
      const first = sampleData(65_536);
      const second = sampleData(100_000).subarray(7);
      const packed = Buffer.concat([encode('auto', first), encode('frame', second)]);
      expect(into(packed, packed.length, 65_536).data.equals(Buffer.concat([first, second]))).toBe(true);
      expect(into(packed, 333, 65_536).data.equals(Buffer.concat([first, second]))).toBe(true);
    });

    it('fails like update on bad, truncated and empty input', () => {
      const out = Buffer.alloc(8192);
      const run = (input: Buffer) => () => {
        const codec = lz4Decoder() as IntoCodec;
        for (const _ of codec.updateInto(input, out)) continue;
        codec.finish();
      };
      expect(failure(run(Buffer.from('not an lz4 frame'))).message).toBe('lz4 error: [-13] ERROR_frameType_unknown');
      const packed = Buffer.from(encode('frame', data));
      packed[packed.length - 1]! ^= 0xff;
      expect(failure(run(packed)).message).toBe('lz4 error: [-18] ERROR_contentChecksum_invalid');
      expect(failure(run(encode('frame', data).subarray(0, 5000))).message).toBe('unexpected eof in compressed data');
      expect(failure(run(Buffer.alloc(0))).message).toBe('unexpected eof in compressed data');
    });
  });
});
