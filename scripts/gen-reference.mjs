// Regenerates docs/reference.md from the option/command table: bundles src/config/reference.ts in
// memory with esbuild, imports it and writes the result. Usage: node scripts/gen-reference.mjs
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const out = await build({
  entryPoints: [new URL('src/config/reference.ts', root).pathname],
  bundle: true, platform: 'node', format: 'esm', write: false,
});
const mod = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
writeFileSync(new URL('docs/reference.md', root), mod.renderReference());
