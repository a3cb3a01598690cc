import type { Logger } from '../../log/logger.js';
import { loadArchiveInfo } from '../../repo/archive-info.js';
import type { BackupInfo } from '../../repo/backup-info.js';
import { archiveId as makeArchiveId, archiveIdPath, archiveStanzaPath, WAL_HISTORY_REGEX } from '../../repo/layout.js';
import {
  archiveRetentionList, checkHistoryMatch, dirKept, dirNeedsScan, fileKept, historyFileExpired, planArchiveId, rangeText,
  RemovedRanges, type ArchiveRange, type ArchiveRetentionType,
} from '../../expire/plan-archive.js';
import type { RepoTarget } from '../common/repos.js';

const ARCHIVE_ID_REGEX = /^[0-9]+(\.[0-9]+)*-[0-9]+$/;
const WAL_DIR_REGEX = /^[0-F]{16}$/;
const WAL_FILE_REGEX = /^[0-F]{24}.*$/;

export interface ArchiveExpireOptions {
  repo: RepoTarget;
  stanza: string;
  info: BackupInfo;
  log: Logger;
  dryRun: boolean;
  type: ArchiveRetentionType;
  /** Effective archive retention; undefined: WAL is not expired. */
  retention?: number;
  timeBased: boolean;
}

/** Remove the WAL no retained backup needs, per archive id (pgBackRest 2.45 removeExpiredArchive). */
export async function expireArchive(o: ArchiveExpireOptions): Promise<void> {
  const { repo, log } = o;
  if (o.retention === undefined) {
    if (o.timeBased) log.info(`${repo.name}: time-based archive retention not met - archive logs will not be expired`);
    else log.info(`option '${repo.name}-retention-archive' is not set - archive logs will not be expired`);
    return;
  }
  const retention = archiveRetentionList(o.info.backups, o.type, o.retention);
  if (retention === undefined) return;
  const archive = (await loadArchiveInfo(repo.storage, o.stanza, { cipherPass: repo.cipherPass, displayPath: repo.display })).value;
  checkHistoryMatch(archive.history, o.info.history);
  const onDisk = new Set((await repo.storage.list(archiveStanzaPath(o.stanza), { expression: ARCHIVE_ID_REGEX })).map((e) => e.name));
  for (const h of [...archive.history].sort((a, b) => a.id - b.id)) {
    const id = makeArchiveId(h.version, h.id);
    if (!onDisk.has(id)) continue;
    const plan = planArchiveId({ archiveId: id, pgId: h.id, currentPgId: archive.currentId, backups: o.info.backups, retention });
    if (plan.action === 'remove-path') {
      const path = archiveIdPath(o.stanza, id);
      log.info(`${repo.name}: remove archive path ${repo.display(path)}`);
      if (!o.dryRun) await repo.storage.pathRemove(path, { recurse: true });
    } else if (plan.action === 'expire') {
      for (const r of plan.ranges) log.detail(`${repo.name}: ${rangeText(id, r)}`);
      await expireArchiveId(o, id, plan.ranges, plan.retentionStart);
    }
  }
}

async function expireArchiveId(o: ArchiveExpireOptions, id: string, ranges: ArchiveRange[], retentionStart: string): Promise<void> {
  const { repo, log } = o;
  const base = archiveIdPath(o.stanza, id);
  const removed = new RemovedRanges();
  const emit = () => {
    for (const l of removed.lines.splice(0)) log.info(`${repo.name}: ${id} remove archive, start = ${l.start}, stop = ${l.stop}`);
  };
  const dirs = (await repo.storage.list(base, { expression: WAL_DIR_REGEX })).map((e) => e.name).sort();
  for (const dir of dirs) {
    if (!dirKept(dir, ranges)) {
      if (!o.dryRun) await repo.storage.pathRemove(`${base}/${dir}`, { recurse: true });
      removed.removedDir(dir);
      continue;
    }
    if (!dirNeedsScan(dir, retentionStart)) continue;
    const files = (await repo.storage.list(`${base}/${dir}`, { expression: WAL_FILE_REGEX })).map((e) => e.name).sort();
    for (const file of files) {
      if (fileKept(file, ranges)) {
        removed.kept();
        emit();
        continue;
      }
      if (!o.dryRun) await repo.storage.remove(`${base}/${dir}/${file}`);
      removed.removedFile(file);
    }
  }
  if (removed.total === 0) log.info(`${repo.name}: ${id} no archive to remove`);
  removed.flush();
  emit();
  await expireHistoryFiles(o, id, retentionStart);
}

/** `<timeline>.history` files older than the retention backup's timeline. */
async function expireHistoryFiles(o: ArchiveExpireOptions, id: string, retentionStart: string): Promise<void> {
  const base = archiveIdPath(o.stanza, id);
  const names = (await o.repo.storage.list(base, { expression: WAL_HISTORY_REGEX })).map((e) => e.name).sort();
  for (const name of names) {
    if (!historyFileExpired(name, retentionStart)) continue;
    if (!o.dryRun) await o.repo.storage.remove(`${base}/${name}`);
    o.log.info(`${o.repo.name}: ${id} remove history file ${name}`);
  }
}
