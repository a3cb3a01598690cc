import { err } from '../error/error.js';
import { keyOf, resolveName } from './names.js';
import { OPTIONS } from './options.js';
import type { Entry } from './resolve.js';
import type { Config } from './config.js';
import type { OptionGroup, OptionSource, OptionValue } from './types.js';

const quote = (s: string): string => (s.includes(' ') ? `"${s}"` : s);

/** The frozen result of parseConfig. */
export class ResolvedConfig implements Config {
  readonly params: readonly string[];

  constructor(
    readonly command: string,
    readonly role: string | undefined,
    params: string[],
    private readonly entries: Map<string, Entry>,
    private readonly groups: Readonly<Record<OptionGroup, number[]>>,
    readonly warnings: readonly string[],
    readonly notices: readonly string[] = [],
  ) {
    this.params = Object.freeze([...params]);
    Object.freeze(this);
  }

  private entry(name: string): Entry | undefined {
    const e = this.entries.get(name);
    if (e !== undefined) return e;
    let res;
    try {
      res = resolveName(name);
    } catch {
      return undefined;
    }
    return res === undefined ? undefined : this.entries.get(res.key);
  }

  get(name: string): OptionValue | undefined {
    return this.entry(name)?.value;
  }

  source(name: string): OptionSource {
    return this.entry(name)?.source ?? 'default';
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  text(name: string): string | undefined {
    const e = this.entry(name);
    if (e?.raw !== undefined && e.raw.kind === 'set') return e.raw.values[0];
    return e?.value === undefined ? undefined : String(e.value);
  }

  private need(name: string): OptionValue {
    const v = this.get(name);
    if (v === undefined) throw err('OptionRequiredError', `${this.command} command requires option: ${name}`);
    return v;
  }

  str(name: string): string {
    return String(this.need(name));
  }

  int(name: string): number {
    return Number(this.need(name));
  }

  bool(name: string): boolean {
    return this.need(name) === true;
  }

  strOpt(name: string): string | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : String(v);
  }

  intOpt(name: string): number | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : Number(v);
  }

  list(name: string): string[] {
    const v = this.get(name);
    return Array.isArray(v) ? [...v] : [];
  }

  hash(name: string): Record<string, string> {
    const v = this.get(name);
    return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? { ...v } : {};
  }

  indexes(group: OptionGroup): number[] {
    return [...this.groups[group]];
  }

  displayOptions(): string {
    const out: string[] = [];
    for (const def of OPTIONS) {
      const idxs = def.group === undefined ? [0] : this.groups[def.group];
      for (const i of idxs) {
        const e = this.entries.get(keyOf(def, i));
        if (e?.raw?.kind === 'reset') out.push(`--reset-${e.key}`);
        if (e === undefined || e.source === 'default' || e.raw === undefined) continue;
        out.push(...displayEntry(e));
      }
    }
    return out.join(' ');
  }
}

function displayEntry(e: Entry): string[] {
  const { key, def, raw } = e;
  if (raw!.kind === 'negate') return [`--no-${key}`];
  if (def.type === 'boolean') return [e.value === true ? `--${key}` : `--no-${key}`];
  if (def.secure === true) return [`--${key}=<redacted>`];
  if (def.type === 'hash') return Object.entries(e.value as Record<string, string>).map(([k, v]) => `--${key}=${quote(`${k}=${v}`)}`);
  return raw!.values.map((v) => `--${key}=${quote(v)}`);
}
