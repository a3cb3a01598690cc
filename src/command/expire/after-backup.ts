import type { Config } from '../../config/config.js';
import { resolveWithPrefix } from '../../config/names.js';
import type { Logger } from '../../log/logger.js';
import { VERSION } from '../../version.js';
import { runExpire } from './run-expire.js';

/**
 * The expire a successful backup runs (unless --no-expire-auto), inside the backup's lock and with
 * its exec-id: `expire command begin <ver>: <options valid for expire>`, the work, then
 * `expire command end: completed successfully`. Errors propagate to the caller (pgBackRest then ends
 * with `expire command end: aborted with exception [NNN]`).
 */
export async function expireAfterBackup(cfg: Config, log: Logger): Promise<void> {
  if (cfg.get('expire-auto') === false) return;
  const started = Date.now();
  log.info(`expire command begin ${VERSION}: ${expireDisplayOptions(cfg.displayOptions())}`);
  await runExpire(cfg, log);
  const elapsed = cfg.get('log-timestamp') === false ? '' : ` (${Date.now() - started}ms)`;
  log.info(`expire command end: completed successfully${elapsed}`);
}

/** Keep the `--opt[=value]` tokens of a begin line whose option expire accepts. */
export function expireDisplayOptions(display: string): string {
  const tokens = display.match(/--[^\s=]+(=("[^"]*"|\S*))?/g) ?? [];
  return tokens.filter((t) => validForExpire(t.slice(2).split('=')[0]!)).join(' ');
}

function validForExpire(name: string): boolean {
  try {
    const found = resolveWithPrefix(name);
    return found !== undefined && 'expire' in found.res.def.commands;
  } catch {
    return false;
  }
}
