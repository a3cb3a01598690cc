/**
 * Resume of an interrupted backup (backup-procedure / repo-layout §1.8): the newest label directory,
 * when it has `backup.manifest.copy` but no `backup.manifest` (so is not a listed backup) and was started
 * with the same type, prior and compression, is reused. Files its partial manifest records as
 * copied are kept when the stored bytes still match that record (rck and repo size, checked on the
 * raw bytes without decrypting) and the source file has the same size and time (with --delta: the
 * same size and checksum); everything else is copied again, and stray files in the directory are
 * removed.
 */
import type { Logger } from '../log/logger.js';
import { extensionOf } from '../io/compress.js';
import { BACKUP_MANIFEST_FILE, backupManifestPath, backupSetPath, backupStanzaPath, isBackupLabel, type BackupType } from '../repo/layout.js';
import { compareBytes } from '../repo/json.js';
import { loadInfoFile } from '../repo/info.js';
import { manifestFromSections, type Manifest, type ManifestFile } from '../repo/manifest.js';
import type { StorageDriver } from '../storage/storage.js';
import { VERSION } from '../version.js';
import type { CopyJob, ResumedCopy } from './manifest-jobs.js';

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
  /** Where the warning about a leftover that cannot be resumed goes. */
  log: Pick<Logger, 'warn'>;
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
 * Cleans the resumed set as pgBackRest 2.45 does (backupResumeClean), saying why each leftover goes
 * (`remove file '<path>' from resumed backup (<reason>)`, `remove path ...`). The copies it keeps
 * have their jobs marked for the copy to check and take over (CopyJob.resumed). Returns the jobs.
 */
export async function resumeFiles(o: {
  storage: StorageDriver;
  stanza: string;
  label: string;
  jobs: CopyJob[];
  manifest: Manifest;
  resumed: Manifest;
  log: Logger;
  /** The repo path as messages show it (RepoTarget.display). */
  display: (path: string) => string;
  /**
   * --delta: a kept copy is checked against its source too (ResumedCopy.checkSource), so a source
   * whose mtime changed can still be kept, as in 2.45, and one that changed within the same second
   * is not.
   */
  delta: boolean;
}): Promise<CopyJob[]> {
  const ext = extensionOf(o.manifest.options.compressType);
  const setPath = backupSetPath(o.stanza, o.label);
  const old = new Map(o.resumed.files.map((f) => [f.name, f]));
  const current = new Map(o.manifest.files.map((f) => [f.name, f]));
  const paths = new Set(o.manifest.paths.map((p) => p.name));
  const keep = new Set<string>();
  const entries = (await o.storage.list(setPath, { recurse: true })).sort((a, b) => compareBytes(a.name, b.name));
  let removedDir: string | undefined;
  for (const e of entries) {
    if (removedDir !== undefined && e.name.startsWith(`${removedDir}/`)) continue;
    const at = `${setPath}/${e.name}`;
    if (e.type === 'path') {
      if (paths.has(e.name)) continue;
      o.log.detail(`remove path '${o.display(at)}' from resumed backup`);
      await o.storage.pathRemove(at, { recurse: true });
      removedDir = e.name;
      continue;
    }
    if (e.type !== 'file') {
      o.log.detail(`remove link '${o.display(at)}' from resumed backup`);
      await o.storage.remove(at);
      continue;
    }
    if (e.name === BACKUP_MANIFEST_FILE || e.name === `${BACKUP_MANIFEST_FILE}.copy`) continue;
    const reason = removeReason(e.name, ext, current, old, o.delta);
    if (reason === undefined) {
      keep.add(e.name.slice(0, e.name.length - ext.length));
      continue;
    }
    o.log.detail(`remove file '${o.display(at)}' from resumed backup (${reason})`);
    await o.storage.remove(at);
  }
  // the kept copies are checked by the copy itself, in queue order (copy.ts, `checksum resumed file`)
  return o.jobs.map((job) => {
    const prev = old.get(job.name);
    if (prev === undefined || !keep.has(job.name) || prev.checksum === undefined) return job;
    const resumed: ResumedCopy = { checksum: prev.checksum, repoSize: prev.repoSize, ...(o.delta ? { checkSource: true } : {}) };
    if (prev.rck !== undefined) resumed.rck = prev.rck;
    if (prev.checksumPage !== undefined) resumed.checksumPage = prev.checksumPage;
    if (prev.checksumPageError !== undefined) resumed.checksumPageError = prev.checksumPageError;
    return { ...job, resumed };
  });
}

/**
 * Why a stored file of the resumed set cannot be kept, in pgBackRest 2.45's words and order of
 * checks; undefined when it can (its stored bytes are checked afterwards, storedMatches). Bundles
 * are never resumed: their directory is not a manifest path and goes as a whole.
 */
function removeReason(
  stored: string,
  ext: string,
  current: ReadonlyMap<string, ManifestFile>,
  old: ReadonlyMap<string, ManifestFile>,
  delta: boolean,
): string | undefined {
  if (ext !== '' ? !stored.endsWith(ext) : /\.(gz|lz4|zst|bz2|xz)$/.test(stored)) return 'mismatched compression type';
  const name = stored.slice(0, stored.length - ext.length);
  const file = current.get(name);
  if (file === undefined) return 'missing in manifest';
  if (file.reference !== undefined) return 'reference in manifest';
  const prev = old.get(name);
  if (prev === undefined) return 'missing in resumed manifest';
  if (prev.checksum === undefined || prev.reference !== undefined) return 'no checksum in resumed manifest';
  if (file.size !== prev.size) return 'mismatched size';
  // with delta the source's checksum decides, during the copy (ResumedCopy.checkSource)
  if (!delta && file.timestamp !== prev.timestamp) return 'mismatched timestamp';
  // a partial manifest gives every zero-size file the empty checksum whether or not it was copied
  if (file.size === 0) return 'zero size';
  return undefined;
}
