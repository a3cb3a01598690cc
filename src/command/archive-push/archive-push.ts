import { basename } from 'node:path';
import type { CommandContext } from '../command.js';
import { err } from '../../error/error.js';
import { checkStop } from '../../lock/stop.js';
import { readPgControl } from '../../postgres/control.js';
import type { CompressType } from '../../io/compress.js';
import { pushWalFile } from '../../archive/push.js';
import { resolveWalPath } from '../../archive/wal-path.js';
import { queueExceeded } from '../../archive/queue.js';
import { formatSize } from '../../util/format.js';
import { repoTargets } from '../common/repos.js';
import { pushAsyncForeground } from '../../archive/async-push.js';
import { runAsyncPush } from './async.js';
import { checkCompressLevel } from '../../config/load-checks.js';

/** `archive_command`: push one WAL file to every repo, or drop it when the queue is over its limit. */
export async function run(ctx: CommandContext): Promise<void> {
  if (ctx.cfg.role === 'async') return runAsyncPush(ctx);
  const { cfg, log } = ctx;
  checkCompressLevel(cfg);
  const param = cfg.params[0];
  // exactly one: 2.45 says this of two as well
  if (param === undefined || cfg.params.length > 1) throw err('ParamRequiredError', 'WAL segment to push required');
  const stanza = cfg.str('stanza');
  checkStop(cfg.str('lock-path'), stanza);
  const pgPath = cfg.strOpt('pg1-path');
  const path = resolveWalPath(param, pgPath);
  const name = basename(path);
  if (cfg.bool('archive-async')) {
    const warning = await pushAsyncForeground({
      walPath: path,
      stanza,
      spoolPath: cfg.str('spool-path'),
      lockPath: cfg.str('lock-path'),
      execId: cfg.str('exec-id'),
      timeout: Number(cfg.get('archive-timeout')),
      params: cfg.params,
    });
    if (warning !== undefined) log.warn(warning);
    log.info(`pushed WAL file '${name}' to the archive asynchronously`);
    return;
  }
  const queueMax = cfg.intOpt('archive-push-queue-max');
  if (queueMax !== undefined && pgPath !== undefined && (await queueExceeded(pgPath, queueMax))) {
    log.warn(`dropped WAL file '${name}' because archive queue exceeded ${formatSize(queueMax)}`);
    return;
  }
  const pg = pgPath === undefined ? undefined : await readPgControl(pgPath);
  const warnings = await pushWalFile({
    path,
    stanza,
    repos: await repoTargets(cfg),
    pg: pg && { version: pg.version, systemId: pg.systemId },
    compressType: cfg.str('compress-type') as CompressType,
    compressLevel: cfg.intOpt('compress-level'),
    headerCheck: cfg.bool('archive-header-check'),
    warnDuplicate: cfg.bool('archive-mode-check'),
  });
  for (const w of warnings) log.warn(w);
  log.info(`pushed WAL file '${name}' to the archive`);
}
