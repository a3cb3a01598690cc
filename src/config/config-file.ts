import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { err } from '../error/error.js';
import type { RawOption } from './cli-args.js';

export interface IniEntry {
  readonly key: string;
  readonly value: string;
}

/**
 * INI of config files: sections in file order, repeated sections merged, entries in order. Each
 * file is read on its own, as pgBackRest validates each before joining them: line numbers count
 * within the file, and a file's keys need a section of their own. Only ASCII white space is
 * trimmed: a byte order mark is not white space to pgBackRest.
 */
export function parseConfIni(files: string | readonly string[]): Map<string, IniEntry[]> {
  const sections = new Map<string, IniEntry[]>();
  for (const text of typeof files === 'string' ? [files] : files) parseOne(text, sections);
  return sections;
}

const trimAscii = (s: string): string => s.replace(/^[ \t\r\n\v\f]+|[ \t\r\n\v\f]+$/g, '');

function parseOne(text: string, sections: Map<string, IniEntry[]>): void {
  let current: IniEntry[] | undefined;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = trimAscii(lines[n]!);
    if (line === '' || line.startsWith('#')) continue;
    const at = `at line ${n + 1}: ${line}`;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw err('FormatError', `ini section should end with ] ${at}`);
      const name = line.slice(1, -1);
      if (name === '') throw err('FormatError', `invalid empty section ${at}`);
      current = sections.get(name) ?? [];
      sections.set(name, current);
      continue;
    }
    if (current === undefined) throw err('FormatError', `key/value found outside of section ${at}`);
    const eq = line.indexOf('=');
    if (eq < 0) throw err('FormatError', `missing '=' in key/value ${at}`);
    const key = trimAscii(line.slice(0, eq));
    if (key === '') throw err('FormatError', `key is zero-length ${at}`);
    current.push({ key, value: trimAscii(line.slice(eq + 1)) });
  }
}

export const DEFAULT_CONFIG_PATH = '/etc/pgbackrest';
const CONFIG_FILE = 'pgbackrest.conf';
const INCLUDE_DIR = 'conf.d';
const OLD_DEFAULT_CONFIG = '/etc/pgbackrest.conf';

function cliOrEnv(name: string, cli: Map<string, RawOption>, env: Map<string, RawOption>): RawOption | undefined {
  return cli.get(name) ?? env.get(name);
}

function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw err('FileMissingError', `unable to open missing file '${path}' for read`);
    throw err('FileOpenError', `unable to open file '${path}' for read: ${(e as Error).message}`);
  }
}

/**
 * Texts of the main config file and the sorted *.conf include files, following pgBackRest's rules
 * for --config, --config-path, --config-include-path and --no-config.
 */
export function loadConfigText(cli: Map<string, RawOption>, env: Map<string, RawOption>): string[] {
  const config = cliOrEnv('config', cli, env);
  const configPath = cliOrEnv('config-path', cli, env);
  const include = cliOrEnv('config-include-path', cli, env);
  const base = configPath?.kind === 'set' ? stripSlash(configPath.values[0]) : DEFAULT_CONFIG_PATH;
  const parts: string[] = [];
  if (config?.kind === 'set') {
    parts.push(readFile(config.values[0]));
  } else if (config?.kind !== 'negate') {
    const main = `${base}/${CONFIG_FILE}`;
    if (existsSync(main)) parts.push(readFile(main));
    else if (configPath?.kind !== 'set' && existsSync(OLD_DEFAULT_CONFIG)) parts.push(readFile(OLD_DEFAULT_CONFIG));
  }
  const explicitInclude = include?.kind === 'set';
  if (explicitInclude || configPath?.kind === 'set' || config?.kind !== 'set') {
    const dir = explicitInclude ? stripSlash(include.values[0]) : `${base}/${INCLUDE_DIR}`;
    if (existsSync(dir)) {
      for (const f of readdirSync(dir).filter((f) => f.endsWith('.conf')).sort()) parts.push(readFile(`${dir}/${f}`));
    } else if (explicitInclude) {
      throw err('PathMissingError', `unable to list file info for missing path '${dir}'`);
    }
  }
  return parts;
}

function stripSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}
