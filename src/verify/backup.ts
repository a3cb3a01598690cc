import { toPgbrError } from '../error/error.js';
import type { Logger } from '../log/logger.js';
import { BUNDLE_PATH, compressExtension } from '../repo/layout.js';
import { manifestFromSections, EMPTY_SHA1, type Manifest, type ManifestFile } from '../repo/manifest.js';
import type { PgHistoryEntry } from '../repo/pg-history.js';
import type { StorageDriver } from '../storage/storage.js';
import { verifyFile, type VerifyFileJob, type VerifyResult } from './file.js';
import { loadOneInfo } from './info-files.js';
import { RESULT_MESSAGE, runLimited, type BackupResult, type VerifyState } from './model.js';

export interface BackupContext {
  storage: StorageDriver;
  /** `backup/<stanza>` */
  base: string;
  manifestPass?: string;
  history: PgHistoryEntry[];
  processMax: number;
  log: Logger;
  display: (p: string) => string;
}

/** One backup: its manifest, then every file it owns; files of earlier backups count as they did there. */
export async function verifyBackup(ctx: BackupContext, label: string, inProgress: boolean, state: VerifyState): Promise<void> {
  const result: BackupResult = { label, status: 'valid', totalFileVerify: 0, totalFileValid: 0, invalid: new Map(), reasons: [] };
  state.backups.push(result);
  const manifest = await loadBackupManifest(ctx, result, inProgress);
  if (manifest === undefined) {
    if (result.status === 'valid') {
      result.status = 'invalid';
      state.errors++;
    }
    return;
  }
  if (manifest.files.length === 0) {
    ctx.log.info(`backup '${label}' manifest does not contain any target files to verify`);
    result.status = 'invalid';
    state.errors++;
    return;
  }
  const ext = compressExtension(manifest.options.compressType);
  const jobs: Array<{ key: string; job: VerifyFileJob }> = [];
  for (const file of manifest.files) {
    result.totalFileVerify++;
    if (file.size === 0 && manifest.backup.bundle === true) {
      result.totalFileValid++;
      continue;
    }
    const owner = file.reference ?? label;
    const key = `${owner}/${file.name}${ext}`;
    const prior = file.reference === undefined ? undefined : state.backups.find((b) => b.label === file.reference);
    if (prior !== undefined) {
      const reason = prior.invalid.get(key);
      if (reason === undefined) result.totalFileValid++;
      else fail(result, key, reason);
      continue;
    }
    jobs.push({ key, job: fileJob(manifest, file, owner, key, ctx) });
  }
  await runLimited(jobs, ctx.processMax, async ({ key, job }, worker) => {
    let res: VerifyResult;
    try {
      res = await verifyFile(ctx.storage, job);
    } catch (e) {
      const pe = toPgbrError(e);
      ctx.log.write('info', `${RESULT_MESSAGE.other} ${key}: [${pe.code}] ${pe.message}`, undefined, worker);
      res = 'other';
    }
    if (res === 'ok') {
      result.totalFileValid++;
      return;
    }
    if (res !== 'other') ctx.log.write('info', `${RESULT_MESSAGE[res]} '${key}'`, undefined, worker);
    state.errors++;
    fail(result, key, res);
  });
}

function fail(result: BackupResult, key: string, reason: VerifyResult): void {
  result.status = 'invalid';
  result.invalid.set(key, reason);
  result.reasons.push(reason);
}

/** Stored bytes are checked against `rck` when the manifest has it, else decoded and checked against `checksum`. */
function fileJob(m: Manifest, file: ManifestFile, owner: string, key: string, ctx: BackupContext): VerifyFileJob {
  const bundled = file.bundleId !== undefined && file.bundleId !== 0;
  const where = bundled
    ? { path: `${ctx.base}/${owner}/${BUNDLE_PATH}/${file.bundleId}`, offset: file.bundleOffset ?? 0, limit: file.repoSize }
    : { path: `${ctx.base}/${key}` };
  if (file.rck !== undefined) return { ...where, checksum: file.rck, size: file.repoSize, decode: false, compressName: key };
  return {
    ...where, checksum: file.checksum ?? EMPTY_SHA1, size: file.size, decode: true, compressName: key,
    ...(m.cipherPass !== undefined ? { cipherPass: m.cipherPass } : {}),
  };
}

async function loadBackupManifest(ctx: BackupContext, result: BackupResult, inProgress: boolean): Promise<Manifest | undefined> {
  const path = `${ctx.base}/${result.label}/backup.manifest`;
  const load = (p: string) => loadOneInfo(ctx.storage, p, manifestFromSections, ctx.manifestPass, ctx.log, ctx.display);
  let manifest: Manifest | undefined;
  const main = await load(path);
  if (main.value !== undefined) {
    manifest = main.value;
    const copy = await load(`${path}.copy`);
    if (copy.checksum !== undefined && copy.checksum !== main.checksum) {
      ctx.log.warn(`backup '${result.label}' manifest.copy does not match manifest`);
    }
  } else if (inProgress && main.errorType === 'FileMissingError') {
    result.status = 'in-progress';
    ctx.log.info(`backup '${result.label}' appears to be in progress, skipping`);
    return undefined;
  } else {
    const copy = await load(`${path}.copy`);
    if (copy.value !== undefined) {
      ctx.log.warn(`${result.label}/backup.manifest is missing or unusable, using copy`);
      manifest = copy.value;
    } else if (main.errorType === 'FileMissingError' && copy.errorType === 'FileMissingError') {
      result.status = 'manifest missing';
      ctx.log.warn(`manifest missing for '${result.label}' - backup may have expired`);
    }
  }
  if (manifest !== undefined && !inHistory(ctx, manifest)) {
    const db = manifest.db;
    ctx.log.error(
      `'${result.label}' may not be recoverable - PG data (id ${db.id}, version ${db.version}, system-id ${db.systemId}) ` +
        'is not in the backup.info history, skipping',
      28,
    );
    return undefined;
  }
  return manifest;
}

function inHistory(ctx: BackupContext, m: Manifest): boolean {
  return ctx.history.some((h) => h.id === m.db.id && h.systemId === m.db.systemId && h.version === m.db.version);
}
