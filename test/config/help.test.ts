import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderHelp, wrap } from '../../src/config/help.js';
import { parseConfig } from '../../src/config/parse.js';
import { isPgbrError } from '../../src/error/error.js';

// Fixtures are the output of the real pgBackRest 2.45 (`pgbackrest help <command> --config=<empty file>`).
// Descriptions are our own, so the comparison covers structure: title, section titles, option names,
// the text column and the [default=...] values.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

interface Shape { title: string; sections: string[]; options: { name: string; col: number; notes: string }[]; footer: string }

function shape(text: string): Shape {
  const lines = text.trimEnd().split('\n');
  const options: Shape['options'] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {2}--(\S+)( +)/.exec(lines[i]);
    if (m === null) continue;
    let body = lines[i];
    while (i + 1 < lines.length && /^ {10,}\S/.test(lines[i + 1])) body += ' ' + lines[++i].trim();
    const notes = (/\[([^\]]*)\]$/.exec(body)?.[1] ?? '').split(', ').filter((n) => !n.startsWith('current=')).join(', ');
    options.push({ name: m[1], col: 4 + m[1].length + m[2].length, notes });
  }
  return {
    title: lines[0], sections: lines.filter((l) => /^[A-Z][a-z]+ Options:$/.test(l)), options, footer: lines[lines.length - 1],
  };
}

describe('help', () => {
  for (const cmd of ['backup', 'archive-push', 'restore', 'start']) {
    it(`'help ${cmd}' has pgBackRest 2.45's structure and defaults`, () => {
      expect(shape(renderHelp([cmd]))).toEqual(shape(fixture(`help-${cmd}.txt`)));
    });
  }

  it('general help lists the same commands in the same layout', () => {
    const names = (t: string) => t.split('\n').filter((l) => /^ {4}[a-z-]+ +\S/.test(l)).map((l) => l.slice(0, 20).trimEnd());
    const ours = renderHelp([]);
    const real = fixture('help-general.txt');
    expect(names(ours)).toEqual(names(real));
    expect(ours.split('\n').slice(0, 6)).toEqual(real.split('\n').slice(0, 6));
    expect(ours.split('\n').at(-1)).toBe(real.trimEnd().split('\n').at(-1));
  });

  it('option help ends with default and deprecated names like pgBackRest', () => {
    const ours = renderHelp(['backup', 'repo-storage-verify-tls']).split('\n');
    const real = fixture('help-backup-verify-tls.txt').trimEnd().split('\n');
    expect(ours[0]).toBe(real[0]);
    expect(ours.slice(-3)).toEqual(real.slice(-3));
  });

  it('shows current values, secrets redacted', () => {
    const cfg = parseConfig(['--no-config', '--repo1-path=/r', '--stanza=s', 'backup', '--pg1-path=/p'],
      { PGBACKREST_REPO1_CIPHER_TYPE: 'aes-256-cbc', PGBACKREST_REPO1_CIPHER_PASS: 'x' }, { execId: '1-a' });
    const text = renderHelp(['backup'], cfg);
    const col = (name: string) => `  --${name}`.padEnd(36);
    expect(text).toContain(`${col('repo-path')}repository path [current=/r,\n${' '.repeat(36)}default=/var/lib/pgbackrest]`);
    expect(text).toContain(`${col('repo-cipher-pass')}repository passphrase [current=<redacted>]`);
    expect(renderHelp(['backup', 'repo-cipher-pass'], cfg)).toMatch(/\ncurrent: <redacted>$/);
  });

  it('rejects unknown commands and options with pgBackRest errors', () => {
    const code = (f: () => unknown) => { try { f(); } catch (e) { return isPgbrError(e) ? `${e.code} ${e.message}` : 'other'; } return 'none'; };
    expect(code(() => renderHelp(['bogus']))).toBe("48 invalid command 'bogus'");
    expect(code(() => renderHelp(['backup', 'db-include']))).toBe("31 option 'db-include' is not valid for command 'backup'");
  });

  it('wraps greedily at the width', () => {
    expect(wrap('aa bb cc dd', 5, 2)).toBe('aa bb\n  cc dd');
  });
});
