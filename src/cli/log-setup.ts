import type { Config } from '../config/config.js';
import { commandByName } from '../config/commands.js';
import { OPTIONS } from '../config/options.js';
import type { LoggerSettings } from '../log/logger.js';
import type { LogLevel } from '../log/level.js';

/**
 * Log file name as pgBackRest picks it: `<stanza>-<command>[-<role>].log`, `all-<command>.log`
 * without a stanza. Commands that do not always log (archive-push, info, ...) write a file only
 * when log-level-file was given on the command line or in the environment; their async processes
 * always do (nobody sees their console).
 */
export function logFilePath(cfg: Config): string | undefined {
  const always = commandByName(cfg.command)?.logFileAlways === true || cfg.role === 'async';
  const src = cfg.source('log-level-file');
  if (!always && src !== 'cli' && src !== 'env') return undefined;
  const stanza = cfg.strOpt('stanza') ?? 'all';
  const role = cfg.role ? `-${cfg.role}` : '';
  return `${cfg.str('log-path')}/${stanza}-${cfg.command}${role}.log`;
}

export function loggerSettings(cfg: Config): LoggerSettings {
  return {
    console: cfg.str('log-level-console') as LogLevel,
    stderr: cfg.str('log-level-stderr') as LogLevel,
    file: cfg.str('log-level-file') as LogLevel,
    filePath: logFilePath(cfg),
    timestamp: cfg.bool('log-timestamp'),
    processMax: cfg.intOpt('process-max') ?? 1,
  };
}

/** Values of every secure option in effect, so the logger can scrub them from any message. */
export function secretValues(cfg: Config): string[] {
  const out: string[] = [];
  for (const def of OPTIONS) {
    if (!def.secure) continue;
    const names = def.group ? cfg.indexes(def.group).map((i) => `${def.group}${i}-${def.name}`) : [def.name];
    for (const n of names) {
      const v = cfg.get(n);
      if (typeof v === 'string' && v.length > 0) out.push(v);
    }
  }
  return out;
}
