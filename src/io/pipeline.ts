import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Runs source → filters… → sink as one stream.pipeline: a failure anywhere destroys every stream
 * and rejects. Returns the filter objects so their results (digest, size, page checks) can be read
 * after completion: one pass over the data yields every result.
 */
export async function runPipeline<F extends NodeJS.ReadWriteStream[]>(
  source: Readable | AsyncIterable<Buffer> | Iterable<Buffer>,
  filters: [...F],
  sink: Writable,
  opts: { signal?: AbortSignal } = {},
): Promise<F> {
  const streams = [source, ...filters, sink] as unknown as Parameters<typeof pipeline>;
  await (pipeline as (...args: unknown[]) => Promise<void>)(...streams, ...(opts.signal ? [{ signal: opts.signal }] : []));
  return filters;
}
