import { describe, expect, it } from 'vitest';
import { literalPrefix } from '../../src/storage/list-prefix.js';
import { BACKUP_LABEL_REGEX, WAL_HISTORY_REGEX, walSegmentStoredRegex } from '../../src/repo/layout.js';

describe('literalPrefix', () => {
  it('takes the literal start of the expressions the repo code lists with', () => {
    expect(literalPrefix(walSegmentStoredRegex('000000010000000100000002'))).toBe('000000010000000100000002-');
    expect(literalPrefix(walSegmentStoredRegex('000000010000000100000002.partial'))).toBe('000000010000000100000002.partial-');
    expect(literalPrefix(BACKUP_LABEL_REGEX)).toBe('');
    expect(literalPrefix(WAL_HISTORY_REGEX)).toBe('');
    expect(literalPrefix(/^2[0-9]{3}$/)).toBe('2');
  });

  it('stops at classes, groups, wildcards and escaped letters', () => {
    expect(literalPrefix(/^abc[0-9]/)).toBe('abc');
    expect(literalPrefix(/^abc(d)/)).toBe('abc');
    expect(literalPrefix(/^abc.d/)).toBe('abc');
    expect(literalPrefix(/^ab\dc/)).toBe('ab');
    expect(literalPrefix(/^a\.b\-c$/)).toBe('a.b-c');
    expect(literalPrefix(/^abc$/)).toBe('abc');
  });

  it('leaves out a character a quantifier makes optional or repeated', () => {
    expect(literalPrefix(/^abc?/)).toBe('ab');
    expect(literalPrefix(/^abc*/)).toBe('ab');
    expect(literalPrefix(/^abc+/)).toBe('ab');
    expect(literalPrefix(/^abc{2}/)).toBe('ab');
    expect(literalPrefix(/^a\.?b/)).toBe('a');
  });

  it('gives nothing without an anchored start, with top-level alternation or case folding', () => {
    expect(literalPrefix(/abc/)).toBe('');
    expect(literalPrefix(/^abc|^abd/)).toBe('');
    expect(literalPrefix(/^abc|xyz/)).toBe('');
    expect(literalPrefix(/^abc/i)).toBe('');
    expect(literalPrefix(/^abc/m)).toBe('');
    // Alternation inside a group or a class is fine.
    expect(literalPrefix(/^abc(d|e)/)).toBe('abc');
    expect(literalPrefix(/^abc[|]/)).toBe('abc');
    expect(literalPrefix(/^abc\|/)).toBe('abc|');
  });

  it('is a prefix of every name the expression matches', () => {
    const expressions = [
      walSegmentStoredRegex('000000010000000100000002'), /^2[0-9]{3}$/, /^abc?d/, /^a\.b(c|d)+e/, /^x[|]y/, /^ab{0}c/,
      /^00000001\.history$/, /^a\\b/,
    ];
    const names = [
      '000000010000000100000002-' + 'a'.repeat(40), '000000010000000100000002-' + 'a'.repeat(40) + '.gz', '2024', '2999',
      'abd', 'abcd', 'a.bcde', 'a.bdcce', 'x|y', 'ac', 'abc', '00000001.history', 'a\\b',
    ];
    for (const re of expressions) {
      const matching = names.filter((name) => re.test(name));
      expect(matching.length, String(re)).toBeGreaterThan(0);
      for (const name of matching) expect(name.startsWith(literalPrefix(re)), `${re} ${name}`).toBe(true);
    }
  });
});
