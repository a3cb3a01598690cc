import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { localFiles, localPath, openSource } from '../../src/backup/file-stream.js';
import { STREAM_PIECE } from '../../src/storage/http1.js';
import type { StorageDriver } from '../../src/storage/storage.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

afterAll(() => removeAllTempDirs());

describe('openSource on a local file', () => {
  it('lets the main thread handle other events during a long read, not only at its end', async () => {
    const file = join(makeTempDir(), 'big');
    const MIB = 1024 * 1024;
    const data = Buffer.alloc(20 * MIB);
    for (let i = 0; i < 20; i++) data.fill(i, i * MIB, (i + 1) * MIB);
    writeFileSync(file, data);
    const source = (await openSource(localFiles(), localPath(file), {}))!;
    // a worker's result or a timed manifest save: it must not wait for the whole file
    let turnedAt: number | undefined;
    let read = 0;
    setImmediate(() => (turnedAt = read));
    const chunks: Buffer[] = [];
    for await (const chunk of source.chunks) {
      chunks.push(Buffer.from(chunk));
      read += chunk.length;
    }
    await source.close();
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(turnedAt).toBeDefined();
    expect(turnedAt!).toBeLessThan(data.length);
    expect(turnedAt!).toBeGreaterThanOrEqual(8 * MIB);
  });
});

describe('openSource on an object store', () => {
  /** A driver whose reads hand over `pieces` one at a time, as a network body does. */
  const storeOf = (pieces: Buffer[]): StorageDriver => ({ read: async () => Readable.from(pieces, { objectMode: false }) }) as unknown as StorageDriver;
  const piecesOf = (size: number, count: number): Buffer[] => Array.from({ length: count }, (_, i) => Buffer.alloc(size, i));

  async function readAll(pieces: Buffer[]): Promise<Buffer[]> {
    const source = (await openSource(storeOf(pieces), 'object', {}))!;
    const out: Buffer[] = [];
    for await (const chunk of source.chunks) out.push(chunk);
    await source.close();
    return out;
  }

  it('gathers TLS-record-sized pieces into larger ones, bytes intact', async () => {
    const pieces = piecesOf(16 * 1024, 20);
    const out = await readAll(pieces);
    expect(Buffer.concat(out).equals(Buffer.concat(pieces))).toBe(true);
    expect(out.map((c) => c.length)).toEqual([128 * 1024, 128 * 1024, 64 * 1024]);
  });

  it("passes the HTTP client's body pieces on as they are, without copying them", async () => {
    const pieces = piecesOf(STREAM_PIECE, 4);
    const out = await readAll(pieces);
    expect(out).toHaveLength(4);
    out.forEach((chunk, i) => expect(chunk).toBe(pieces[i]));
  });
});
