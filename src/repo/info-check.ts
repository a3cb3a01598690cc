/**
 * Checks of the info files against each other and against the cluster, with pgBackRest 2.45's
 * error types and texts (checked against the real binary: stanza-create, archive-push, backup).
 */
import { err } from '../error/error.js';
import type { ArchiveInfo } from './archive-info.js';
import type { BackupInfo } from './backup-info.js';
import { currentHistory } from './pg-history.js';

/** What pg_control says about the cluster. */
export interface PgIdentity {
  version: string;
  systemId: bigint;
}

/** archive-push/get: ArchiveMismatchError when the cluster is not the stanza's current one. */
export function checkArchiveInfoPg(info: ArchiveInfo, pg: PgIdentity, repoName = 'repo1'): void {
  const cur = currentHistory(info);
  if (cur.version === pg.version && cur.systemId === pg.systemId) return;
  throw err(
    'ArchiveMismatchError',
    `PostgreSQL version ${pg.version}, system-id ${pg.systemId} do not match ${repoName} stanza version ` +
      `${cur.version}, system-id ${cur.systemId}`,
    { hints: ['are you archiving to the correct stanza?'] },
  );
}

/** backup: BackupMismatchError when the cluster is not the stanza's current one. */
export function checkBackupInfoPg(info: BackupInfo, pg: PgIdentity): void {
  const cur = currentHistory(info);
  if (cur.version === pg.version && cur.systemId === pg.systemId) return;
  throw err(
    'BackupMismatchError',
    `PostgreSQL version ${pg.version}, system-id ${pg.systemId} do not match stanza version ` +
      `${cur.version}, system-id ${cur.systemId}`,
    { hints: ['is this the correct stanza?'] },
  );
}

/** The current entries of archive.info and backup.info must be the same cluster and history id. */
export function checkStanzaInfo(archive: ArchiveInfo, backup: BackupInfo): void {
  const a = currentHistory(archive);
  const b = currentHistory(backup);
  if (a.id === b.id && a.systemId === b.systemId && a.version === b.version) return;
  throw err(
    'FileInvalidError',
    'backup info file and archive info file do not match\n' +
      `archive: id = ${a.id}, version = ${a.version}, system-id = ${a.systemId}\n` +
      `backup : id = ${b.id}, version = ${b.version}, system-id = ${b.systemId}`,
    { hints: ['this may be a symptom of repository corruption!'] },
  );
}

/** stanza-create/check on an existing stanza: both files agree and describe this cluster. */
export function checkStanzaInfoPg(archive: ArchiveInfo, backup: BackupInfo, pg: PgIdentity): void {
  checkStanzaInfo(archive, backup);
  const a = currentHistory(archive);
  if (a.version === pg.version && a.systemId === pg.systemId) return;
  throw err('FileInvalidError', 'backup and archive info files exist but do not match the database', {
    hints: ['is this the correct stanza?', 'did an error occur during stanza-upgrade?'],
  });
}
