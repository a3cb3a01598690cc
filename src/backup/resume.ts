/**
 * Resume of an interrupted backup (backup-procedure / repo-layout §1.8): the newest label directory,
 * when it has `backup.manifest.copy` but no `backup.manifest` (so is not a listed backup) and was started
 * with the same type, prior and compression, is reused. Files its partial manifest records as
 * copied are kept when the stored bytes still match that record (rck and repo size, checked on the
 * raw bytes without decrypting) and the source file has the same size and time; everything else is
 * copied again, and stray files in the directory are removed.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { extensionOf } from '../io/compress.js';
import { backupManifestPath, backupSetPath, backupStanzaPath, isBackupLabel, type BackupType } from '../repo/layout.js';
import { loadInfoFile } from '../repo/info.js';
import { manifestFromSections, type Manifest, type ManifestFile } from '../repo/manifest.js';
import type { StorageDriver } from '../storage/storage.js';
import { VERSION } from '../version.js';
import type { CopyJob } from './manifest-build.js';
import { formatSize } from '../util/format.js';

export interface Resumable {
  label: string;
  manifest: Manifest;
}

/**
 * The resumable backup, if any. As in pgBackRest, only the newest backup directory can be one, and
 * only while it has no final backup.manifest: a finished backup is never touched here (backup.info
 * reconstruction adds it back when it is valid, see reconstruct.ts). A newest directory without
 * one that cannot be resumed is removed with a warning.
 */
export async function findResumable(o: {
  storage: StorageDriver;
  stanza: string;
  type: BackupType;
  prior?: string;
  compressType: string;
  manifestPass?: string;
  log: Logger;
}): Promise<Resumable | undefined> {
  const label = (await o.storage.list(backupStanzaPath(o.stanza)))
    .filter((e) => e.type === 'path' && isBackupLabel(e.name))
    .map((e) => e.name)
    .sort()
    .pop();
  if (label === undefined || (await o.storage.fileExists(backupManifestPath(o.stanza, label)))) return undefined;
  const why = await notResumable(o, label);
  if (typeof why !== 'string') return { label, manifest: why };
  o.log.warn(`backup '${label}' cannot be resumed: ${why}`);
  await o.storage.pathRemove(backupSetPath(o.stanza, label));
  return undefined;
}

/** The partial manifest when the leftover can be resumed, else the reason it cannot. */
async function notResumable(
  o: { storage: StorageDriver; stanza: string; type: BackupType; prior?: string; compressType: string; manifestPass?: string },
  label: string,
): Promise<Manifest | string> {
  const path = backupManifestPath(o.stanza, label);
  if (!(await o.storage.fileExists(`${path}.copy`))) return 'partially deleted by prior resume or invalid';
  let m: Manifest;
  try {
    // the copy alone: loading the pair would fall back to nothing anyway
    m = (await loadInfoFile(o.storage, `${path}.copy`, (p) => manifestFromSections(p.sections, p.decoded), { cipherPass: o.manifestPass })).value;
  } catch {
    return 'unable to read backup.manifest.copy';
  }
  if ((m.backrestVersion ?? VERSION) !== VERSION) return `new pgBackRest version '${VERSION}' does not match resumable pgBackRest version '${m.backrestVersion}'`;
  if (m.backup.type !== o.type) return `new backup type '${o.type}' does not match resumable backup type '${m.backup.type}'`;
  if ((m.backup.prior ?? '') !== (o.prior ?? '')) {
    return `new prior backup label '${o.prior ?? '<undef>'}' does not match resumable prior backup label '${m.backup.prior ?? '<undef>'}'`;
  }
  if (m.options.compressType !== o.compressType) {
    return `new compression '${o.compressType}' does not match resumable compression '${m.options.compressType}'`;
  }
  return m;
}

/**
 * Keep the resumed copies that are still valid: their manifest entries take the recorded results
 * and their jobs are dropped. Returns the jobs left to run.
 */
export async function resumeFiles(o: {
  storage: StorageDriver;
  stanza: string;
  label: string;
  jobs: CopyJob[];
  manifest: Manifest;
  resumed: Manifest;
  log: Logger;
}): Promise<CopyJob[]> {
  const ext = extensionOf(o.manifest.options.compressType);
  const setPath = backupSetPath(o.stanza, o.label);
  const old = new Map(o.resumed.files.map((f) => [f.name, f]));
  const current = new Map(o.manifest.files.map((f) => [f.name, f]));
  const remaining: CopyJob[] = [];
  for (const job of o.jobs) {
    const prev = old.get(job.name);
    const file = current.get(job.name) as ManifestFile;
    if (prev && reusable(prev, file) && (await storedMatches(o.storage, `${setPath}/${job.name}${ext}`, prev))) {
      Object.assign(file, { checksum: prev.checksum, repoSize: prev.repoSize, rck: prev.rck });
      if (prev.checksumPage !== undefined) file.checksumPage = prev.checksumPage;
      if (prev.checksumPageError !== undefined) file.checksumPageError = prev.checksumPageError;
      if (prev.rck === undefined) delete file.rck;
      o.log.detail(`checksum resumed file ${job.pgFile} (${formatSize(file.size)}) checksum ${prev.checksum}`);
    } else {
      remaining.push(job);
    }
  }
  await removeStrays(o.storage, setPath, new Set(o.manifest.files.map((f) => `${f.name}${ext}`)));
  return remaining;
}

/**
 * Zero-size files are always copied again, as pgBackRest does: a partial manifest gives every one of
 * them the empty checksum whether or not it was copied, so a 0-byte leftover would pass as valid.
 */
function reusable(prev: ManifestFile, file: ManifestFile): boolean {
  return (
    prev.checksum !== undefined && prev.reference === undefined && prev.size > 0 && prev.size === file.size &&
    prev.timestamp === file.timestamp && file.reference === undefined
  );
}

/** The stored bytes are the ones recorded: rck (or, stored raw, the checksum) and repo size. */
async function storedMatches(storage: StorageDriver, path: string, prev: ManifestFile): Promise<boolean> {
  const stream = await storage.read(path, { ignoreMissing: true });
  if (stream === null) return false;
  const hash = createHash('sha1');
  let size = 0;
  try {
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch {
    return false;
  }
  return size === prev.repoSize && hash.digest('hex') === (prev.rck ?? prev.checksum);
}

/** Files in the set directory that the new manifest does not name (invalid or vanished). */
async function removeStrays(storage: StorageDriver, setPath: string, expected: Set<string>): Promise<void> {
  for (const e of await storage.list(setPath, { recurse: true })) {
    if (e.type !== 'file' || e.name.startsWith('backup.manifest')) continue;
    if (!expected.has(e.name)) await storage.remove(`${setPath}/${e.name}`);
  }
}
