import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandContext } from '../command.js';
import { toPgbrError } from '../../error/error.js';
import { tryArchiveLock } from '../../archive/async-spawn.js';
import { readPgControl } from '../../postgres/control.js';
import { getWalFile } from '../../archive/get.js';
import { trimQueue } from '../../archive/async-get.js';
import { spoolQueuePath, writeStatus } from '../../archive/spool.js';
import { repoTargets } from '../common/repos.js';

/**
 * `archive-get:async`: fetch the listed segments into the spool queue, `process-max` at a time.
 * A found segment appears as `in/<segment>` (plain WAL, written through a temp file), a missing one
 * as an empty `in/<segment>.ok`, a failure as `in/<segment>.error`.
 */
export async function runAsyncGet({ cfg, log }: CommandContext): Promise<void> {
  const stanza = cfg.str('stanza');
  const queue = spoolQueuePath(cfg.str('spool-path'), stanza, 'in');
  const lock = tryArchiveLock({ lockPath: cfg.str('lock-path'), stanza, execId: cfg.str('exec-id') });
  if (lock === undefined) return;
  try {
    await mkdir(queue, { recursive: true, mode: 0o750 });
    const segments = [...cfg.params];
    await trimQueue(queue, new Set(segments));
    const pg = await readPgControl(cfg.str('pg1-path'));
    const repos = await repoTargets(cfg);
    let next = 0;
    const worker = async (processId: number) => {
      while (next < segments.length) {
        const name = segments[next++];
        try {
          const r = await getWalFile({ name, dest: join(queue, name), stanza, repos, pg: { version: pg.version, systemId: pg.systemId } });
          if (r.foundIn === undefined) await writeFile(join(queue, `${name}.ok`), '', { mode: 0o640 });
          else log.write('detail', `found ${name} in the ${r.foundIn} archive`, undefined, processId);
        } catch (e) {
          await writeStatus(queue, name, { ok: false, error: toPgbrError(e) });
        }
      }
    };
    const n = Math.min(cfg.intOpt('process-max') ?? 1, segments.length);
    await Promise.all(Array.from({ length: n }, (_, i) => worker(i + 1)));
  } catch (e) {
    await writeStatus(queue, 'global', { ok: false, error: toPgbrError(e) });
    throw e;
  } finally {
    lock.release();
  }
}
