import { describe, expect, it } from 'vitest';
import { applyAnnotations } from '../../src/repo/annotation.js';

describe('applyAnnotations', () => {
  it('adds and replaces keys, and an empty value removes its key', () => {
    expect(applyAnnotations({ a: '1', b: '2' }, { b: '3', c: '4', a: '' })).toEqual({ b: '3', c: '4' });
  });

  it('is undefined once no key is left, so the entry is left out', () => {
    expect(applyAnnotations({ a: '1' }, { a: '' })).toBeUndefined();
    expect(applyAnnotations(undefined, { empty: '' })).toBeUndefined();
    expect(applyAnnotations(undefined, {})).toBeUndefined();
  });

  it('leaves the current annotations as they were', () => {
    const current = { a: '1' };
    applyAnnotations(current, { a: '2', b: '3' });
    expect(current).toEqual({ a: '1' });
  });
});
