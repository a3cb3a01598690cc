import type { Config } from '../../config/config.js';
import { toPgbrError } from '../../error/error.js';
import { lockStatus } from '../../lock/lock.js';
import { loadArchiveInfo, type ArchiveInfo } from '../../repo/archive-info.js';
import { loadBackupInfo, type BackupInfo, type BackupEntry } from '../../repo/backup-info.js';
import { archiveIdPath, backupStanzaPath } from '../../repo/layout.js';
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
  const names = given !== undefined ? [given] : await stanzaNames(repos);
  const set = cfg.strOpt('set');
  const out: InfoStanza[] = [];
  for (const name of names) {
    const perRepo = await Promise.all(repos.map((r) => repoStanza(r, name)));
    const stanza = stanzaInfo(name, perRepo, cfg.str('lock-path'), set);
    if (set !== undefined) await setDetails(stanza, perRepo);
    out.push(stanza);
  }
  return out;
}

async function setDetails(stanza: InfoStanza, perRepo: RepoStanza[]): Promise<void> {
  for (const b of stanza.backup) {
    const r = perRepo.find((x) => x.repo.idx === b.database['repo-key']);
    if (r?.backup !== undefined) await addSetDetail(b, r.repo, stanza.name, r.backup);
  }
}

async function stanzaNames(repos: RepoTarget[]): Promise<string[]> {
  const names = new Set<string>();
  for (const r of repos) {
    for (const e of await r.storage.list('backup')) if (e.type === 'path') names.add(e.name);
  }
  return [...names].sort();
}

async function repoStanza(repo: RepoTarget, stanza: string): Promise<RepoStanza> {
  const base = { repo, archives: [] as InfoArchive[] };
  if (!(await repo.storage.pathExists(backupStanzaPath(stanza)))) return { ...base, status: INFO_STATUS.missingStanzaPath };
  const opts = { cipherPass: repo.cipherPass, displayPath: repo.display };
  try {
    const backup = (await loadBackupInfo(repo.storage, stanza, opts)).value;
    const archive = (await loadArchiveInfo(repo.storage, stanza, opts)).value;
    const archives = await archiveList(repo, stanza, archive);
    const status = backup.backups.length === 0 ? INFO_STATUS.noBackup : INFO_STATUS.ok;
    return { repo, status, archive, backup, archives };
  } catch (e) {
    const pe = toPgbrError(e);
    return { ...base, status: { code: INFO_STATUS.other.code, message: `[${pe.type}] ${pe.fullMessage}` } };
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
      ...stanzaStatus(repoStatus),
      lock: { backup: lock.held ? { held: true, ...(lock.pctCplt !== undefined ? { 'pct-cplt': lock.pctCplt } : {}) } : { held: false } },
    },
  };
}

/** One repo: its status. Several: the shared status, or "different across repos". */
function stanzaStatus(statuses: InfoStatus[]): InfoStatus {
  const codes = new Set(statuses.map((s) => s.code));
  if (codes.size === 1) {
    const s = statuses[0];
    return s.code === INFO_STATUS.other.code ? INFO_STATUS.other : { code: s.code, message: s.message };
  }
  if (statuses.some((s) => s.code === 0)) return { code: 0, message: 'ok' };
  return INFO_STATUS.mixed;
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
