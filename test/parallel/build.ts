import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = new URL('../../', import.meta.url);

/**
 * Worker threads cannot load TypeScript, so the pool tests bundle their entries with esbuild
 * first, like build.mjs does. The output lives under node_modules/.cache so that the native
 * compression modules (kept external) resolve from it.
 */
export async function buildEntries(entries: Record<string, string>): Promise<{ dir: string; url: (name: string) => URL; remove: () => void }> {
  const cache = new URL('node_modules/.cache/', ROOT).pathname;
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'pgbr-parallel-test-'));
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, new URL(v, ROOT).pathname])),
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk/[name]-[hash]',
    external: ['pg-native', 'zstd-napi', 'lz4-napi', '@mongodb-js/zstd'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return {
    dir,
    url: (name) => pathToFileURL(join(dir, `${name}.mjs`)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
