import { PROJECT, VERSION } from '../version.js';
import { COMMANDS } from './commands.js';
import { OPTIONS } from './options.js';
import type { TableOption } from './table.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

function display(def: TableOption): string {
  return def.group === undefined ? def.name : `${def.group}N-${def.name}`;
}

function commandsOf(def: TableOption): string {
  return Object.entries(def.commands)
    .map(([c, r]) => {
      const notes = [r.internal ? 'internal' : '', r.required ? 'required' : '', r.default !== undefined ? `default ${r.default}` : '',
        r.allow !== undefined ? `allows ${r.allow.join('/')}` : ''].filter((n) => n !== '');
      return notes.length === 0 ? c : `${c} (${notes.join(', ')})`;
    })
    .join(', ');
}

function values(def: TableOption): string {
  const parts = [];
  if (def.allow !== undefined) parts.push(`one of ${def.allow.join(', ')}`);
  if (def.range !== undefined) parts.push(`range ${def.range[0]}..${def.range[1]}`);
  return parts.join('; ');
}

function optionRow(def: TableOption): string {
  const dflt = def.default ?? (def.defaultNote !== undefined ? `(${def.defaultNote})` : '');
  const flags = [def.secure ? 'secret' : '', def.beta ? 'beta' : '', def.required === false ? 'optional' : ''].filter((f) => f !== '');
  return `| \`${display(def)}\` | ${def.type} | ${cell(dflt)} | ${cell(values(def))} | ${def.section} | ${cell(commandsOf(def))} | ` +
    `${flags.join(', ')} | ${(def.deprecated ?? []).join(', ')} | ${cell(`${def.summary} ${def.description}`)} |`;
}

/** docs/reference.md: every command and every (non-internal) option, generated from the table. */
export function renderReference(): string {
  const lines = [
    `# ${PROJECT} ${VERSION} compatible command and option reference`, '',
    'Generated from `src/config` by `renderReference()`; do not edit. Regenerate with `node scripts/gen-reference.mjs`.', '',
    '## Commands', '', '| command | parameters | summary | description |', '|---|---|---|---|',
    ...COMMANDS.map((c) => `| \`${c.name}\` | ${c.params ? 'yes' : 'no'} | ${cell(c.summary)} | ${cell(c.description)} |`),
    '', '## Options', '',
    '`repoN-`/`pgN-` options are indexed (N = 1..256). "set in": `global` = any config section, `stanza` = stanza ' +
    'sections only, `command-line` = command line or environment only. Options without a default and not marked ' +
    'optional are required by the commands that accept them. Values: sizes in bytes with units b/k/m/g/t/p (powers of ' +
    '1024), times in seconds.', '',
    '| option | type | default | values | set in | commands | flags | deprecated names | help |',
    '|---|---|---|---|---|---|---|---|---|',
    ...OPTIONS.filter((o) => o.internal !== true).map(optionRow),
    '',
  ];
  return lines.join('\n');
}
