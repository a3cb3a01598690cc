import { err } from '../error/error.js';
import { addRaw, type RawOption } from './cli-args.js';
import type { IniEntry } from './config-file.js';
import { resolveWithPrefix } from './names.js';

/**
 * Options from config file sections for one command, highest precedence first:
 * [stanza:command], [stanza], [global:command], [global]. The first section that sets a key wins.
 * Entries pgBackRest ignores produce its warnings (in section order, then file order).
 */
export function fileOptions(sections: Map<string, IniEntry[]>, command: string, stanza: string | undefined,
  warnings: string[]): Map<string, RawOption> {
  const out = new Map<string, RawOption>();
  const order = stanza === undefined ? [] : [`${stanza}:${command}`, stanza];
  order.push(`global:${command}`, 'global');
  for (const section of order) {
    const entries = sections.get(section);
    if (entries === undefined) continue;
    const found = sectionOptions(section, entries, command, warnings);
    for (const [k, v] of found) if (!out.has(k)) out.set(k, v);
  }
  return out;
}

function sectionOptions(section: string, entries: IniEntry[], command: string, warnings: string[]): Map<string, RawOption> {
  const out = new Map<string, RawOption>();
  const names = new Map<string, string>();
  const isGlobal = section === 'global' || section.startsWith('global:');
  for (const { key, value } of entries) {
    const found = resolveWithPrefix(key);
    if (found === undefined) {
      warnings.push(`configuration file contains invalid option '${key}'`);
      continue;
    }
    const { prefix, res } = found;
    if (prefix === 'set') checkDuplicate(names, res.key, key, section);
    if (prefix !== 'set') {
      warnings.push(`configuration file contains ${prefix} option '${key}'`);
      continue;
    }
    if (res.def.section === 'command-line') {
      warnings.push(`configuration file contains command-line only option '${key}'`);
      continue;
    }
    if (res.def.commands[command] === undefined) {
      if (section.includes(':')) warnings.push(`configuration file contains option '${key}' invalid for section '${section}'`);
      continue;
    }
    if (isGlobal && res.def.section === 'stanza') {
      warnings.push(`configuration file contains stanza-only option '${key}' in global section '${section}'`);
      continue;
    }
    addRaw(out, res, 'set', value);
  }
  return out;
}

/** The same option under two names (current and deprecated) in one section is an error. */
function checkDuplicate(names: Map<string, string>, resolved: string, key: string, section: string): void {
  const other = names.get(resolved);
  if (other !== undefined && other !== key) {
    const pair = [other, key].sort().map((n) => `'${n}'`).join(', ');
    throw err('OptionInvalidError', `configuration file contains duplicate options (${pair}) in section '[${section}]'`);
  }
  names.set(resolved, key);
}
