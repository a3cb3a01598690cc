import { err } from '../error/error.js';
import { resolveWithPrefix, type Prefix, type ResolvedName } from './names.js';

/** One option key as given on the command line (or in the environment). */
export interface RawOption {
  readonly res: ResolvedName;
  kind: Prefix;
  values: string[];
}

export interface ParsedArgs {
  command?: string;
  readonly params: string[];
  readonly options: Map<string, RawOption>;
}

const SECRET_HINTS = [
  'this option could expose secrets in the process list.',
  'specify the option in a configuration file or an environment variable instead.',
];

const CONFLICT: Record<string, string> = {
  'set+set': 'cannot be set multiple times', 'negate+negate': 'is negated multiple times',
  'reset+reset': 'is reset multiple times', 'negate+set': 'cannot be set and negated',
  'reset+set': 'cannot be set and reset', 'negate+reset': 'cannot be negated and reset',
};

/** Records one occurrence; list/hash options may repeat, anything else only once. */
export function addRaw(map: Map<string, RawOption>, res: ResolvedName, kind: Prefix, value: string | undefined): void {
  const prior = map.get(res.key);
  if (prior === undefined) {
    map.set(res.key, { res, kind, values: value === undefined ? [] : [value] });
    return;
  }
  const multi = res.def.type === 'list' || res.def.type === 'hash';
  if (prior.kind === 'set' && kind === 'set' && multi) {
    if (value !== undefined) prior.values.push(value);
    return;
  }
  const why = CONFLICT[[prior.kind, kind].sort().join('+')];
  throw err('OptionInvalidError', `option '${res.key}' ${why}`);
}

/** Splits argv into command, parameters and options (`--name=value`, `--name value`, `--no-x`, `--reset-x`). */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { params: [], options: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) {
      if (out.command === undefined) out.command = arg;
      else out.params.push(arg);
      continue;
    }
    // pgBackRest takes every argument that starts with a dash for an option
    if (!arg.startsWith('--')) throw err('OptionInvalidError', `option '${arg}' must begin with --`);
    if (arg.startsWith('---')) throw err('OptionInvalidError', `option '${arg.slice(2)}' cannot begin with a dash`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let value = eq < 0 ? undefined : arg.slice(eq + 1);
    const found = resolveWithPrefix(name);
    if (found === undefined) throw err('OptionInvalidError', `invalid option '${arg}'`);
    let { prefix } = found;
    const { res } = found;
    const def = res.def;
    if (prefix === 'negate' && !((def.type === 'boolean' && def.section !== 'command-line') || def.negate === true)) {
      throw err('OptionInvalidError', `option '${name}' cannot be negated`);
    }
    if (prefix === 'reset' && def.section === 'command-line') throw err('OptionInvalidError', `option '${name}' cannot be reset`);
    if (prefix !== 'set' && value !== undefined) throw err('OptionInvalidError', `option '${name}' does not allow an argument`);
    if (prefix === 'set' && def.type === 'boolean') {
      if (value !== undefined && value !== 'y' && value !== 'n') {
        throw err('OptionInvalidValueError', `boolean option '--${name}' argument must be 'y' or 'n'`);
      }
      if (value === 'n') prefix = 'negate';
      value = undefined;
    } else if (prefix === 'set' && value === undefined) {
      if (i + 1 >= argv.length) throw err('OptionInvalidError', `option '--${name}' requires an argument`);
      value = argv[++i];
    }
    if (prefix === 'set' && def.secure === true) {
      throw err('OptionInvalidError', `option '${res.key}' is not allowed on the command-line`, { hints: SECRET_HINTS });
    }
    addRaw(out.options, res, prefix, value);
  }
  return out;
}
