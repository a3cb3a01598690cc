// Bundles the CLI into dist/ with esbuild. Code splitting keeps heavy modules (the S3 SDK, pg)
// in chunks that load only when a command needs them, which matters for archive-push start-up.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { pgbackrest: 'src/cli/main.ts', 'pgbackrest-worker': 'src/parallel/worker.ts' },
  outdir: 'dist',
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
