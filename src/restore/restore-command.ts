/**
 * The `restore_command` a restore writes: `<cmd> <options> archive-get %f "%p"`. `<cmd>` is option
 * `cmd`, else how this process was started (pgBackRest uses its argv[0]; ours is node, node's
 * options and the script). The options are those given on the command line that archive-get
 * accepts, minus logging, process and exec-id options; in option-name order. Options from config
 * files are not repeated: archive-get reads the same files.
 */
import type { Config } from '../config/config.js';
import { keyOf } from '../config/names.js';
import { OPTIONS } from '../config/options.js';

const LEFT_OUT = new Set(['cmd', 'exec-id', 'log-level-console', 'log-level-file', 'log-level-stderr', 'log-subprocess', 'log-timestamp', 'process-max']);

const quote = (s: string): string => (s.includes(' ') ? `"${s}"` : s);

/**
 * How this process was started: node, node's options (bin/pgbackrest's `#!` line passes
 * --use-openssl-ca, without which archive-get would not trust a CA of the system store that this
 * process trusts) and the script.
 */
export function selfCommand(proc: Pick<NodeJS.Process, 'execPath' | 'execArgv' | 'argv'> = process): string {
  const script = proc.argv[1];
  return [proc.execPath, ...proc.execArgv, ...(script === undefined ? [] : [script])].join(' ');
}

export function restoreCommand(cfg: Config, pgPath: string, self: string = selfCommand()): string {
  const cmd = cfg.strOpt('cmd') ?? self;
  const args: string[] = [];
  for (const def of OPTIONS) {
    if (def.commands['archive-get'] === undefined || LEFT_OUT.has(def.name) || def.secure === true) continue;
    const idxs = def.group === undefined ? [0] : cfg.indexes(def.group);
    for (const i of idxs) {
      const key = keyOf(def, i);
      if (cfg.source(key) !== 'cli') continue;
      if (key === 'pg1-path') {
        args.push(`--pg1-path=${quote(pgPath)}`);
        continue;
      }
      const v = cfg.get(key);
      if (v === undefined) continue;
      if (typeof v === 'boolean') args.push(v ? `--${key}` : `--no-${key}`);
      else if (Array.isArray(v)) args.push(...v.map((x) => `--${key}=${quote(x)}`));
      else if (typeof v === 'object') args.push(...Object.entries(v).map(([k, x]) => `--${key}=${quote(`${k}=${x}`)}`));
      else args.push(`--${key}=${quote(rawText(cfg, key, v))}`);
    }
  }
  return `${cmd} ${args.join(' ')} archive-get %f "%p"`;
}

/**
 * Size options are stored as bytes; pgBackRest passes on what the user typed (`64KiB`). Our
 * config keeps no raw text outside the display string, so take it from there.
 */
function rawText(cfg: Config, key: string, v: string | number): string {
  const m = new RegExp(`(?:^| )--${key}=("[^"]*"|\\S+)`).exec(cfg.displayOptions());
  if (m === null) return String(v);
  const raw = m[1]!;
  return raw.startsWith('"') ? raw.slice(1, -1) : raw;
}
