import { err } from '../error/error.js';
import type { RawOption } from './cli-args.js';
import { envBool } from './env.js';
import { keyOf } from './names.js';
import { optionByBase } from './options.js';
import type { Depend, TableOption } from './table.js';
import type { OptionSource, OptionValue } from './types.js';
import { parseHash, parseScalar } from './values.js';

/** A resolved option: its value and where it came from; `raw` keeps the text as given, for display. */
export interface Entry {
  readonly def: TableOption;
  readonly key: string;
  readonly value: OptionValue | undefined;
  readonly source: OptionSource;
  readonly raw?: RawOption;
}

export interface Layers {
  readonly command: string;
  readonly cli: Map<string, RawOption>;
  readonly env: Map<string, RawOption>;
  readonly file: Map<string, RawOption>;
  /** help/version: no required-option errors. */
  readonly lenient: boolean;
}

const text = (v: OptionValue): string => (typeof v === 'boolean' ? (v ? 'y' : 'n') : String(v));

/**
 * Resolves options on demand (dependencies may point forward in table order) with memoisation.
 * Per option: dependency, then value, then required check, as pgBackRest does.
 */
export class Resolver {
  readonly entries = new Map<string, Entry>();

  constructor(private readonly l: Layers) {}

  resolve(def: TableOption, index: number): Entry | undefined {
    const key = keyOf(def, index);
    const done = this.entries.get(key);
    if (done !== undefined) return done;
    const rule = def.commands[this.l.command];
    if (rule === undefined) return undefined;
    const [raw, source] = this.pick(key);
    const depend = rule.depend ?? def.depend;
    if (depend !== undefined && !this.dependOk(depend, index)) {
      if (source === 'cli') throw err('OptionInvalidError', this.dependMessage(key, depend, index));
      const value = depend.default === undefined ? undefined : this.convert(def, key, 'set', [depend.default], 'default');
      return this.store({ def, key, value, source: 'default' });
    }
    if (raw !== undefined && def.beta === true && this.resolve(optionByBase('beta')!, 0)?.value !== true) {
      throw err('OptionInvalidError', `option '${key}' is not valid without option 'beta'`, {
        hints: ['beta features require the --beta option to prevent accidental usage.'],
      });
    }
    if (raw !== undefined) return this.store({ def, key, value: this.convert(def, key, raw.kind, raw.values, source), source, raw });
    const dflt = rule.default ?? def.default;
    const value = dflt === undefined ? undefined : this.convert(def, key, 'set', [dflt], 'default');
    if (value === undefined && (rule.required ?? def.required ?? true) && !this.l.lenient) {
      throw err('OptionRequiredError', `${this.l.command} command requires option: ${key}`, {
        hints: def.section === 'stanza' ? ['does this stanza exist?'] : [],
      });
    }
    // a --reset-<option> leaves the default, and is shown on the begin line as pgBackRest shows it
    const reset = this.l.cli.get(key);
    return this.store({ def, key, value, source: 'default', ...(reset?.kind === 'reset' ? { raw: reset } : {}) });
  }

  private store(e: Entry): Entry {
    this.entries.set(e.key, e);
    return e;
  }

  private pick(key: string): [RawOption | undefined, OptionSource] {
    const cli = this.l.cli.get(key);
    if (cli !== undefined) return cli.kind === 'reset' ? [undefined, 'default'] : [cli, 'cli'];
    const env = this.l.env.get(key);
    if (env !== undefined) return [env, 'env'];
    const file = this.l.file.get(key);
    return file === undefined ? [undefined, 'default'] : [file, 'config'];
  }

  private dependTarget(depend: Depend, index: number): [TableOption, number] {
    const def = optionByBase(depend.option)!;
    return [def, def.group === undefined ? 0 : Math.max(index, 1)];
  }

  private dependOk(depend: Depend, index: number): boolean {
    const [def, idx] = this.dependTarget(depend, index);
    const value = this.resolve(def, idx)?.value;
    return value !== undefined && (depend.values === undefined || depend.values.includes(text(value)));
  }

  private dependMessage(key: string, depend: Depend, index: number): string {
    const [def, idx] = this.dependTarget(depend, index);
    const other = keyOf(def, idx);
    const v = depend.values;
    let what = `'${other}'`;
    if (v !== undefined && def.type === 'boolean') what = v[0] === 'n' ? `'no-${other}'` : `'${other}'`;
    else if (v?.length === 1) what = `'${other}' = '${v[0]}'`;
    else if (v !== undefined) what = `'${other}' in (${v.map((x) => `'${x}'`).join(', ')})`;
    return `option '${key}' not valid without option ${what}`;
  }

  private convert(def: TableOption, key: string, kind: RawOption['kind'], values: readonly string[],
    source: OptionSource): OptionValue | undefined {
    if (kind === 'negate') return false;
    if (def.type === 'boolean') {
      if (source === 'cli') return true;
      const v = values[0];
      if (source === 'env') return envBool(key, v);
      if (v !== 'y' && v !== 'n') throw err('OptionInvalidValueError', `boolean option '${key}' must be 'y' or 'n'`);
      return v === 'y';
    }
    if (def.type === 'list') return [...values];
    if (def.type === 'hash') return parseHash(values, key);
    const rule = def.commands[this.l.command];
    return parseScalar(def, key, values[0], rule?.allow ?? def.allow);
  }
}
