import { writeSync } from 'node:fs';

/**
 * Write the whole string to a file descriptor synchronously. stdout/stderr may be non-blocking pipes,
 * where writeSync can write part of the data or fail with EAGAIN while the reader catches up.
 */
export function writeAllSync(fd: number, text: string): void {
  let buf = Buffer.from(text, 'utf8');
  while (buf.length > 0) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
