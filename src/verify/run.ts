import { toPgbrError } from '../error/error.js';
import type { Logger } from '../log/logger.js';
import { archiveInfoFromSections, type ArchiveInfo } from '../repo/archive-info.js';
import { backupInfoFromSections, type BackupInfo } from '../repo/backup-info.js';
import { archiveStanzaPath, archiveInfoPath, backupInfoPath, backupStanzaPath } from '../repo/layout.js';
import type { RepoTarget } from '../command/common/repos.js';
import { verifyArchiveId } from './archive.js';
import { verifyBackup } from './backup.js';
import { loadInfoPair } from './info-files.js';
import type { VerifyState } from './model.js';
import { rangeLines, renderResults } from './render.js';

const ARCHIVE_ID = /^[0-9]+(\.[0-9]+)?-[0-9]+$/;
const BACKUP_LABEL = /^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}(D|I))?$/;

export interface VerifyOptions {
  stanza: string;
  verbose: boolean;
  processMax: number;
}

/**
 * Verify one repo as pgBackRest 2.45 does; returns the result block (`stanza: ...`), or '' when
 * there is nothing to say (no errors and not verbose).
 */
export async function verifyRepo(repo: RepoTarget, opts: VerifyOptions, log: Logger): Promise<string> {
  const state: VerifyState = { errors: 0, archives: [], backups: [] };
  const { stanza } = opts;
  const load = <T>(path: string, name: string, decode: (s: Map<string, Map<string, string>>) => T) =>
    loadInfoPair(repo.storage, path, name, decode, repo.cipherPass, log, repo.display);
  let body = '';
  const backupInfo = await load(backupInfoPath(stanza), 'backup.info', backupInfoFromSections);
  if (backupInfo === undefined) body += '\n  No usable backup.info file';
  const archiveInfo = await load(archiveInfoPath(stanza), 'archive.info', archiveInfoFromSections);
  if (archiveInfo === undefined) body += '\n  No usable archive.info file';
  if (backupInfo === undefined || archiveInfo === undefined) state.errors++;
  else {
    const mismatch = historyMismatch(archiveInfo, backupInfo);
    if (mismatch !== undefined) {
      body += `\n${mismatch}`;
      state.errors++;
    } else {
      body = await verifyContent(repo, opts, log, state, archiveInfo, backupInfo);
    }
  }
  if (!opts.verbose && state.errors === 0) return '';
  return `stanza: ${stanza}\nstatus: ${state.errors > 0 ? 'error' : 'ok'}${body}`;
}

async function verifyContent(
  repo: RepoTarget, opts: VerifyOptions, log: Logger, state: VerifyState, archiveInfo: ArchiveInfo, backupInfo: BackupInfo,
): Promise<string> {
  const { storage } = repo;
  const backupBase = backupStanzaPath(opts.stanza);
  const archiveBase = archiveStanzaPath(opts.stanza);
  const labels = (await storage.list(backupBase, { expression: BACKUP_LABEL })).filter((e) => e.type === 'path').map((e) => e.name).sort();
  const archiveIds = (await storage.list(archiveBase, { expression: ARCHIVE_ID }))
    .filter((e) => e.type === 'path')
    .map((e) => e.name)
    .sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]) || a.localeCompare(b));
  if (labels.length === 0 && archiveIds.length === 0) return '\n    no archives or backups exist in the repo';
  if (labels.length === 0 || archiveIds.length === 0) log.detail(`no ${archiveIds.length === 0 ? 'archives' : 'backups'} exist in the repo`);
  const known = new Set(archiveInfo.history.map((h) => `${h.version}-${h.id}`));
  const unknown = archiveIds.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    log.info(`archiveIds '${unknown.join(', ')}' are not in the archive.info history list`);
    state.errors++;
  }
  const current = labels.at(-1);
  const inProgress = current !== undefined && !backupInfo.backups.some((b) => b.label === current) ? current : undefined;
  const actx = { storage, base: archiveBase, walPass: archiveInfo.cipherPass, processMax: opts.processMax, log };
  for (const id of archiveIds) await verifyArchiveId(actx, id, state);
  const bctx = {
    storage, base: backupBase, manifestPass: backupInfo.cipherPass, history: archiveInfo.history,
    processMax: opts.processMax, log, display: repo.display,
  };
  for (const label of labels) await verifyBackup(bctx, label, label === inProgress, state);
  for (const line of rangeLines(state)) log.detail(line);
  return renderResults(state, opts.verbose);
}

/** archive.info and backup.info must describe the same current cluster and the same history. */
function historyMismatch(archive: ArchiveInfo, backup: BackupInfo): string | undefined {
  try {
    const a = archive.history.find((h) => h.id === archive.currentId);
    const b = backup.history.find((h) => h.id === backup.currentId);
    if (a?.version !== b?.version || a?.systemId !== b?.systemId) {
      return 'backup info file and archive info file do not match';
    }
    const same =
      archive.history.length === backup.history.length &&
      archive.history.every((h, i) => {
        const o = backup.history[i]!;
        return h.id === o.id && h.systemId === o.systemId && h.version === o.version;
      });
    return same ? undefined : 'archive and backup history lists do not match';
  } catch (e) {
    return toPgbrError(e).message;
  }
}
