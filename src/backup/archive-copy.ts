/**
 * `--archive-copy`: the WAL segments a backup needs to be consistent (from its start segment to
 * its stop segment) are copied from the archive into the backup as `pg_data/pg_wal/<segment>`,
 * so the backup restores without the archive. As pgBackRest 2.45 does it (backupArchiveCheckCopy):
 * the archive's copy is decrypted with the archive's passphrase, recompressed only when the
 * archive's compress type differs from the backup's, encrypted with the backup's passphrase; the
 * manifest entry takes the segment's SHA-1 from its archive name, the backup's stop time and
 * PGDATA's owner, with no repo checksum.
 */
import { basename } from 'node:path';
import { PassThrough } from 'node:stream';
import { decryptStream, encryptStream } from '../io/cipher.js';
import { compressStream, decompressStream, extensionOf, typeFromFileName } from '../io/compress.js';
import { runPipeline } from '../io/pipeline.js';
import { SizeFilter } from '../io/size.js';
import type { Logger } from '../log/logger.js';
import { backupSetPath } from '../repo/layout.js';
import { ownedLikePgData, PG_DATA, putManifestFile, type Manifest, type ManifestFile } from '../repo/manifest.js';
import type { StorageDriver } from '../storage/storage.js';
import { err } from '../error/error.js';

export interface ArchiveCopy {
  storage: StorageDriver;
  stanza: string;
  manifest: Manifest;
  /** archive.info's passphrase for WAL files (encrypted repos). */
  archivePass?: string;
  segmentSize: number;
  /** `pg_wal`, or `pg_xlog` before PostgreSQL 10. */
  walDir: string;
  log: Logger;
}

/** Copies one archived segment (`stored`: its repo path) into the backup and lists it in the manifest. */
export async function copySegmentToBackup(o: ArchiveCopy, segment: string, stored: string): Promise<void> {
  o.log.detail(`copy segment ${segment} to backup`);
  const m = o.manifest;
  const storedName = basename(stored);
  const checksum = /^[0-F]{24}-([0-9a-f]{40})/.exec(storedName)?.[1];
  if (checksum === undefined) throw err('FormatError', `unable to get the checksum of WAL segment ${segment} from '${storedName}'`);
  const archiveType = typeFromFileName(storedName);
  const backupType = m.options.compressType;
  const source = await o.storage.read(stored);
  if (source === null) throw err('FileMissingError', `unable to open missing file '${stored}' for read`);
  const stages: NodeJS.ReadWriteStream[] = [];
  if (o.archivePass !== undefined) stages.push(decryptStream(o.archivePass));
  if (archiveType !== backupType) {
    if (archiveType !== 'none') stages.push(decompressStream(archiveType));
    if (backupType !== 'none') stages.push(compressStream(backupType, m.options.compressLevel));
  }
  if (m.cipherPass !== undefined) stages.push(encryptStream(m.cipherPass));
  const size = new SizeFilter();
  const entry: ManifestFile = {
    name: `${PG_DATA}/${o.walDir}/${segment}`,
    size: o.segmentSize,
    timestamp: m.backup.timestampStop,
    checksum,
    repoSize: 0,
    ...ownedLikePgData(m, 0o644),
  };
  // streamed: a segment may be up to 1 GiB
  const pass = new PassThrough();
  const writing = o.storage.write(`${backupSetPath(o.stanza, m.backup.label)}/${entry.name}${extensionOf(backupType)}`, pass).catch((e: unknown) => {
    pass.destroy(e as Error);
    throw e;
  });
  await Promise.all([runPipeline(source, [...stages, size], pass), writing]);
  entry.repoSize = size.size;
  putManifestFile(m, entry);
}
