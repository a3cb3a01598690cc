import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { err, toPgbrError, type PgbrError } from '../error/error.js';
import { decryptStream } from '../io/cipher.js';
import { decompressStream, typeFromFileName } from '../io/compress.js';
import { HashFilter } from '../io/hash.js';
import { runPipeline } from '../io/pipeline.js';
import { loadArchiveInfo } from '../repo/archive-info.js';
import { archiveIdPath, archiveStanzaPath, walPath, walSegmentDir, walSegmentStoredRegex } from '../repo/layout.js';
import type { RepoTarget } from '../command/common/repos.js';

export interface GetOptions {
  /** The name PostgreSQL asks for (`%f`): a segment, a `.partial` segment or a `.history` file. */
  name: string;
  /** Where to write it (`%p`, made absolute). */
  dest: string;
  stanza: string;
  repos: RepoTarget[];
  /** The local cluster: only archive ids of the same version and system id are searched. */
  pg: { version: string; systemId: bigint };
}

export interface GetResult {
  /** `repo1: 15-1` when found. */
  foundIn?: string;
  /** Errors of repos that were skipped while the file was found in another one. */
  warnings: string[];
}

interface Found {
  repo: RepoTarget;
  archiveId: string;
  /** Repo path of the stored file. */
  path: string;
  storedName: string;
  cipherPass?: string;
}

const SEGMENT = /^[0-F]{24}(\.partial)?$/;

/**
 * `restore_command`: find the file in the first repo (in order) and archive id (newest first) that
 * has it, then decrypt, decompress and verify it while writing `dest` through a temp file and a
 * rename, so PostgreSQL never sees a partial segment. Not found is `foundIn: undefined`.
 */
export async function getWalFile(opts: GetOptions): Promise<GetResult> {
  // repos whose archive could not be searched, `repoN: [Type] message` (the last error kept whole)
  const skipped: string[] = [];
  let lastError: PgbrError | undefined;
  // copies found but unreadable (corrupt, cut short): the next repo's copy is tried, as 2.45 does
  const failed: string[] = [];
  for (const repo of opts.repos) {
    let found: Found | undefined;
    try {
      found = await findInRepo(repo, opts);
    } catch (e) {
      lastError = toPgbrError(e);
      skipped.push(`${repo.name}: [${lastError.type}] ${lastError.message}`);
      continue;
    }
    if (found === undefined) continue;
    try {
      await fetchTo(found, opts.dest);
    } catch (e) {
      const pe = toPgbrError(e);
      failed.push(`${repo.name}: ${found.path.slice(`${archiveStanzaPath(opts.stanza)}/`.length)} [${pe.type}] ${pe.message}`);
      continue;
    }
    return { foundIn: `${repo.name}: ${found.archiveId}`, warnings: [...skipped, ...failed] };
  }
  if (failed.length > 0) throw err('FileReadError', `unable to get ${opts.name}:\n${failed.join('\n')}`);
  if (lastError !== undefined && opts.repos.length === 1) throw lastError;
  if (skipped.length > 0) throw err('RepoInvalidError', `unable to find a valid repository:\n${skipped.join('\n')}`);
  return { warnings: [] };
}

async function findInRepo(repo: RepoTarget, opts: GetOptions): Promise<Found | undefined> {
  const info = (await loadArchiveInfo(repo.storage, opts.stanza, { cipherPass: repo.cipherPass, displayPath: repo.display })).value;
  const ids = info.history
    .filter((h) => h.version === opts.pg.version && h.systemId === opts.pg.systemId)
    .sort((a, b) => b.id - a.id)
    .map((h) => `${h.version}-${h.id}`);
  if (ids.length === 0) {
    throw err(
      'ArchiveMismatchError',
      `unable to retrieve the archive id for database version '${opts.pg.version}' and system-id '${opts.pg.systemId}'`,
    );
  }
  for (const archiveId of ids) {
    const base = archiveIdPath(opts.stanza, archiveId);
    if (SEGMENT.test(opts.name)) {
      const dir = `${base}/${walSegmentDir(opts.name)}`;
      const hits = await repo.storage.list(dir, { expression: walSegmentStoredRegex(opts.name) });
      if (hits.length > 1) {
        throw err('ArchiveDuplicateError', `duplicates found for WAL segment ${opts.name}: ${hits.map((h) => h.name).sort().join(', ')}`, {
          hints: ['are multiple primaries archiving to this stanza?'],
        });
      }
      if (hits.length === 1) return { repo, archiveId, path: `${dir}/${hits[0].name}`, storedName: hits[0].name, cipherPass: info.cipherPass };
    } else {
      // .history at the archive id's root, .backup beside its segment
      const path = walPath(opts.stanza, archiveId, opts.name);
      if (await repo.storage.fileExists(path)) return { repo, archiveId, path, storedName: opts.name, cipherPass: info.cipherPass };
    }
  }
  return undefined;
}

/** Stream the stored file into `dest`; the SHA-1 in a segment's name must match what was written. */
async function fetchTo(found: Found, dest: string): Promise<void> {
  const source = await found.repo.storage.read(found.path);
  if (source === null) throw err('FileMissingError', `unable to open missing file '${found.repo.display(found.path)}' for read`);
  const tmp = `${dest}.pgbackrest.tmp`;
  const hash = new HashFilter();
  const filters: NodeJS.ReadWriteStream[] = [];
  if (found.cipherPass !== undefined) filters.push(decryptStream(found.cipherPass));
  filters.push(decompressStream(typeFromFileName(found.storedName)), hash);
  try {
    await runPipeline(source, filters, createWriteStream(tmp, { mode: 0o640 }));
    const expected = /-([0-9a-f]{40})(\.\w+)?$/.exec(found.storedName)?.[1];
    if (expected !== undefined && expected !== hash.digest()) {
      throw err('ChecksumError', `WAL file '${found.repo.display(found.path)}' has checksum ${hash.digest()} but its name says ${expected}`);
    }
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
