import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheFile, runBundle } from '../../src/cli/cached-script.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { buildEntries } from '../parallel/build.js';

afterAll(() => removeAllTempDirs());

declare global {
  var cachedScriptTest: Record<string, unknown> | undefined;
}

/** A bundle that reports what it sees into globalThis.cachedScriptTest under `tag`. */
function bundleSource(tag: string): string {
  return [
    `globalThis.cachedScriptTest = globalThis.cachedScriptTest ?? {};`,
    `globalThis.cachedScriptTest[${JSON.stringify(tag)}] = {`,
    `  filename: __filename, dirname: __dirname, exportsIsThis: this === module.exports,`,
    `  join: require('node:path').join('a', 'b'), text: 'caf\u00e9 ${tag}',`,
    `  strict: (function () { return this === undefined; })(),`,
    `};`,
  ].join('\n');
}

/** What the bundles run so far reported (a function, so each read is a fresh one). */
const seen = (): Record<string, unknown> | undefined => globalThis.cachedScriptTest;

function writeBundle(source: string): string {
  const bundle = join(makeTempDir('pgbr-bundle-'), 'main.cjs');
  writeFileSync(bundle, source);
  return bundle;
}

describe('runBundle', () => {
  it("runs a bundle as CommonJS with its own file's require, __filename and __dirname", () => {
    const bundle = writeBundle(`"use strict";\n${bundleSource('plain')}`);
    runBundle(bundle);
    expect(seen()?.plain).toEqual({
      filename: bundle,
      dirname: join(bundle, '..'),
      exportsIsThis: true,
      join: join('a', 'b'),
      text: 'caf\u00e9 plain',
      strict: true,
    });
  });

  it('decodes an ASCII bundle and a UTF-8 one alike', () => {
    const ascii = writeBundle(`globalThis.cachedScriptTest = { s: '\\u00e9\\u4e2d' };`);
    runBundle(ascii);
    expect(seen()?.s).toBe('\u00e9\u4e2d');
    const utf8 = writeBundle(`globalThis.cachedScriptTest = { s: '\u00e9\u4e2d' };`);
    runBundle(utf8);
    expect(seen()?.s).toBe('\u00e9\u4e2d');
  });
});

describe('loadBundle, each load in a process of its own', () => {
  let child: Awaited<ReturnType<typeof buildEntries>>;
  beforeAll(async () => {
    child = await buildEntries({ 'load-bundle-child': 'test/cli/load-bundle-child.ts' });
  });
  afterAll(() => child?.remove());

  /** Loads and runs `bundle` in a new node process; `write` also writes its cache after loading. */
  const load = (bundle: string, write = false): { cacheUsed: boolean; rejected: boolean | null; seen: Record<string, unknown> } =>
    JSON.parse(execFileSync(process.execPath, [fileURLToPath(child.url('load-bundle-child')), bundle, ...(write ? ['write'] : [])], { encoding: 'utf8' }));

  it('takes the cache written for the bundle', () => {
    const bundle = writeBundle(bundleSource('cached'));
    expect(load(bundle, true)).toMatchObject({ cacheUsed: false, rejected: null });
    const second = load(bundle);
    expect(second).toMatchObject({ cacheUsed: true, rejected: false });
    expect(second.seen.cached).toMatchObject({ filename: bundle, text: 'caf\u00e9 cached' });
  });

  it("leaves out the cache of another bundle of the same length, which V8 alone would run as this one's", () => {
    const bundle = writeBundle(bundleSource('AAAA'));
    load(bundle, true);
    const cache = readFileSync(cacheFile(bundle));
    writeFileSync(bundle, bundleSource('BBBB'));
    const loaded = load(bundle);
    expect(loaded.cacheUsed).toBe(false);
    expect(Object.keys(loaded.seen)).toEqual(['BBBB']);
    // V8's own check: the same data without our header is taken, and runs the other bundle's code
    const v8Only = JSON.parse(execFileSync(process.execPath, ['-e', [
      `const vm = require('node:vm'), fs = require('node:fs');`,
      `const s = new vm.Script('(function (exports, require, module, __filename, __dirname) { ' + fs.readFileSync(process.argv[1], 'utf8') + '\\n})',`,
      `  { filename: process.argv[1], cachedData: fs.readFileSync(process.argv[2]).subarray(20) });`,
      `s.runInThisContext().call({}, {}, require, {}, process.argv[1], '');`,
      `process.stdout.write(JSON.stringify({ rejected: s.cachedDataRejected, tags: Object.keys(globalThis.cachedScriptTest) }));`,
    ].join('\n'), bundle, cacheFile(bundle)], { encoding: 'utf8' }));
    expect(v8Only).toEqual({ rejected: false, tags: ['AAAA'] });
    expect(cache.length).toBeGreaterThan(20);
  });

  it('compiles from source when the cache file is cut short or is not V8 data', () => {
    const bundle = writeBundle(bundleSource('broken'));
    load(bundle, true);
    const good = readFileSync(cacheFile(bundle));
    for (const [bad, rejected] of [[good.subarray(0, 20), null], [good.subarray(0, 10), null], [Buffer.concat([good.subarray(0, 20), Buffer.from('not a code cache')]), true]] as const) {
      writeFileSync(cacheFile(bundle), bad);
      const loaded = load(bundle);
      expect(loaded).toMatchObject({ cacheUsed: false, rejected });
      expect(loaded.seen.broken).toMatchObject({ text: 'caf\u00e9 broken' });
    }
  });
});
