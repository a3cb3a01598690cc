import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localFiles, localPath, openSource } from '../../src/backup/file-stream.js';
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
