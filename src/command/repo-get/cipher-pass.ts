import { err } from '../../error/error.js';
import { loadArchiveInfo } from '../../repo/archive-info.js';
import { loadBackupInfo } from '../../repo/backup-info.js';
import { ARCHIVE_INFO_FILE, BACKUP_INFO_FILE, BACKUP_MANIFEST_FILE } from '../../repo/layout.js';
import { loadManifest } from '../../repo/manifest.js';
import type { RepoTarget } from '../common/repos.js';

/**
 * Which passphrase a repo file is encrypted with, from its place in the tree: the user's for the
 * info files (and anything not under a stanza), archive.info's for WAL, backup.info's for manifests
 * and backup.history, the manifest's for a backup's data files.
 */
export async function cipherPassForPath(repo: RepoTarget, file: string, stanzaOpt: string | undefined): Promise<string> {
  const parts = file.split('/');
  let pass: string | undefined = repo.cipherPass;
  if (parts.length > 2) {
    const stanza = parts[1];
    if (stanzaOpt !== undefined && stanzaOpt !== stanza) {
      throw err('OptionInvalidValueError', `stanza name '${stanzaOpt}' given in option doesn't match the given path`);
    }
    const opts = { cipherPass: repo.cipherPass, displayPath: repo.display };
    if (parts[0] === 'archive' && !endsWithInfo(file, ARCHIVE_INFO_FILE)) {
      pass = (await loadArchiveInfo(repo.storage, stanza, opts)).value.cipherPass;
    } else if (parts[0] === 'backup' && !endsWithInfo(file, BACKUP_INFO_FILE)) {
      pass = (await loadBackupInfo(repo.storage, stanza, opts)).value.cipherPass;
      if (parts[2] !== 'backup.history' && !endsWithInfo(file, BACKUP_MANIFEST_FILE)) {
        const manifest = (await loadManifest(repo.storage, stanza, parts[2], { ...opts, cipherPass: pass })).value;
        pass = manifest.cipherPass;
      }
    }
  }
  if (pass === undefined) throw err('OptionInvalidValueError', `unable to determine cipher passphrase for '${file}'`);
  return pass;
}

function endsWithInfo(file: string, name: string): boolean {
  return file.endsWith(name) || file.endsWith(`${name}.copy`);
}
