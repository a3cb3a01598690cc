import { randomBytes } from 'node:crypto';
import { err } from '../error/error.js';
import { parseArgs, type RawOption } from './cli-args.js';
import { COMMAND_ROLES, commandByName } from './commands.js';
import { loadConfigText, parseConfIni } from './config-file.js';
import type { Config } from './config.js';
import { readEnv } from './env.js';
import { fileOptions } from './file-options.js';
import { resolveName } from './names.js';
import { OPTIONS, baseName } from './options.js';
import { Resolver } from './resolve.js';
import { ResolvedConfig } from './resolved.js';
import type { OptionGroup } from './types.js';

/** `<pid>-<8 hex>`, as pgBackRest forms exec ids. */
export function newExecId(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

function splitCommand(text: string): { command: string; role?: string } {
  const [command, role, extra] = text.split(':');
  const def = commandByName(command);
  if (def === undefined || extra !== undefined || (role !== undefined && !(COMMAND_ROLES[command] ?? []).includes(role))) {
    throw err('CommandInvalidError', `invalid command '${text}'`);
  }
  return role === undefined ? { command } : { command, role };
}

function stanzaOf(cli: Map<string, RawOption>, env: Map<string, RawOption>): string | undefined {
  const raw = cli.get('stanza') ?? env.get('stanza');
  return raw?.kind === 'set' ? raw.values[0] : undefined;
}

/**
 * Parses argv (process.argv.slice(2)), PGBACKREST_* variables and the config files into a frozen
 * Config (precedence CLI > env > [stanza:command] > [stanza] > [global:command] > [global] > default).
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv, opts: { execId?: string } = {}): Config {
  const args = parseArgs(argv.length === 0 ? ['help'] : argv);
  if (args.command === undefined) throw err('CommandRequiredError', 'no command found');
  const { command, role } = splitCommand(args.command);
  if (args.params.length > 0 && commandByName(command)!.params !== true) {
    throw err('ParamInvalidError', 'command does not allow parameters');
  }
  const lenient = command === 'help' || command === 'version';
  for (const raw of args.options.values()) {
    if (!lenient && raw.res.def.commands[command] === undefined) {
      throw err('OptionInvalidError', `option '${baseName(raw.res.def)}' not valid for command '${command}'`);
    }
  }
  if (!args.options.has('exec-id')) {
    args.options.set('exec-id', { res: resolveName('exec-id')!, kind: 'set', values: [opts.execId ?? newExecId()] });
  }
  const warnings: string[] = [];
  const envOpts = readEnv(env, warnings);
  for (const [k, raw] of envOpts) if (raw.res.def.commands[command] === undefined) envOpts.delete(k);
  const sections = readConfigFiles(args.options, envOpts, lenient);
  const file = fileOptions(sections, command, stanzaOf(args.options, envOpts), warnings);
  try {
    return resolveAll({ command, role, params: args.params, cli: args.options, env: envOpts, file, lenient, warnings });
  } catch (e) {
    if (warnings.length > 0 && typeof e === 'object' && e !== null) WARNINGS.set(e, warnings);
    throw e;
  }
}

/** Warnings the config files gave before `e` stopped the parse: pgBackRest has printed them by then. */
export function warningsBefore(e: unknown): readonly string[] {
  return (typeof e === 'object' && e !== null ? WARNINGS.get(e) : undefined) ?? [];
}

const WARNINGS = new WeakMap<object, string[]>();

interface Layered {
  command: string;
  role?: string;
  params: readonly string[];
  cli: Map<string, RawOption>;
  env: Map<string, RawOption>;
  file: Map<string, RawOption>;
  lenient: boolean;
  warnings: string[];
}

function resolveAll(l: Layered): Config {
  const { command, lenient, file, warnings } = l;
  const groups = groupIndexes([l.cli, l.env, file]);
  const resolver = new Resolver({ command, cli: l.cli, env: l.env, file, lenient });
  // stanza first: pgBackRest reports a missing stanza before any stanza option
  const stanzaDef = OPTIONS.find((o) => o.name === 'stanza')!;
  if (stanzaDef.commands[command] !== undefined) resolver.resolve(stanzaDef, 0);
  for (const def of OPTIONS) {
    if (def.commands[command] === undefined) continue;
    for (const i of def.group === undefined ? [0] : groups[def.group]) resolver.resolve(def, i);
  }
  // an index counts only when one of its options took effect (pgBackRest ignores, say, repo2-s3-key
  // in the file while repo2-type is posix, and then has no repo2)
  const taken = [...resolver.entries.values()].filter((e) => e.def.group !== undefined && e.source !== 'default');
  for (const group of ['repo', 'pg'] as const) {
    const used = groups[group].filter((i) => taken.some((e) => e.def.group === group && e.key.startsWith(`${group}${i}-`)));
    groups[group] = used.length === 0 ? [1] : used;
  }
  // the deprecated compress=n stands for compress-type=none when compress-type is not given; with
  // both given compress-type wins, and the notice warns of it after the begin line
  const notices: string[] = [];
  const compress = resolver.entries.get('compress');
  const compressType = resolver.entries.get('compress-type');
  if (compress !== undefined && compress.source !== 'default' && compressType !== undefined) {
    if (compressType.source !== 'default') {
      notices.push("'compress' and 'compress-type' options should not both be set\nHINT: 'compress-type' is preferred and 'compress' is deprecated.");
    } else if (compress.value === false) {
      resolver.entries.set('compress-type', { ...compressType, value: 'none', source: compress.source });
    }
  }
  // --repo names one of the configured repositories (pgBackRest checks the key while parsing)
  const repo = resolver.entries.get('repo');
  if (repo?.value !== undefined && repo.source !== 'default' && !groups.repo.includes(repo.value as number)) {
    throw err('OptionInvalidValueError', `key '${repo.raw?.values[0] ?? String(repo.value)}' is not valid for 'repo' option`);
  }
  return new ResolvedConfig(command, l.role, [...l.params], resolver.entries, groups, warnings, notices);
}

/**
 * The config files' sections. help and version, which pgBackRest answers without a usable
 * configuration, take unreadable or malformed files as empty.
 */
function readConfigFiles(cli: Map<string, RawOption>, env: Map<string, RawOption>, lenient: boolean): ReturnType<typeof parseConfIni> {
  try {
    return parseConfIni(loadConfigText(cli, env));
  } catch (e) {
    if (!lenient) throw e;
    return new Map();
  }
}

/** Indexes set anywhere for each group, ascending; [1] when none. */
function groupIndexes(layers: Map<string, RawOption>[]): Record<OptionGroup, number[]> {
  const seen: Record<OptionGroup, Set<number>> = { repo: new Set(), pg: new Set() };
  for (const layer of layers) {
    for (const { res } of layer.values()) if (res.def.group !== undefined) seen[res.def.group].add(res.index);
  }
  const list = (s: Set<number>): number[] => (s.size === 0 ? [1] : [...s].sort((a, b) => a - b));
  return { repo: list(seen.repo), pg: list(seen.pg) };
}
