/**
 * Checks pgBackRest makes once options are loaded, after the `command begin` line
 * (cfgLoadUpdateOption), of values that are valid alone but not together.
 */
import { err } from '../error/error.js';
import { LEVEL_RANGE, isCompressType } from '../io/compress-type.js';
import type { Config } from './config.js';

/** protocol-timeout must exceed db-timeout when both are given (pgBackRest's text, its HINT without a colon included). */
export function checkTimeouts(cfg: Config): void {
  if (!cfg.has('db-timeout') || !cfg.has('protocol-timeout')) return;
  if (cfg.source('db-timeout') === 'default' || cfg.source('protocol-timeout') === 'default') return;
  const ms = (name: string): number => Math.round(Number(cfg.get(name)) * 1000);
  if (ms('protocol-timeout') > ms('db-timeout')) return;
  const p = cfg.text('protocol-timeout');
  throw err(
    'OptionInvalidValueError',
    `'${p}' is not valid for 'protocol-timeout' option\n` +
      `HINT 'protocol-timeout' option (${p}) should be greater than 'db-timeout' option (${cfg.text('db-timeout')}).`,
  );
}

/** A compress-level given must suit the compress-type (backup and archive-push check it before any work). */
export function checkCompressLevel(cfg: Config): void {
  if (!cfg.has('compress-level') || cfg.source('compress-level') === 'default') return;
  const type = cfg.strOpt('compress-type') ?? 'gz';
  if (!isCompressType(type) || type === 'none') return;
  const [min, max] = LEVEL_RANGE[type];
  const level = cfg.int('compress-level');
  if (level >= min && level <= max) return;
  throw err('OptionInvalidValueError', `'${cfg.text('compress-level')}' is out of range for 'compress-level' option when 'compress-type' option = '${type}'`);
}

