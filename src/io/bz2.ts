import type { ChildProcessByStdio } from 'node:child_process';
import { Duplex, type Readable, type Writable } from 'node:stream';
import { err } from '../error/error.js';
import { childProcess } from '../util/child-process.js';
import { eofError } from './codec.js';

/**
 * bzip2 through the system `bzip2` program (libbz2 underneath, the same library pgBackRest links),
 * so it runs at native speed with bounded memory. Errors are mapped to pgBackRest's texts.
 */
const BZIP2 = 'bzip2';

function bz2Args(decompress: boolean, level: number): string[] {
  return decompress ? ['-dc'] : ['-c', `-${level}`];
}

/** Translates a failed bzip2 run into the error pgBackRest raises for the same input. */
function bz2Failure(decompress: boolean, stderr: string, code: number | null): Error {
  if (decompress) {
    if (/ends unexpectedly/i.test(stderr)) return eofError();
    if (/not a bzip2 file/i.test(stderr)) return err('FormatError', 'bz2 error: [-5] data error magic');
    if (/data integrity|crc/i.test(stderr)) return err('FormatError', 'bz2 error: [-4] data error');
  }
  return err('KernelError', `bzip2 failed with exit code ${code}: ${stderr.trim()}`);
}

export class Bz2Stream extends Duplex {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private stderr = '';
  private seenInput = false;
  private exit: Promise<number | null>;

  constructor(
    private readonly decompress: boolean,
    level = 9,
  ) {
    super();
    this.child = childProcess().spawn(BZIP2, bz2Args(decompress, level), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exit = new Promise((resolve) => this.child.on('close', resolve));
    this.child.on('error', (e) => this.destroy(e));
    this.child.stdin.on('error', () => undefined); // EPIPE surfaces through the exit status
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdout.on('data', (d: Buffer) => {
      if (!this.push(d)) this.child.stdout.pause();
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (chunk.length > 0) this.seenInput = true;
    if (this.child.stdin.write(chunk)) cb();
    else this.child.stdin.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.child.stdin.end();
    this.exit.then((code) => {
      if (code !== 0) return cb(bz2Failure(this.decompress, this.stderr, code));
      if (this.decompress && !this.seenInput) return cb(eofError());
      this.push(null);
      cb();
    }, cb);
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _destroy(error: Error | null, cb: (e: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    cb(error);
  }
}

export function bz2Sync(input: Buffer, decompress: boolean, level = 9): Buffer {
  if (decompress && input.length === 0) throw eofError();
  const r = childProcess().spawnSync(BZIP2, bz2Args(decompress, level), { input, maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw bz2Failure(decompress, r.stderr.toString(), r.status);
  return r.stdout;
}
