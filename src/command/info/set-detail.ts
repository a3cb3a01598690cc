import { loadManifest, databaseList, linkList, tablespaceList, PG_DATA, type Manifest } from '../../repo/manifest.js';
import type { BackupInfo } from '../../repo/backup-info.js';
import type { RepoTarget } from '../common/repos.js';
import type { InfoBackup } from './model.js';

/**
 * `info --set`: the chosen backup's databases, links, tablespaces and files with page checksum
 * errors, read from its manifest (decrypted with backup.info's passphrase).
 */
export async function addSetDetail(b: InfoBackup, repo: RepoTarget, stanza: string, info: BackupInfo): Promise<void> {
  const opts = { cipherPass: info.cipherPass, displayPath: repo.display };
  const m = (await loadManifest(repo.storage, stanza, b.label, opts)).value;
  b['database-ref'] = databaseList(m);
  const links = linkList(m);
  b.link = links.length > 0 ? links : null;
  const spaces = tablespaceList(m);
  b.tablespace = spaces.length > 0 ? spaces : null;
  const errors = pageErrorFiles(m);
  if (errors.length > 0) b['error-list'] = errors;
}

/** Files whose page checksums failed, named relative to PGDATA like pgBackRest shows them. */
function pageErrorFiles(m: Manifest): string[] {
  return m.files
    .filter((f) => f.checksumPage === false)
    .map((f) => (f.name.startsWith(`${PG_DATA}/`) ? f.name.slice(PG_DATA.length + 1) : f.name));
}
