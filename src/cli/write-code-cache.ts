/**
 * Build step (build.mjs runs it with the node that builds): `write-code-cache.cjs <bundle> [args...]`
 * writes the bundle's code cache (see cached-script.ts). V8 compiles a function when it is first
 * called, and a cache holds the functions compiled by the time it is made. Without arguments that
 * is as soon as the bundle is compiled. With them, the bundle first runs as the CLI with those
 * arguments and the cache is made as the process exits, so it also holds what that run called
 * (with `version`: the option parsing every command does).
 */
import { writeFileSync } from 'node:fs';
import { cacheContents, cacheFile, loadBundle } from './cached-script.js';

const [bundle, ...args] = process.argv.slice(2);
const loaded = loadBundle(bundle);
const write = (): void => writeFileSync(cacheFile(bundle), cacheContents(loaded));
if (args.length === 0) {
  write();
} else {
  process.argv = [process.argv[0], bundle, ...args];
  process.on('exit', write);
  loaded.run();
}
