/** Hostile input: JSON values (jsonDecode) and WAL segment headers (parseWalHeader). */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { jsonDecode } from '../../src/repo/json.js';
import { parseWalHeader } from '../../src/postgres/wal.js';
import { REPO_ROOT } from '../harness/run.js';
import { check, mustBeCleanOrPgbr, mutatedBytes, mutatedText } from './fuzz-helpers.js';

describe('jsonDecode on hostile text', () => {
  it('random strings', () => {
    check(fc.string({ maxLength: 200, unit: 'binary' }), (s) => mustBeCleanOrPgbr(() => jsonDecode(s)));
  });

  it('mutations of valid JSON', () => {
    check(fc.json({ maxDepth: 4 }).chain((j) => mutatedText(j)), (s) => mustBeCleanOrPgbr(() => jsonDecode(s)));
  });

  it('deep nesting does not overflow the stack with a foreign error', () => {
    check(fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('[', '{"a":')), ([n, open]) =>
      mustBeCleanOrPgbr(() => jsonDecode(open.repeat(n))), 20);
  });
});

describe('parseWalHeader on hostile bytes', () => {
  const page = readFileSync(join(REPO_ROOT, 'test/fixtures/postgres/pg15.wal-page'));

  it('random buffers', () => {
    check(fc.uint8Array({ maxLength: 600 }), (a) => mustBeCleanOrPgbr(() => parseWalHeader(Buffer.from(a))));
  });

  it('mutations of a real PostgreSQL 15 WAL page', () => {
    check(mutatedBytes(page.subarray(0, 512)), (b) => mustBeCleanOrPgbr(() => parseWalHeader(b)));
  });
});
