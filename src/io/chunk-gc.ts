import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps dead chunk buffers from piling up while files stream.
 *
 * Each chunk of a copy is a buffer in native memory: the 1 MiB read buffer, a codec's output, a
 * network read gathered into one piece. V8 counts that memory as "external" and only collects it
 * once about 64 MB more of it has built up since the last full collection, because the small
 * JavaScript objects that own the buffers never fill the young generation. A one-process backup
 * therefore peaked at about 64 MB of dead buffers on top of its real use (117 MB against
 * pgBackRest's 32 MB). A minor collection (a scavenge, about 0.2 ms) every few MiB of chunks frees
 * them while they are still young: the peak follows what is in flight, not V8's threshold.
 *
 * Call `chunkPassed` with the size of each chunk a source produces. Each thread (V8 isolate) keeps
 * its own count, as each has its own heap.
 */

/** Chunk bytes between two minor collections. */
export const COLLECT_EVERY = 2 * 1024 * 1024;

type GcFunction = (options: { type: 'minor' | 'major' }) => void;

let pending = 0;
let gc: GcFunction | null | undefined;

export function chunkPassed(bytes: number): void {
  pending += bytes;
  if (pending < COLLECT_EVERY) return;
  pending = 0;
  (gc ??= exposeGc())?.({ type: 'minor' });
}

/**
 * V8's `gc` extension, installed in contexts created after the flag is set (null if refused).
 *
 * Also stops the young generation from growing past its initial 1 MB semi-spaces: the chunks in
 * flight at each forced scavenge survive it, and V8 reads a high survival rate as a reason to grow
 * the young generation, up to 16 MB per semi-space. A gz backup's heap grew by about 10 MB that
 * way (its stream objects), for no gain in speed. The flag is read whenever V8 considers growing,
 * so setting it now takes effect, in every thread.
 */
function exposeGc(): GcFunction | null {
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    return typeof fn === 'function' ? (fn as GcFunction) : null;
  } catch {
    return null;
  }
}
