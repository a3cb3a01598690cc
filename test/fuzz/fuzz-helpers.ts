import fc from 'fast-check';
import { expect } from 'vitest';
import { PgbrError } from '../../src/error/error.js';
import { ERROR_CODES } from '../../src/error/catalogue.js';

/**
 * Shared by the hostile-input fuzzers. `npm test` runs FUZZ_RUNS (default 200) seeded cases per
 * property; `npm run fuzz` (scripts/fuzz.mjs) runs many more with a fresh or given FUZZ_SEED.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 200);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20230945);
/** A parser taking this long on one small input is treated as a hang. */
export const CASE_LIMIT_MS = Number(process.env.FUZZ_CASE_LIMIT_MS ?? 1_000);

const CODES = new Set<number>(Object.values(ERROR_CODES));

/**
 * Runs `fn` on one input: it may return, or throw a PgbrError with a catalogue code; any other
 * exception, or a run over CASE_LIMIT_MS, fails the property (fast-check then shrinks the input).
 */
export function mustBeCleanOrPgbr(fn: () => unknown): void {
  const start = performance.now();
  try {
    fn();
  } catch (e) {
    if (!(e instanceof PgbrError)) throw new Error(`not a PgbrError: ${String((e as Error)?.stack ?? e)}`);
    if (!CODES.has(e.code)) throw new Error(`error code ${e.code} is not in the catalogue`);
  }
  const ms = performance.now() - start;
  if (ms > CASE_LIMIT_MS) throw new Error(`took ${ms.toFixed(0)} ms`);
}

/** fc.assert with the suite's seed and run count; prints the seed on failure for replay. */
export function check<T>(arb: fc.Arbitrary<T>, fn: (v: T) => void, runs = FUZZ_RUNS): void {
  const r = fc.check(fc.property(arb, fn), { numRuns: runs, seed: FUZZ_SEED });
  expect(r.failed ? fc.defaultReportMessage(r) : null).toBeNull();
}

/** Random edits of a text: replace, insert or delete characters, or duplicate/drop whole lines. */
export function mutatedText(base: string): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), text: fc.string({ maxLength: 8, unit: 'binary' }) }),
    fc.record({ kind: fc.constant('del' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('line' as const), at: fc.nat(), dup: fc.boolean() }),
    fc.record({ kind: fc.constant('tok' as const), at: fc.nat(), text: fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '=', '\n', '\\', '\\u', 'null', '-', '1e999', '\u0000', '[backrest]', '../', '/') }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let s = base;
    for (const e of edits) {
      const at = s.length === 0 ? 0 : e.at % (s.length + 1);
      if (e.kind === 'set' || e.kind === 'tok') s = s.slice(0, at) + e.text + s.slice(at + (e.kind === 'set' ? e.text.length : 0));
      else if (e.kind === 'del') s = s.slice(0, at) + s.slice(at + e.len);
      else {
        const lines = s.split('\n');
        const i = lines.length === 0 ? 0 : e.at % lines.length;
        if (e.dup) lines.splice(i, 0, lines[i]);
        else lines.splice(i, 1);
        s = lines.join('\n');
      }
    }
    return s;
  });
}

/** Random byte edits of a buffer. */
export function mutatedBytes(base: Buffer): fc.Arbitrary<Buffer> {
  return fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).chain((edits) =>
    fc.nat({ max: base.length }).map((cut) => {
      const b = Buffer.from(base);
      for (const [at, v] of edits) b[at % b.length] = v;
      return edits.length % 3 === 0 ? b.subarray(0, cut) : b;
    }),
  );
}
