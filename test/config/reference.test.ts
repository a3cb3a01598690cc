import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReference } from '../../src/config/reference.js';
import { OPTIONS } from '../../src/config/options.js';

describe('docs/reference.md', () => {
  it('is up to date (regenerate with: node scripts/gen-reference.mjs)', () => {
    expect(readFileSync(new URL('../../docs/reference.md', import.meta.url), 'utf8')).toBe(renderReference());
  });

  it('documents every public option with help text', () => {
    const text = renderReference();
    for (const o of OPTIONS) {
      expect(o.summary.length, o.name).toBeGreaterThan(3);
      expect(o.description.length, o.name).toBeGreaterThan(3);
      if (o.internal !== true) expect(text).toContain(o.group === undefined ? `| \`${o.name}\` |` : `| \`${o.group}N-${o.name}\` |`);
    }
    expect(text).toContain('| `repoN-storage-verify-tls` | boolean | y |');
  });
});
