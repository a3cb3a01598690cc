import { err } from '../error/error.js';
import { PROJECT, VERSION } from '../version.js';
import { COMMANDS, commandByName } from './commands.js';
import type { Config } from './config.js';
import { resolveName } from './names.js';
import { OPTIONS, baseName } from './options.js';
import type { HelpSection, TableOption } from './table.js';
import type { CommandDef, OptionValue } from './types.js';

const WIDTH = 80;
const EXE = 'pgbackrest';
const SECTIONS: readonly [HelpSection, string][] = [
  ['command', 'Command Options'], ['general', 'General Options'], ['log', 'Log Options'],
  ['repository', 'Repository Options'], ['stanza', 'Stanza Options'],
];

/** Greedy word wrap; continuation lines get `indent` spaces. */
export function wrap(text: string, width: number, indent = 0): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const paragraphs = (text: string): string => text.split('\n\n').map((p) => wrap(p, WIDTH)).join('\n\n');
const listSummary = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1).replace(/\.$/, '');
const showValue = (v: OptionValue): string =>
  typeof v === 'boolean' ? (v ? 'y' : 'n') : Array.isArray(v) ? v.join(', ') :
    typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k}=${x}`).join(', ') : String(v);

/** Help visible options of a command. */
function visible(command: string): TableOption[] {
  return OPTIONS.filter((o) => o.internal !== true && o.commands[command] !== undefined && o.commands[command].internal !== true);
}

function defaultOf(def: TableOption, command: string): string | undefined {
  const d = def.commands[command]?.default ?? def.default ?? def.defaultNote;
  return d === undefined ? undefined : def.type === 'boolean' ? (d === 'y' ? 'y' : 'n') : d;
}

function currentOf(def: TableOption, cfg: Config | undefined): string | undefined {
  if (cfg === undefined) return undefined;
  const key = def.group === undefined ? def.name : `${def.group}1-${def.name}`;
  const v = cfg.get(key);
  if (v === undefined || cfg.source(key) === 'default') return undefined;
  return def.secure === true ? '<redacted>' : showValue(v);
}

function generalHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const cmds = COMMANDS.map((c) => `    ${c.name.padEnd(w)}${c.summary}`);
  return [`${PROJECT} ${VERSION} - General help`, '', 'Usage:', `    ${EXE} [options] [command]`, '', 'Commands:', ...cmds, '',
    `Use '${EXE} help [command]' for more information.`].join('\n');
}

function commandHelp(cmd: CommandDef, cfg: Config | undefined): string {
  const out = [`${PROJECT} ${VERSION} - '${cmd.name}' command help`, '', paragraphs(cmd.summary), '', paragraphs(cmd.description)];
  const opts = visible(cmd.name);
  if (opts.length === 0) return out.join('\n');
  const col = Math.max(...opts.map((o) => baseName(o).length)) + 6;
  for (const [section, title] of SECTIONS) {
    const list = opts.filter((o) => o.help === section);
    if (list.length === 0) continue;
    out.push('', `${title}:`, '');
    for (const o of list) {
      const notes = [];
      const cur = currentOf(o, cfg);
      if (cur !== undefined) notes.push(`current=${cur}`);
      const d = defaultOf(o, cmd.name);
      if (d !== undefined) notes.push(`default=${d}`);
      const text = listSummary(o.summary) + (notes.length > 0 ? ` [${notes.join(', ')}]` : '');
      out.push(`  --${baseName(o)}`.padEnd(col) + wrap(text, WIDTH - col, col));
    }
  }
  out.push('', `Use '${EXE} help ${cmd.name} [option]' for more information.`);
  return out.join('\n');
}

function optionHelp(cmd: CommandDef, name: string, cfg: Config | undefined): string {
  let def: TableOption | undefined;
  try {
    def = resolveName(name)?.def;
  } catch {
    def = OPTIONS.find((o) => baseName(o) === name);
  }
  if (def === undefined || def.commands[cmd.name] === undefined) {
    throw err('OptionInvalidError', `option '${name}' is not valid for command '${cmd.name}'`);
  }
  const out = [`${PROJECT} ${VERSION} - '${cmd.name}' command - '${baseName(def)}' option help`, '', paragraphs(def.summary), '',
    paragraphs(def.description)];
  const values = [];
  const cur = currentOf(def, cfg);
  if (cur !== undefined) values.push(`current: ${cur}`);
  const d = defaultOf(def, cmd.name);
  if (d !== undefined) values.push(`default: ${d}`);
  if (values.length > 0) out.push('', ...values);
  const old = [...new Set((def.deprecated ?? []).filter((n) => n.includes('?')).map((n) => n.replace('?', '')))].sort();
  if (old.length > 0) out.push('', `deprecated names: ${old.join(', ')}`);
  return out.join('\n');
}

/** Text of `help`, `help <command>` or `help <command> <option>` (no trailing newline). */
export function renderHelp(params: readonly string[], cfg?: Config): string {
  if (params.length === 0) return generalHelp();
  const cmd = commandByName(params[0]);
  if (cmd === undefined || params.length > 2) throw err('CommandInvalidError', `invalid command '${params[0]}'`);
  return params.length === 1 ? commandHelp(cmd, cfg) : optionHelp(cmd, params[1], cfg);
}
