// Entry of `npm run demo`: bundles demo/demo.ts (with the test harness it reuses) with esbuild into
// node_modules/.cache, where the external packages still resolve, and runs it. The harness finds
// files next to itself (s3rver-child.cjs, the repo root) through import.meta.url, so the bundle
// keeps each source file's own URL there instead of the bundle's.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'pgbackrest.cjs'))) {
  console.error('dist/pgbackrest.cjs is missing: run `npm run build` first');
  process.exit(1);
}

const sourceImportMetaUrl = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/](test[\\/]harness|demo)[\\/][^\\/]+\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};

const outDir = join(root, 'node_modules', '.cache', 'pgbackrest-demo');
const outfile = join(outDir, `demo-${process.pid}.mjs`);
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [join(root, 'demo', 'demo.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  plugins: [sourceImportMetaUrl],
  logLevel: 'warning',
});
let demo;
try {
  demo = await import(pathToFileURL(outfile).href);
} finally {
  rmSync(outfile, { force: true });
}
process.exit(await demo.main());
