import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { err, toPgbrError, type PgbrError } from '../error/error.js';
import { encryptBuffer } from '../io/cipher-key.js';
import { compressParallel, type CompressType } from '../io/compress.js';
import { sha1Hex } from '../io/hash.js';
import { parseWalHeader, PG_WAL_HEADER_SIZE } from '../postgres/wal.js';
import { loadArchiveInfo } from '../repo/archive-info.js';
import { walPath, walSegmentDir, walSegmentStoredRegex, walStoredName, archiveIdPath } from '../repo/layout.js';
import { currentHistory } from '../repo/pg-history.js';
import type { RepoTarget } from '../command/common/repos.js';
import { openReadError } from '../postgres/file-error.js';

/** A repo that accepted this stanza for push: where the file goes and how it is encrypted there. */
interface PushRepo {
  repo: RepoTarget;
  archiveId: string;
  version: string;
  systemId: bigint;
  /** archive.info's sub-passphrase; set on encrypted repos. */
  cipherPass?: string;
}

export interface PushOptions {
  /** Absolute path of the file PostgreSQL asked to archive. */
  path: string;
  stanza: string;
  repos: RepoTarget[];
  /** pg_control of pg1-path when it is configured: the stanza must be this cluster. */
  pg?: { version: string; systemId: bigint };
  compressType: CompressType;
  compressLevel?: number;
  headerCheck: boolean;
  /** Warn when a segment is already archived with the same checksum (archive-mode-check). */
  warnDuplicate: boolean;
  /**
   * Reads, hashes and compresses a segment (with compressType and compressLevel). By default the
   * segment is read in this thread and gz is compressed in pieces on the thread pool (one
   * segment, several cores: the latency of archive_command), other types in this thread; the
   * asynchronous archiver passes its worker pool's instead, which works on several segments at
   * once and hands back only the compressed copy.
   */
  prepare?: (path: string) => Promise<PreparedSegment>;
}

/** A WAL segment read, hashed and compressed. */
export interface PreparedSegment {
  size: number;
  /** The first PG_WAL_HEADER_SIZE bytes (fewer in a shorter file). */
  head: Buffer;
  sha1: string;
  compressed: Promise<Buffer>;
}

const SEGMENT = /^[0-F]{24}(\.partial)?$/;
/** Pieces of a gz segment compressed at once: the cores, up to libuv's four pool threads. */
const COMPRESS_PIECES = Math.min(availableParallelism(), 4);

/**
 * Push one WAL file to every repo, acknowledging only when every copy is durable. A segment is
 * read once into memory (16 MiB by default; see `prepare`), hashed, checked against the stanza,
 * compressed once and encrypted per repo. A repo that already holds the same content is skipped
 * with a warning; a different content there is error 45 and nothing is written anywhere.
 * Returns the warnings to log.
 */
export async function pushWalFile(opts: PushOptions): Promise<string[]> {
  const name = basename(opts.path);
  const isSegment = SEGMENT.test(name);
  // A segment is read and what runs off this thread (gz pieces on the thread pool, the async
  // archiver's workers) starts before the repos are asked anything: on an object store the first
  // request's TLS set-up and archive.info's round trip then overlap it. Its errors (a missing
  // file) still come after the repos' own, as pgBackRest checks the repos first.
  const started = isSegment ? startSegment(opts) : undefined;
  started?.catch(() => undefined);
  const targets = await pushRepos(opts);
  // The look-ups for an archived copy go out now (a round trip each on an object store), and the
  // work left for this thread (hash, other codecs) runs while they are out.
  const lookups = isSegment ? targets.map((t) => findSegment(t, opts.stanza, name)) : [];
  for (const lookup of lookups) lookup.catch(() => undefined);
  const warnings: string[] = [];
  if (started === undefined) {
    const data = readSegment(opts.path);
    await writeAll(targets, opts.stanza, name, () => data);
    return warnings;
  }
  const segment = (await started)();
  // Settled below unless the segment turns out to be archived already or refused.
  segment.compressed.catch(() => undefined);
  if (opts.headerCheck) checkHeader(segment, opts.path, name, targets[0]);
  const sha1 = segment.sha1;
  const pending: PushRepo[] = [];
  for (const [i, t] of targets.entries()) {
    const existing = await lookups[i];
    if (existing === undefined) pending.push(t);
    else if (existing === sha1) {
      if (opts.warnDuplicate) {
        warnings.push(
          `WAL file '${name}' already exists in the ${t.repo.name} archive with the same checksum\n` +
            'HINT: this is valid in some recovery scenarios but may also indicate a problem.',
        );
      }
    } else {
      throw err('ArchiveDuplicateError', `WAL file '${name}' already exists in the ${t.repo.name} archive with a different checksum`);
    }
  }
  if (pending.length === 0) return warnings;
  const compressed = await segment.compressed;
  await writeAll(pending, opts.stanza, walStoredName(name, sha1, opts.compressType), () => compressed);
  return warnings;
}

/**
 * Reads the segment and starts its off-thread work; the function it resolves to finishes the
 * rest in this thread. One synchronous read of the whole file (an async read goes through the
 * thread pool in 512 KiB pieces, about 25 ms of a 0.3 s archive-push, and nothing else runs
 * meanwhile).
 */
async function startSegment(opts: PushOptions): Promise<() => PreparedSegment> {
  if (opts.prepare !== undefined) {
    const prepared = await opts.prepare(opts.path);
    prepared.compressed.catch(() => undefined);
    return () => prepared;
  }
  const data = readSegment(opts.path);
  const pool = opts.compressType === 'gz' ? compressParallel('gz', data, opts.compressLevel, COMPRESS_PIECES) : undefined;
  pool?.catch(() => undefined);
  return () => ({
    size: data.length,
    head: data.subarray(0, PG_WAL_HEADER_SIZE),
    sha1: sha1Hex(data),
    compressed: pool ?? compressParallel(opts.compressType, data, opts.compressLevel, COMPRESS_PIECES),
  });
}

function readSegment(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw openReadError(path, e);
  }
}

/** Load archive.info of every repo; repos that fail or do not match are reported together. */
async function pushRepos(opts: PushOptions): Promise<PushRepo[]> {
  const ok: PushRepo[] = [];
  const failed: { repo: RepoTarget; error: PgbrError }[] = [];
  for (const repo of opts.repos) {
    try {
      const info = (await loadArchiveInfo(repo.storage, opts.stanza, { cipherPass: repo.cipherPass, displayPath: repo.display })).value;
      const cur = currentHistory(info);
      if (opts.pg && (opts.pg.version !== cur.version || opts.pg.systemId !== cur.systemId)) {
        throw err(
          'ArchiveMismatchError',
          `PostgreSQL version ${opts.pg.version}, system-id ${opts.pg.systemId} do not match ${repo.name} stanza version ` +
            `${cur.version}, system-id ${cur.systemId}`,
          { hints: ['are you archiving to the correct stanza?'] },
        );
      }
      ok.push({ repo, archiveId: `${cur.version}-${cur.id}`, version: cur.version, systemId: cur.systemId, cipherPass: info.cipherPass });
    } catch (e) {
      failed.push({ repo, error: toPgbrError(e) });
    }
  }
  if (failed.length > 0) {
    // pgBackRest refuses to push at all while any repo is unusable, so no repo gets ahead of another
    const lines = failed.map((f) => `${f.repo.name}: [${f.error.type}] ${f.error.message}`);
    const hints = [...new Set(failed.flatMap((f) => f.error.hints))];
    throw err('RepoInvalidError', `unable to find a valid repository:\n${lines.join('\n')}`, { hints });
  }
  return ok;
}

/**
 * The segment must be WAL of the stanza's cluster and, unlike pgBackRest (which accepts a cut-short
 * segment), exactly one segment long: a truncated copy archived would break every restore past it.
 */
function checkHeader(segment: PreparedSegment, path: string, name: string, t: PushRepo | undefined): void {
  if (t === undefined) return;
  if (segment.head.length < PG_WAL_HEADER_SIZE) throw err('FileReadError', `unable to read ${PG_WAL_HEADER_SIZE} byte(s) from '${path}'`);
  const header = parseWalHeader(segment.head);
  if (!name.endsWith('.partial') && segment.size !== header.segmentSize) {
    throw err('FormatError', `WAL file '${path}' is ${segment.size} byte(s) but its header gives a segment size of ${header.segmentSize}`, {
      hints: ['was the file truncated or copied while it was being written?'],
    });
  }
  if (header.version !== t.version || header.systemId !== t.systemId) {
    throw err(
      'ArchiveMismatchError',
      `WAL file '${path}' version ${header.version}, system-id ${header.systemId} do not match stanza version ${t.version}, ` +
        `system-id ${t.systemId}`,
    );
  }
}

/** SHA-1 of the stored copy of a segment, or undefined when the repo does not have it. */
async function findSegment(t: PushRepo, stanza: string, name: string): Promise<string | undefined> {
  const dir = `${archiveIdPath(stanza, t.archiveId)}/${walSegmentDir(name)}`;
  const found = await t.repo.storage.list(dir, { expression: walSegmentStoredRegex(name) });
  if (found.length > 1) {
    throw err('ArchiveDuplicateError', `duplicates found in the ${t.repo.name} archive for WAL segment ${name}: ${found.map((f) => f.name).sort().join(', ')}`, {
      hints: ['are multiple primaries archiving to this stanza?'],
    });
  }
  return found.length === 0 ? undefined : found[0].name.slice(name.length + 1, name.length + 41);
}

/**
 * Write to every repo in parallel; each write is atomic and durable before it resolves. Any failure is
 * CommandError [104] listing each failed repo, like pgBackRest's archivePushFile (even with one repo).
 */
async function writeAll(targets: PushRepo[], stanza: string, stored: string, content: () => Buffer): Promise<void> {
  const results = await Promise.allSettled(
    targets.map((t) => {
      const bytes = t.cipherPass === undefined ? content() : encryptBuffer(content(), t.cipherPass);
      return t.repo.storage.write(walPath(stanza, t.archiveId, stored), bytes, { atomic: true, sync: true });
    }),
  );
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ repo: targets[i].repo, error: toPgbrError(r.reason) }] : []));
  if (failed.length === 0) return;
  // pgBackRest wraps write errors even when there is a single repo: [104] with one `repoN: [Type] message` line each
  const lines = failed.map((f) => `${f.repo.name}: [${f.error.type}] ${f.error.message}`);
  throw err('CommandError', `archive-push command encountered error(s):\n${lines.join('\n')}`);
}
