/**
 * Hostile input: info files and manifests. Raw mutations of real pgBackRest 2.45 samples mostly
 * stop at the checksum; re-signed mutations (values and keys changed, then rendered with a valid
 * checksum by renderInfo) reach the decoders behind it.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { parseInfo, renderInfo, type InfoSections } from '../../src/repo/ini.js';
import { parseArchiveInfo } from '../../src/repo/archive-info.js';
import { parseBackupInfo } from '../../src/repo/backup-info.js';
import { parseManifest } from '../../src/repo/manifest.js';
import { SPEC_SAMPLES } from '../harness/spec.js';
import { check, mustBeCleanOrPgbr, mutatedText } from './fuzz-helpers.js';

const SAMPLES: [string, (t: string) => unknown][] = [
  ['archive.info', parseArchiveInfo],
  ['backup.info', parseBackupInfo],
  ['multi-backup.info', parseBackupInfo],
  ['full.backup.manifest', parseManifest],
  ['incr.backup.manifest', parseManifest],
];

/** JSON-ish values a decoder may meet where it expects something else. */
const hostileValue = fc.oneof(
  fc.constantFrom('null', 'true', '0', '-1', '1e999', '18446744073709551616', '""', '"../../etc"', '"/abs"', '[]', '{}',
    '{"a":1}', '"x"', '[1,"2",null]', '"\\u0000"', '99999999999999999999999', '1.5'),
  fc.json({ maxDepth: 2 }),
);

/** One structural edit of the sections, re-signed by renderInfo. */
function resigned(base: InfoSections): fc.Arbitrary<string> {
  const names = [...base.keys()];
  return fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 3 }), hostileValue, fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 4 })
    .map((edits) => {
      const s: InfoSections = new Map([...base].map(([k, v]) => [k, new Map(v)]));
      for (const [si, ki, kind, value, name] of edits) {
        const sec = s.get(names[si % names.length]);
        if (sec === undefined) continue;
        const keys = [...sec.keys()];
        const key = keys[ki % Math.max(1, keys.length)];
        if (kind === 0 && key !== undefined) sec.set(key, value);
        else if (kind === 1 && key !== undefined) sec.delete(key);
        else if (kind === 2 && name !== '' && !name.includes('=') && !name.includes('\n')) sec.set(name, value);
        else s.delete(names[si % names.length]);
      }
      return renderInfo(s);
    });
}

describe.each(SAMPLES)('%s with hostile edits', (file, parse) => {
  const text = readFileSync(join(SPEC_SAMPLES, file), 'utf8');

  it('raw text mutations', () => {
    check(mutatedText(text), (t) => mustBeCleanOrPgbr(() => parse(t)));
  });

  it('re-signed value and key mutations', () => {
    check(resigned(parseInfo(text).sections), (t) => mustBeCleanOrPgbr(() => parse(t)));
  });
});
