// Bundles the CLI into dist/ with esbuild. Code splitting keeps heavy modules (S3, pg) in chunks
// that load only when a command needs them, which matters for archive-push start-up.
// The bundle is built beside dist/ and swapped in, so a CLI already running keeps its chunks.
// It also compiles the optional native LZ4 frame codec (native/lz4f.c) when this machine has a C
// compiler and liblz4's headers; without them the CLI uses lz4-napi (see src/io/lz4-native.ts).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
buildLz4Addon(new URL('./lz4f.node', `${next.href}/`).pathname);
try {
  renameSync(new URL('./dist', root), old);
} catch {
  // first build
}
renameSync(next, new URL('./dist', root));
rmSync(old, { recursive: true, force: true });

function buildLz4Addon(out) {
  const nodeInclude = join(dirname(dirname(process.execPath)), 'include', 'node');
  const missing = [
    [join(nodeInclude, 'node_api.h'), "Node's headers"],
    ['/usr/include/lz4frame.h', 'liblz4 headers (Debian: liblz4-dev)'],
  ].filter(([f]) => !existsSync(f));
  if (missing.length > 0) {
    console.log(`build: native lz4 codec skipped, no ${missing.map(([, what]) => what).join(' or ')}; using lz4-napi`);
    return;
  }
  try {
    execFileSync('cc', ['-O2', '-fPIC', '-shared', '-Wall', '-DLZ4F_STATIC_LINKING_ONLY', `-I${nodeInclude}`,
      new URL('./native/lz4f.c', root).pathname, '-llz4', '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    console.log(`build: native lz4 codec not built (${String(e.stderr ?? e.message).trim().split('\n')[0]}); using lz4-napi`);
  }
}
