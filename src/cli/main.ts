import { randomBytes } from 'node:crypto';
import { parseConfig, warningsBefore } from '../config/parse.js';
import { commandByName } from '../config/commands.js';
import type { Config } from '../config/config.js';
import { toPgbrError, isPgbrError, type PgbrError } from '../error/error.js';
import { Logger, DEFAULT_LOGGER_SETTINGS } from '../log/logger.js';
import { loggerSettings, secretValues } from './log-setup.js';
import { writeAllSync } from '../log/write.js';
import { errnoCode } from '../storage/errno.js';
import { loadCommand } from '../command/registry.js';
import { refuseRemoteHosts } from '../command/common/remote-hosts.js';
import { checkTimeouts } from '../config/load-checks.js';
import { VERSION } from '../version.js';

/**
 * The CLI layer: parse options once, set up logging, run one command handler, print what it
 * returns, and exit with 0, the handler's status, or the error's code.
 */
async function main(argv: string[]): Promise<number> {
  const started = Date.now();
  const log = new Logger(DEFAULT_LOGGER_SETTINGS);
  let cfg: Config;
  try {
    cfg = parseConfig(argv.length === 0 ? ['help'] : argv, process.env, {
      execId: `${process.pid}-${randomBytes(4).toString('hex')}`,
    });
  } catch (e) {
    const pe = toPgbrError(e);
    for (const w of warningsBefore(e)) log.warn(w);
    log.error(pe.fullMessage, pe.code);
    return pe.code;
  }

  log.configure(loggerSettings(cfg), secretValues(cfg));
  if (cfg.get('dry-run') === true) log.setMessagePrefix('[DRY-RUN] ');
  for (const w of cfg.warnings) log.warn(w);
  const quiet = commandByName(cfg.command)?.logQuiet === true;
  let name = cfg.role ? `${cfg.command}:${cfg.role}` : cfg.command;
  const showElapsed = cfg.bool('log-timestamp');
  try {
    // In the try: even this first line can fail (stdout closed), and that is reported like any error.
    log.write(quiet ? 'debug' : 'info', `${name} command begin ${VERSION}: ${beginParams(cfg)}${cfg.displayOptions()}`);
    installSignalHandlers(log, name, quiet);
    checkTimeouts(cfg);
    for (const n of cfg.notices ?? []) log.warn(n);
    refuseRemoteHosts(cfg);
    const mod = await loadCommand(cfg.command);
    const result = (await mod.run({ cfg, log })) ?? {};
    if (result.stdout !== undefined) writeOutput(result.stdout);
    const elapsed = showElapsed ? ` (${Date.now() - started}ms)` : '';
    log.write(quiet ? 'debug' : 'info', `${name} command end: completed successfully${elapsed}`);
    if (result.after) {
      name = result.after.name;
      await result.after.run();
    }
    return result.exitCode ?? 0;
  } catch (e) {
    const pe = toPgbrError(e);
    logError(log, pe);
    log.write(quiet ? 'debug' : 'info', `${name} command end: aborted with exception [${String(pe.code).padStart(3, '0')}]`);
    return pe.code;
  } finally {
    log.closeFile();
  }
}

/**
 * The command's output (info, repo-ls, ...). A reader that stops early (`| head`) took what it
 * wanted: pgBackRest 2.45 still ends successfully then, and so does this.
 */
function writeOutput(text: string): void {
  try {
    writeAllSync(1, text);
  } catch (e) {
    if (errnoCode(e) !== 'EPIPE') throw e;
  }
}

function beginParams(cfg: Config): string {
  if (cfg.params.length === 0) return '';
  const quoted = cfg.params.map((p) => (p.includes(' ') ? `"${p}"` : p));
  return `[${quoted.join(', ')}] `;
}

/** Unexpected errors also get their stack at debug level so a bug report has it. */
function logError(log: Logger, pe: PgbrError): void {
  log.error(pe.fullMessage, pe.code);
  if (!isPgbrError(pe.cause) && pe.cause instanceof Error && pe.type === 'UnhandledError') {
    log.debug(pe.cause.stack ?? String(pe.cause));
  }
}

function installSignalHandlers(log: Logger, name: string, quiet: boolean): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.error(`terminated on signal [${signal}]`, 63);
      log.write(quiet ? 'debug' : 'info', `${name} command end: terminated on signal [${signal}]`);
      log.closeFile();
      process.exit(63);
    });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    writeAllSync(2, `ERROR: [124]: ${String((e as Error)?.stack ?? e)}\n`);
    process.exit(124);
  },
);
