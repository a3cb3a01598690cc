import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { BufferSink } from '../../src/io/buffer-sink.js';
import type { IntoCodec } from '../../src/io/codec.js';
import { runPipeline } from '../../src/io/pipeline.js';

/** Feeds `input` in chunks of `chunkSize` through the filters and returns what comes out. */
export async function through(input: Buffer, filters: NodeJS.ReadWriteStream[], chunkSize = 7919): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkSize) chunks.push(input.subarray(i, i + chunkSize));
  const sink = new BufferSink();
  await runPipeline(Readable.from(chunks), filters, sink);
  return sink.buffer;
}

/** Runs a CLI tool with stdin and returns stdout; throws with stderr on failure. */
export function tool(cmd: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Deterministic, moderately compressible test data. */
export function sampleData(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = (x >>> 16) % 7 === 0 ? x >>> 24 : 97 + ((i >> 5) % 13);
  }
  return b;
}

/**
 * Decodes `input`, fed in `step`-byte chunks, with `codec.updateInto` into one reused `outSize`-byte
 * buffer, copying each piece before the next step, then finishes. `views` is false if any piece was
 * empty or not a view of that buffer.
 */
export function decodeInto(codec: IntoCodec, input: Buffer, step: number, outSize: number): { data: Buffer; largest: number; views: boolean } {
  const out = Buffer.alloc(outSize);
  const pieces: Buffer[] = [];
  let largest = 0;
  let views = true;
  for (let i = 0; i === 0 || i < input.length; i += step) {
    for (const piece of codec.updateInto(input.subarray(i, i + step), out)) {
      views &&= piece.buffer === out.buffer && piece.length > 0;
      largest = Math.max(largest, piece.length);
      pieces.push(Buffer.from(piece));
    }
  }
  for (const piece of codec.finish()) pieces.push(piece);
  return { data: Buffer.concat(pieces), largest, views };
}
