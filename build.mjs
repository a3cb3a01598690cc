// Bundles the CLI into dist/ with esbuild, as CommonJS that runs from a V8 code cache (see
// src/cli/cached-script.ts): dist/main.cjs (the CLI) and dist/worker.cjs (a worker thread's side of
// the file pool), each one file with everything it may need, started through the launchers
// dist/pgbackrest.cjs and dist/pgbackrest-worker.cjs, which run them from `<bundle>.cache`.
// What a command does not use (the S3 driver for a posix repo, pg for archive-push) stays lazy: its
// modules are compiled into the cache but evaluated only when first imported.
// The bundle is built beside dist/ and swapped in, so a CLI already running keeps its files.
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
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.cjs' },
  sourcemap: 'linked',
  external: ['pg-native', 'zstd-napi', 'lz4-napi', '@mongodb-js/zstd'],
  // The sources are ES modules: strict throughout, and import.meta.url is the bundle's own URL.
  define: { 'import.meta.url': '__pgbrBundleUrl' },
  banner: { js: '"use strict";const __pgbrBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  // import() of a node builtin in a dependency becomes require(): code run by vm.Script has no
  // loader for import() (before Node 20.12).
  supported: { 'dynamic-import': false },
  // No comments or indentation: the CLI's bundle is 1.1 MB instead of 1.5, ASCII only (some
  // comments were not, and a UTF-8 bundle takes 7 ms to decode against 2 for latin1), and each
  // process reads and hashes less. Stack traces map back to the sources through the .map files.
  minifyWhitespace: true,
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
await build({
  ...common,
  plugins: [pgNodeStream],
  entryPoints: {
    main: 'src/cli/main.ts',
    worker: 'src/parallel/worker.ts',
    pgbackrest: 'src/cli/launch.ts',
    'pgbackrest-worker': 'src/parallel/worker-launch.ts',
  },
});
// The code caches, made by this node: one for another node version or other V8 flags is rejected
// by V8 and costs only the compile. The CLI's cache is taken after a `version` run, so it holds the
// option parsing every command runs (a bundle that cannot run `version` fails the build); the
// worker's after compiling only.
const out = (name) => new URL(`./${name}`, `${next.href}/`).pathname;
const cacheWriter = new URL('./code-cache-writer.cjs', `${new URL(`./dist.tools-${process.pid}`, root).href}/`).pathname;
await build({ ...common, outdir: undefined, outfile: cacheWriter, sourcemap: false, entryPoints: ['src/cli/write-code-cache.ts'] });
execFileSync(process.execPath, [cacheWriter, out('main.cjs'), 'version'], { stdio: ['ignore', 'ignore', 'inherit'], env: { PATH: process.env.PATH ?? '' } });
execFileSync(process.execPath, [cacheWriter, out('worker.cjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
rmSync(dirname(cacheWriter), { recursive: true, force: true });
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
