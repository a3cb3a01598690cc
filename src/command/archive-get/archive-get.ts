import type { CommandContext, CommandResult } from '../command.js';
import { err } from '../../error/error.js';
import { readPgControl } from '../../postgres/control.js';
import { getWalFile } from '../../archive/get.js';
import { resolveWalPath } from '../../archive/wal-path.js';
import { repoTargets } from '../common/repos.js';
import { getAsyncForeground } from '../../archive/async-get.js';
import { runAsyncGet } from './async.js';
import { checkStop } from '../../lock/stop.js';

/** `restore_command`: exit 0 with the file written, 1 when no repo has it (recovery then ends). */
export async function run(ctx: CommandContext): Promise<CommandResult> {
  if (ctx.cfg.role === 'async') {
    await runAsyncGet(ctx);
    return {};
  }
  const { cfg, log } = ctx;
  const [name, destParam] = cfg.params;
  if (name === undefined) throw err('ParamRequiredError', 'WAL segment to get required');
  if (destParam === undefined) throw err('ParamRequiredError', 'path to copy WAL segment required');
  if (cfg.params.length > 2) throw err('ParamInvalidError', 'extra parameters found');
  const pgPath = cfg.str('pg1-path');
  const dest = resolveWalPath(destParam, pgPath);
  const pg = await readPgControl(pgPath);
  // pgBackRest 2.45 refuses here too (after reading pg_control): a stopped stanza serves no WAL
  checkStop(cfg.str('lock-path'), cfg.str('stanza'));
  if (cfg.bool('archive-async') && /^[0-F]{24}$/.test(name)) {
    const found = await getAsyncForeground({
      name,
      dest,
      stanza: cfg.str('stanza'),
      spoolPath: cfg.str('spool-path'),
      lockPath: cfg.str('lock-path'),
      execId: cfg.str('exec-id'),
      timeout: Number(cfg.get('archive-timeout')),
      queueMax: cfg.intOpt('archive-get-queue-max') ?? 128 * 1024 * 1024,
      walSegmentSize: pg.walSegmentSize,
      params: cfg.params,
    });
    log.info(found ? `found ${name} in the archive asynchronously` : `unable to find ${name} in the archive asynchronously`);
    return found ? {} : { exitCode: 1 };
  }
  const result = await getWalFile({
    name,
    dest,
    stanza: cfg.str('stanza'),
    repos: await repoTargets(cfg),
    pg: { version: pg.version, systemId: pg.systemId },
  });
  for (const w of result.warnings) log.warn(w);
  if (result.foundIn === undefined) {
    log.info(`unable to find ${name} in the archive`);
    return { exitCode: 1 };
  }
  log.info(`found ${name} in the ${result.foundIn} archive`);
  return {};
}
