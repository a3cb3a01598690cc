/**
 * Runs a CommonJS bundle of dist/ with the V8 code cache that build.mjs wrote beside it, so a
 * process start deserializes the bundle's bytecode instead of parsing and compiling it again. Node
 * 20 has no code cache for ES modules (module.enableCompileCache came in Node 22), and its ES module
 * loader costs about 2 ms per module besides: an archive-push through ES chunks spent 60-70 ms of
 * its 0.2 s in the loader.
 *
 * The cache is `<bundle>.cache`: the SHA-1 of the bundle it was made from, then V8's data. V8
 * itself checks only the source's length, the V8 version and the flags, so bytecode of another
 * bundle of the same length would run as this one; the hash makes a cache of any other build (a
 * bundle swapped by a rebuild while a process started) count as missing. Hashing the CLI's 1.1 MB
 * bundle costs about 1.5 ms, and node:crypto is loaded by every command anyway. A missing, foreign or
 * rejected cache costs only the compile it would have saved.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** A SHA-1. */
const HEADER_BYTES = 20;

export const cacheFile = (bundle: string): string => `${bundle}.cache`;

/** The bundle's code in CommonJS's wrapper, on its first line so line numbers stay those of the file. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
}

function header(bundleBytes: Buffer): Buffer {
  return createHash('sha1').update(bundleBytes).digest();
}

/** V8's data from the cache file, or undefined when there is none for this very bundle. */
function cachedData(bundle: string, head: Buffer): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(cacheFile(bundle));
  } catch {
    return undefined;
  }
  if (data.length <= HEADER_BYTES || !data.subarray(0, HEADER_BYTES).equals(head)) return undefined;
  return data.subarray(HEADER_BYTES);
}

export interface LoadedBundle {
  /** The compiled script (createCachedData makes a cache of it). */
  script: Script;
  /** The cache header for this bundle. */
  head: Buffer;
  /** Whether a cache for this bundle was found and V8 took it. */
  cacheUsed: boolean;
  /** Runs the bundle's top level, as `require` would. */
  run: () => void;
}

/** Compiles `bundle` (an absolute path), with its cache when it has a valid one. */
export function loadBundle(bundle: string): LoadedBundle {
  const bytes = readFileSync(bundle);
  const head = header(bytes);
  const data = cachedData(bundle, head);
  // esbuild escapes non-ASCII characters in code and build.mjs drops comments; an ASCII file
  // decodes as latin1 with a plain copy (as UTF-8, 5 ms more for the CLI's bundle)
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const script = new Script(wrap(source), { filename: bundle, cachedData: data });
  const run = (): void => {
    const fn = script.runInThisContext() as (...args: unknown[]) => void;
    const module = { exports: {} };
    fn.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  };
  return { script, head, cacheUsed: data !== undefined && !script.cachedDataRejected, run };
}

/** The cache file's contents for a loaded bundle: the header, then V8's data as of now. */
export function cacheContents(loaded: LoadedBundle): Buffer {
  return Buffer.concat([loaded.head, loaded.script.createCachedData()]);
}

/** Runs `bundle` (an absolute path), from its code cache when it has a valid one. */
export function runBundle(bundle: string): void {
  loadBundle(bundle).run();
}
