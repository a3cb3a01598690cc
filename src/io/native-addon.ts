import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Loads an optional native addon that build.mjs compiled into dist/ (native/*.c), or returns
 * undefined when the build could not compile it or it does not load here; callers then use their
 * JavaScript implementation.
 */
export function loadAddon<T>(file: string): T | undefined {
  // a bundle in dist/, or src/io/*.ts under the test runner
  for (const rel of [`./${file}`, `../../dist/${file}`]) {
    const url = new URL(rel, import.meta.url);
    if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) continue;
    try {
      return createRequire(import.meta.url)(fileURLToPath(url)) as T;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
