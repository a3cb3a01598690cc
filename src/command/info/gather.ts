import type { Config } from '../../config/config.js';
import { err, isPgbrError, toPgbrError } from '../../error/error.js';
import { lockStatus } from '../../lock/lock.js';
import { loadArchiveInfo, type ArchiveInfo } from '../../repo/archive-info.js';
import { loadBackupInfo, type BackupInfo, type BackupEntry } from '../../repo/backup-info.js';
import { archiveIdPath } from '../../repo/layout.js';
import { repoTargets, type RepoTarget } from '../common/repos.js';
import { INFO_STATUS, type InfoArchive, type InfoBackup, type InfoStanza, type InfoStatus } from './model.js';
import { walMinMax } from './wal-range.js';
import { addSetDetail } from './set-detail.js';

/** What one repo knows about one stanza. */
interface RepoStanza {
  repo: RepoTarget;
  status: InfoStatus;
  archive?: ArchiveInfo;
  backup?: BackupInfo;
  archives: InfoArchive[];
}

/** Everything `info` shows, for the given stanza or every stanza found in the repos. */
export async function gatherInfo(cfg: Config): Promise<InfoStanza[]> {
  const repos = await repoTargets(cfg);
  const given = cfg.strOpt('stanza');
  const set = cfg.strOpt('set');
  // stanza name → what each repo (by position in `repos`) knows of it; a repo it was not found on has no entry
  const found = new Map<string, Array<RepoStanza | undefined>>();
  // pgBackRest's repo-level errors (the repo could not be listed): reported with every stanza
  const repoErrors: Array<InfoStatus | undefined> = repos.map(() => undefined);
  for (const [i, repo] of repos.entries()) {
    try {
      let names = (await repo.storage.list('backup')).filter((e) => e.type === 'path').map((e) => e.name).sort();
      let exists = true;
      if (given !== undefined) {
        exists = names.includes(given);
        names = [given];
      }
      for (const name of names) {
        const perRepo = found.get(name) ?? repos.map(() => undefined);
        found.set(name, perRepo);
        perRepo[i] = await repoStanza(repo, name, exists);
      }
    } catch (e) {
      repoErrors[i] = otherStatus(e);
    }
  }
  if (repoErrors.some((e) => e !== undefined)) {
    if (found.size === 0) found.set(given ?? '[invalid]', repos.map(() => undefined));
    for (const perRepo of found.values()) {
      repoErrors.forEach((status, i) => {
        if (status !== undefined) perRepo[i] = { repo: repos[i]!, status, archives: [] };
      });
    }
  }
  const out: InfoStanza[] = [];
  for (const name of [...found.keys()].sort()) {
    const perRepo = found.get(name)!.map((r, i) => r ?? { repo: repos[i]!, status: INFO_STATUS.missingStanzaPath, archives: [] });
    const stanza = stanzaInfo(name, perRepo, cfg.str('lock-path'), set);
    if (set !== undefined) await setDetails(stanza, perRepo);
    out.push(stanza);
  }
  return out;
}

/** pgBackRest's status 99 of a repo: the error's type and whole message. */
function otherStatus(e: unknown): InfoStatus {
  const pe = toPgbrError(e);
  return { code: INFO_STATUS.other.code, message: `[${pe.type}] ${pe.fullMessage}` };
}

async function setDetails(stanza: InfoStanza, perRepo: RepoStanza[]): Promise<void> {
  for (const b of stanza.backup) {
    const r = perRepo.find((x) => x.repo.idx === b.database['repo-key']);
    if (r?.backup !== undefined) await addSetDetail(b, r.repo, stanza.name, r.backup);
  }
}

/**
 * One repo's view of a stanza listed there (`exists`): no backup.info is "missing stanza data",
 * any other failure is status 99 with the error.
 */
async function repoStanza(repo: RepoTarget, stanza: string, exists: boolean): Promise<RepoStanza> {
  const base = { repo, archives: [] as InfoArchive[] };
  if (!exists) return { ...base, status: INFO_STATUS.missingStanzaPath };
  const opts = { cipherPass: repo.cipherPass, displayPath: repo.display };
  try {
    let backup: BackupInfo;
    try {
      backup = (await loadBackupInfo(repo.storage, stanza, opts)).value;
    } catch (e) {
      if (isPgbrError(e, 'FileMissingError')) return { ...base, status: INFO_STATUS.missingStanzaData };
      if (isPgbrError(e, 'CryptoError')) {
        throw err('CryptoError', e.fullMessage, {
          hints: ['use option --stanza if encryption settings are different for the stanza than the global settings.'],
        });
      }
      throw e;
    }
    const archive = (await loadArchiveInfo(repo.storage, stanza, opts)).value;
    const archives = await archiveList(repo, stanza, archive);
    const status = backup.backups.length === 0 ? INFO_STATUS.noBackup : INFO_STATUS.ok;
    return { repo, status, archive, backup, archives };
  } catch (e) {
    return { ...base, status: otherStatus(e) };
  }
}

/** One entry per archive id in the history, oldest first; the current one even before any WAL. */
async function archiveList(repo: RepoTarget, stanza: string, info: ArchiveInfo): Promise<InfoArchive[]> {
  const out: InfoArchive[] = [];
  for (const h of [...info.history].sort((a, b) => a.id - b.id)) {
    const id = `${h.version}-${h.id}`;
    const path = archiveIdPath(stanza, id);
    const current = h.id === info.currentId;
    if (!current && !(await repo.storage.pathExists(path))) continue;
    const { min, max } = await walMinMax(repo.storage, path);
    out.push({ database: { id: h.id, 'repo-key': repo.idx }, id, max, min });
  }
  return out;
}

function stanzaInfo(name: string, perRepo: RepoStanza[], lockPath: string, set?: string): InfoStanza {
  let backups = perRepo.flatMap((r) => (r.backup?.backups ?? []).map((b) => infoBackup(b, r.repo.idx)));
  backups.sort((a, b) => a.timestamp.stop - b.timestamp.stop || a.database['repo-key'] - b.database['repo-key']);
  const repoStatus = perRepo.map((r) => r.status);
  if (set !== undefined) {
    backups = backups.filter((b) => b.label === set);
    if (backups.length === 0) for (let i = 0; i < repoStatus.length; i++) if (repoStatus[i].code === 0) repoStatus[i] = INFO_STATUS.backupMissing;
  }
  const ciphers = new Set(perRepo.map((r) => r.repo.cipherType));
  const lock = lockStatus(lockPath, name, 'backup');
  // A --set found nowhere: pgBackRest shows neither archives nor db history.
  const setMissing = set !== undefined && backups.length === 0;
  return {
    archive: setMissing ? [] : perRepo.flatMap((r) => r.archives),
    backup: backups,
    cipher: ciphers.size === 1 ? [...ciphers][0] : 'mixed',
    db: setMissing ? [] : perRepo.flatMap((r) =>
      (r.backup?.history ?? []).map((h) => ({ id: h.id, 'repo-key': r.repo.idx, 'system-id': h.systemId, version: h.version })),
    ),
    name,
    repo: perRepo.map((r, i) => ({ cipher: r.repo.cipherType, key: r.repo.idx, status: repoStatus[i] })),
    status: {
      ...stanzaStatus(perRepo, repoStatus),
      lock: { backup: lock.held ? { held: true, ...(lock.pctCplt !== undefined ? { 'pct-cplt': lock.pctCplt } : {}) } : { held: false } },
    },
  };
}

/**
 * The stanza's status from its repos' as pgBackRest 2.45 forms it: the one repo's status, the
 * shared one, or "different across repos" (4) as soon as two differ; "database mismatch across
 * repos" (5) when repos hold different current clusters.
 */
function stanzaStatus(perRepo: readonly RepoStanza[], statuses: readonly InfoStatus[]): InfoStatus {
  const current = perRepo.map((r) => r.backup?.history.find((h) => h.id === r.backup?.currentId)).filter((h) => h !== undefined);
  if (current.some((h) => h.version !== current[0]!.version || h.systemId !== current[0]!.systemId)) return INFO_STATUS.pgMismatch;
  const codes = new Set(statuses.map((s) => s.code));
  if (codes.size > 1) return INFO_STATUS.mixed;
  const s = statuses[0]!;
  return s.code === INFO_STATUS.other.code ? INFO_STATUS.other : { code: s.code, message: s.message };
}

function infoBackup(b: BackupEntry, repoKey: number): InfoBackup {
  const repository: InfoBackup['info']['repository'] = { delta: b.repoSizeDelta };
  if (b.repoSizeMap !== undefined) {
    repository['delta-map'] = b.repoSizeMapDelta ?? 0;
    repository['size-map'] = b.repoSizeMap;
  } else {
    repository.size = b.repoSize;
  }
  return {
    ...(b.annotation ? { annotation: b.annotation } : {}),
    archive: { start: b.archiveStart, stop: b.archiveStop },
    backrest: { format: b.backrestFormat, version: b.backrestVersion },
    database: { id: b.dbId, 'repo-key': repoKey },
    ...(b.error !== undefined ? { error: b.error } : {}),
    info: { delta: b.sizeDelta, repository, size: b.size },
    label: b.label,
    ...(b.lsnStart !== undefined && b.lsnStop !== undefined ? { lsn: { start: b.lsnStart, stop: b.lsnStop } } : {}),
    prior: b.prior ?? null,
    reference: b.reference ?? null,
    timestamp: { start: b.timestampStart, stop: b.timestampStop },
    type: b.type,
  };
}
