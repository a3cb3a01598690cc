// Entry of `npm run bench`: bundles bench/main.ts (and the test harness it imports) with esbuild,
// snapshots dist/ so a rebuild elsewhere cannot change the CLI mid-run, then runs the bundle.
// Everything generated lands in bench/results/.build (git-ignored).
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'results', '.build');
if (!existsSync(join(root, 'dist', 'pgbackrest.cjs'))) {
  console.error('dist/pgbackrest.cjs is missing: run `npm run build` first');
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(root, 'dist'), join(out, 'dist'), { recursive: true });
// users run bin/pgbackrest (its `#!` line passes node options); it imports ../dist
cpSync(join(root, 'bin'), join(out, 'bin'), { recursive: true });
// s3.ts finds its child script next to itself, which after bundling means next to bench.mjs.
cpSync(join(root, 'test', 'harness', 's3rver-child.cjs'), join(out, 's3rver-child.cjs'));
await build({
  entryPoints: [join(root, 'bench', 'main.ts')],
  outfile: join(out, 'bench.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
process.env.BENCH_ROOT = root;
process.env.BENCH_OUR_CLI = join(out, 'bin', 'pgbackrest');
await import(pathToFileURL(join(out, 'bench.mjs')).href);
