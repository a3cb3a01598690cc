// Bundles the CLI into dist/ with esbuild. Code splitting keeps heavy modules (the S3 SDK, pg)
// in chunks that load only when a command needs them, which matters for archive-push start-up.
// The bundle is built beside dist/ and swapped in, so a CLI already running keeps its chunks.
import { build } from 'esbuild';
import { renameSync, rmSync } from 'node:fs';

const root = new URL('./', import.meta.url);
const next = new URL(`./dist.build-${process.pid}`, root);
const old = new URL(`./dist.old-${process.pid}`, root);
rmSync(next, { recursive: true, force: true });
await build({
  entryPoints: { pgbackrest: 'src/cli/main.ts', 'pgbackrest-worker': 'src/parallel/worker.ts' },
  outdir: next.pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk/[name]-[hash]',
  sourcemap: 'linked',
  external: ['pg-native', 'zstd-napi', 'lz4-napi', '@mongodb-js/zstd'],
  // Some bundled CommonJS dependencies call require(); give ESM output a real one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
try {
  renameSync(new URL('./dist', root), old);
} catch {
  // first build
}
renameSync(next, new URL('./dist', root));
rmSync(old, { recursive: true, force: true });
