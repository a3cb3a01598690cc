// Bundles the CLI into dist/ with esbuild. Code splitting keeps heavy modules (S3, pg) in chunks
// that load only when a command needs them, which matters for archive-push start-up.
// The bundle is built beside dist/ and swapped in, so a CLI already running keeps its chunks.
// It also compiles the optional native addons when this machine has a C compiler (and, for the LZ4
// frame codec native/lz4f.c, liblz4's headers): without lz4f.node the CLI uses lz4-napi (see
// src/io/lz4-native.ts), without page-checksum.node (native/page-checksum.c) JavaScript checksums,
// without writeback.node (native/writeback.c) no early writeback of restored files, without gz.node
// (native/gz.c, on the zlib inside node itself) node:zlib's gzip and gunzip streams.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('./', import.meta.url);
const next = new URL(`./dist.build-${process.pid}`, root);
const old = new URL(`./dist.old-${process.pid}`, root);
rmSync(next, { recursive: true, force: true });
const common = {
  outdir: next.pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked',
  external: ['pg-native', 'zstd-napi', 'lz4-napi', '@mongodb-js/zstd'],
  // Some bundled CommonJS dependencies call require(); give ESM output a real one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
};
// pg's lib/stream.js decides at load time whether it runs in Cloudflare Workers by building a
// Response, which loads undici (40-50 ms of CPU); src/postgres/pg-stream.ts is its Node half.
const pgNodeStream = {
  name: 'pg-node-stream',
  setup(b) {
    b.onResolve({ filter: /^\.\/stream$/ }, (args) =>
      /[\\/]node_modules[\\/]pg[\\/]lib[\\/]/.test(args.importer) ? { path: new URL('./src/postgres/pg-stream.ts', root).pathname } : undefined);
  },
};
await build({ ...common, plugins: [pgNodeStream], entryPoints: { pgbackrest: 'src/cli/main.ts' }, chunkNames: 'chunk/[name]-[hash]' });
// The worker thread entry is bundled on its own, so everything it imports up front is one file: a
// thread shares no module with the main thread anyway, and Node's ESM loader costs about 2 ms of CPU
// per module it resolves and links (13 shared chunks: 22 ms more per thread at each backup and
// restore). What it imports on demand (the S3 driver) still comes in chunks of its own.
await build({ ...common, entryPoints: { 'pgbackrest-worker': 'src/parallel/worker.ts' }, chunkNames: 'chunk/worker-[name]-[hash]' });
const out = (name) => new URL(`./${name}`, `${next.href}/`).pathname;
buildAddon({ what: 'native lz4 codec', fallback: 'lz4-napi', source: 'native/lz4f.c', out: out('lz4f.node'),
  headers: [['/usr/include/lz4frame.h', 'liblz4 headers (Debian: liblz4-dev)']], flags: ['-O2', '-DLZ4F_STATIC_LINKING_ONLY'], libs: ['-llz4'] });
buildAddon({ what: 'native page checksums', fallback: 'the JavaScript ones', source: 'native/page-checksum.c', out: out('page-checksum.node'),
  headers: [], flags: ['-O3'], libs: [] });
buildAddon({ what: 'native gz codec', fallback: "node:zlib's streams", source: 'native/gz.c', out: out('gz.node'),
  headers: [], flags: ['-O2'], libs: [] });
buildAddon({ what: 'native writeback hint', fallback: 'fsync alone', source: 'native/writeback.c', out: out('writeback.node'),
  headers: [], flags: ['-O2'], libs: [] });
try {
  renameSync(new URL('./dist', root), old);
} catch {
  // first build
}
renameSync(next, new URL('./dist', root));
rmSync(old, { recursive: true, force: true });

function buildAddon({ what, fallback, source, out, headers, flags, libs }) {
  const nodeInclude = join(dirname(dirname(process.execPath)), 'include', 'node');
  const missing = [[join(nodeInclude, 'node_api.h'), "Node's headers"], ...headers].filter(([f]) => !existsSync(f));
  if (missing.length > 0) {
    console.log(`build: ${what} skipped, no ${missing.map(([, name]) => name).join(' or ')}; using ${fallback}`);
    return;
  }
  try {
    execFileSync('cc', [...flags, '-fPIC', '-shared', '-Wall', `-I${nodeInclude}`, new URL(`./${source}`, root).pathname, ...libs, '-o', out],
      { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    console.log(`build: ${what} not built (${String(e.stderr ?? e.message).trim().split('\n')[0]}); using ${fallback}`);
  }
}
