/**
 * Loads a bundle in a process of its own (test/cli/cached-script.test.ts, the launcher test): a
 * script compiled twice in one process comes from V8's in-memory compilation cache, and its code
 * cache is then neither consumed nor rejected. `load-bundle-child <bundle> [write|check]` prints
 * what it found; `write` also writes the cache after loading, `check` does not run the bundle.
 */
import { writeFileSync } from 'node:fs';
import { cacheContents, cacheFile, loadBundle } from '../../src/cli/cached-script.js';

const [bundle, mode] = process.argv.slice(2);
const loaded = loadBundle(bundle);
if (mode === 'write') writeFileSync(cacheFile(bundle), cacheContents(loaded));
if (mode !== 'check') loaded.run();
const seen = (globalThis as { cachedScriptTest?: unknown }).cachedScriptTest;
process.stdout.write(JSON.stringify({ cacheUsed: loaded.cacheUsed, rejected: loaded.script.cachedDataRejected ?? null, seen }));
