/**
 * The literal text every name matching `expression` starts with, so an object store can list
 * only keys with that prefix (`^000000010000000100000002-[0-9a-f]{40}…` needs one key, not the
 * 256 of its directory). pgBackRest narrows its S3 listings the same way. '' when the expression
 * does not pin a start: no `^`, a top-level `|`, or a flag that changes what a letter matches.
 * The caller still tests every name against the expression; this only has to be safe, never
 * longer than what a match must start with.
 */
export function literalPrefix(expression: RegExp): string {
  const src = expression.source;
  if (!src.startsWith('^') || /[im]/.test(expression.flags) || hasTopLevelAlternation(src)) return '';
  let out = '';
  let i = 1;
  while (i < src.length) {
    const c = src[i]!;
    let literal: string;
    let next: number;
    if (c === '\\') {
      const e = src[i + 1];
      // An escaped letter or digit is a class (\d, \w), a back-reference or a code escape.
      if (e === undefined || /[0-9A-Za-z]/.test(e)) break;
      literal = e;
      next = i + 2;
    } else if ('^$.|?*+()[]{}'.includes(c)) {
      break;
    } else {
      literal = c;
      next = i + 1;
    }
    // A quantifier after it makes this character optional or repeated: it is not part of the prefix.
    if (next < src.length && '?*+{'.includes(src[next]!)) break;
    out += literal;
    i = next;
  }
  return out;
}

/** True when `|` appears outside any group and character class. */
function hasTopLevelAlternation(src: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}
