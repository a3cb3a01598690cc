import { toPgbrError } from '../error/error.js';
import type { Logger } from '../log/logger.js';
import { readAll } from '../io/buffer-sink.js';
import { nextWalSegment } from '../postgres/lsn.js';
import { parseWalHeader, PG_WAL_HEADER_SIZE } from '../postgres/wal.js';
import { decryptStream } from '../io/cipher.js';
import { decompressStream, typeFromFileName } from '../io/compress.js';
import type { StorageDriver } from '../storage/storage.js';
import { verifyFile, type VerifyResult } from './file.js';
import { RESULT_MESSAGE, runLimited, type ArchiveResult, type VerifyState } from './model.js';

const WAL_DIR = /^[0-F]{16}$/;
const WAL_FILE = /^[0-F]{24}-[0-f]{40}(\.(gz|lz4|zst|bz2|xz))?$/;

export interface ArchiveContext {
  storage: StorageDriver;
  /** `archive/<stanza>` */
  base: string;
  walPass?: string;
  processMax: number;
  log: Logger;
}

/** Every WAL segment of one archive id: ranges, then content, one result per archive id. */
export async function verifyArchiveId(ctx: ArchiveContext, archiveId: string, state: VerifyState): Promise<void> {
  const result: ArchiveResult = { archiveId, totalWalFile: 0, totalValidWal: 0, ranges: [] };
  state.archives.push(result);
  const idPath = `${ctx.base}/${archiveId}`;
  const dirs = (await ctx.storage.list(idPath, { expression: WAL_DIR })).map((e) => e.name).sort();
  if (dirs.length === 0) {
    ctx.log.warn(`archive path '${archiveId}' is empty`);
    return;
  }
  let segmentSize = 0;
  for (const dir of dirs) {
    const files = (await ctx.storage.list(`${idPath}/${dir}`, { expression: WAL_FILE })).map((e) => e.name).sort();
    if (files.length === 0) {
      ctx.log.warn(`path '${archiveId}/${dir}' does not contain any valid WAL to be processed`);
      continue;
    }
    if (segmentSize === 0) segmentSize = await walSegmentSize(ctx, `${idPath}/${dir}/${files[0]}`);
    result.totalWalFile += files.length;
    const unique = addRanges(ctx, result, files, segmentSize, state);
    await runLimited(unique, ctx.processMax, async (file, worker) => {
      const name = `${archiveId}/${dir}/${file}`;
      const res = await checkWal(ctx, `${idPath}/${dir}/${file}`, file, segmentSize, name, worker);
      if (res === 'ok') {
        result.totalValidWal++;
        return;
      }
      if (res !== 'missing') state.errors++;
      if (res !== 'other') ctx.log.write(res === 'missing' ? 'warn' : 'info', `${RESULT_MESSAGE[res]} '${name}'`, undefined, worker);
      const seg = file.slice(0, 24);
      result.ranges.find((r) => r.stop >= seg)?.invalid.push(res);
    });
  }
}

async function checkWal(ctx: ArchiveContext, path: string, file: string, size: number, name: string, worker: number): Promise<VerifyResult> {
  try {
    return await verifyFile(ctx.storage, {
      path, checksum: file.slice(25, 65), size, decode: true, compressName: file,
      ...(ctx.walPass !== undefined ? { cipherPass: ctx.walPass } : {}),
    });
  } catch (e) {
    const pe = toPgbrError(e);
    ctx.log.write('info', `${RESULT_MESSAGE.other} ${name}: [${pe.code}] ${pe.message}`, undefined, worker);
    return 'other';
  }
}

/** The segment size from the long page header of the first stored WAL of the archive id. */
async function walSegmentSize(ctx: ArchiveContext, path: string): Promise<number> {
  let stream = await ctx.storage.read(path);
  if (stream === null) return 0;
  if (ctx.walPass !== undefined) stream = stream.pipe(decryptStream(ctx.walPass));
  const type = typeFromFileName(path);
  if (type !== 'none') stream = stream.pipe(decompressStream(type));
  const bytes = await readAll(stream);
  return parseWalHeader(bytes.subarray(0, PG_WAL_HEADER_SIZE)).segmentSize;
}

/**
 * Extends the ranges with one directory's sorted files; duplicates of a segment are reported and
 * dropped. Returns the files left to check.
 */
function addRanges(ctx: ArchiveContext, result: ArchiveResult, files: string[], segmentSize: number, state: VerifyState): string[] {
  const out: string[] = [];
  let range = result.ranges.at(-1);
  if (range !== undefined && range.stop.slice(0, 8) !== files[0]!.slice(0, 8)) range = undefined;
  for (let i = 0; i < files.length; i++) {
    const seg = files[i]!.slice(0, 24);
    if (files[i + 1]?.slice(0, 24) === seg) {
      ctx.log.info(`duplicate WAL '${seg}' for '${result.archiveId}' exists, skipping`);
      state.errors++;
      while (files[i + 1]?.slice(0, 24) === seg) i++;
      continue;
    }
    if (range === undefined || nextWalSegment(range.stop, segmentSize) !== seg) {
      range = { start: seg, stop: seg, invalid: [] };
      result.ranges.push(range);
    } else {
      range.stop = seg;
    }
    out.push(files[i]!);
  }
  return out;
}
