import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandContext } from '../command.js';
import { err, toPgbrError } from '../../error/error.js';
import { tryArchiveLock } from '../../archive/async-spawn.js';
import { checkStop } from '../../lock/stop.js';
import { readPgControl } from '../../postgres/control.js';
import type { CompressType } from '../../io/compress.js';
import { pushWalFile } from '../../archive/push.js';
import { readyWal } from '../../archive/async-push.js';
import { spoolQueuePath, writeStatus } from '../../archive/spool.js';
import { formatSize } from '../../util/format.js';
import { repoTargets } from '../common/repos.js';
import type { Pool } from '../../parallel/pool.js';
import type { FileWorkerData, SegmentResult, WorkerJob, WorkerJobResult } from '../../parallel/file-job.js';

/**
 * `archive-push:async`: push every segment PostgreSQL has marked ready, `process-max` at a time,
 * leaving `<segment>.ok` or `<segment>.error` for the foreground commands. Runs while new segments
 * keep appearing, then exits. Only one runs per stanza (the archive lock).
 */
export async function runAsyncPush({ cfg, log }: CommandContext): Promise<void> {
  const stanza = cfg.str('stanza');
  const walDir = cfg.params[0];
  if (walDir === undefined) throw err('ParamRequiredError', 'WAL path required');
  const queue = spoolQueuePath(cfg.str('spool-path'), stanza, 'out');
  try {
    checkStop(cfg.str('lock-path'), stanza);
  } catch (e) {
    await writeStatus(queue, 'global', { ok: false, error: toPgbrError(e) });
    throw e;
  }
  const lock = tryArchiveLock({ lockPath: cfg.str('lock-path'), stanza, execId: cfg.str('exec-id') });
  if (lock === undefined) return;
  try {
    await mkdir(queue, { recursive: true, mode: 0o750 });
    const pg = await readPgControl(cfg.str('pg1-path'));
    const processMax = cfg.intOpt('process-max') ?? 1;
    const segmentWorkers = processMax > 1 ? await segmentPool(processMax) : undefined;
    try {
      const push = pusher(cfg, stanza, { version: pg.version, systemId: pg.systemId }, await repoTargets(cfg), segmentWorkers);
      for (let progress = true; progress; ) {
        const ready = await readyWal(walDir);
        await cleanQueue(queue, new Set(ready));
        const done = new Set(await readdir(queue));
        const todo = ready.filter((s) => !done.has(`${s}.ok`));
        if (todo.length === 0) break;
        progress = await pushAll(todo, walDir, queue, push, processMax, cfg.intOpt('archive-push-queue-max'), log);
      }
    } finally {
      await segmentWorkers?.close();
    }
  } catch (e) {
    await writeStatus(queue, 'global', { ok: false, error: toPgbrError(e) });
    throw e;
  } finally {
    lock.release();
  }
}

/** Pushes one segment; `processId` (1..process-max) is the lane pushing it. */
type Push = (path: string, processId: number) => Promise<string[]>;

type SegmentWorkers = Pool<WorkerJob, WorkerJobResult>;

/**
 * Worker threads that read, hash and compress the segments, one per process: compression is
 * synchronous CPU work, so segments pushed from this thread alone would use one core whatever
 * process-max says.
 * Loaded only here, so the foreground archive-push does not pay for it.
 */
async function segmentPool(processMax: number): Promise<SegmentWorkers> {
  const { createPool } = await import('../../parallel/pool.js');
  const { defaultWorkerModule, workerThreads } = await import('../../parallel/file-pool.js');
  const { workerJobRunner } = await import('../../parallel/file-job.js');
  return createPool<WorkerJob, WorkerJobResult>({
    size: processMax,
    threads: workerThreads(processMax),
    workerModule: defaultWorkerModule(),
    workerData: {} satisfies FileWorkerData,
    local: () => workerJobRunner(undefined),
  });
}

function pusher(
  cfg: CommandContext['cfg'],
  stanza: string,
  pg: { version: string; systemId: bigint },
  repos: Awaited<ReturnType<typeof repoTargets>>,
  segmentWorkers: SegmentWorkers | undefined,
): Push {
  const compressType = cfg.str('compress-type') as CompressType;
  const compressLevel = cfg.intOpt('compress-level');
  return (path, processId) =>
    pushWalFile({
      path,
      stanza,
      repos,
      pg,
      compressType,
      compressLevel,
      headerCheck: cfg.bool('archive-header-check'),
      warnDuplicate: cfg.bool('archive-mode-check'),
      ...(segmentWorkers !== undefined
        ? {
            prepare: async (segment: string) => {
              const job = { path: segment, compressType, ...(compressLevel !== undefined ? { level: compressLevel } : {}) };
              const r = (await segmentWorkers.run(processId, { kind: 'segment', job })) as SegmentResult;
              const bytes = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.length);
              return { size: r.size, head: bytes(r.head), sha1: r.sha1, compressed: Promise.resolve(bytes(r.data)) };
            },
          }
        : {}),
    });
}

/** Push the segments; returns whether at least one succeeded (so the loop does not spin on errors). */
async function pushAll(
  todo: string[],
  walDir: string,
  queue: string,
  push: Push,
  processMax: number,
  queueMax: number | undefined,
  log: CommandContext['log'],
): Promise<boolean> {
  if (queueMax !== undefined && (await queueSize(walDir, todo)) > queueMax) {
    for (const seg of todo) {
      const warning = `dropped WAL file '${seg}' because archive queue exceeded ${formatSize(queueMax)}`;
      log.warn(warning);
      await writeStatus(queue, seg, { ok: true, warning });
    }
    return true;
  }
  let next = 0;
  let succeeded = false;
  const worker = async (processId: number) => {
    while (next < todo.length) {
      const seg = todo[next++];
      try {
        const warnings = await push(join(walDir, seg), processId);
        await writeStatus(queue, seg, { ok: true, warning: warnings.length > 0 ? warnings.join('\n') : undefined });
        log.write('info', `pushed WAL file '${seg}' to the archive`, undefined, processId);
        succeeded = true;
      } catch (e) {
        const pe = toPgbrError(e);
        log.write('warn', `could not push WAL file '${seg}' to the archive (will be retried): [${pe.code}] ${pe.message}`, undefined, processId);
        await writeStatus(queue, seg, { ok: false, error: pe });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(processMax, todo.length) }, (_, i) => worker(i + 1)));
  return succeeded;
}

async function queueSize(walDir: string, segments: string[]): Promise<number> {
  let total = 0;
  for (const s of segments) total += await stat(join(walDir, s)).then((x) => x.size, () => 0);
  return total;
}

/** Status files of segments PostgreSQL has already acknowledged, and stale errors, are removed. */
async function cleanQueue(queue: string, ready: Set<string>): Promise<void> {
  for (const name of await readdir(queue)) {
    const seg = name.replace(/\.(ok|error)$/, '');
    const stale = name.endsWith('.ok') ? !ready.has(seg) : name.endsWith('.error') || name.endsWith('.pgbackrest.tmp');
    if (stale && name !== 'global.error') await rm(join(queue, name), { force: true });
  }
}
