import type { Config } from '../../config/config.js';
import { err } from '../../error/error.js';

/** Commands that touch no repository: a repo host in the configuration does not concern them. */
const NO_REPO = new Set(['help', 'version', 'start', 'stop']);

/** Commands that connect to every configured cluster, as pgBackRest's dbGet does (pg2 may be a standby). */
const ALL_CLUSTERS = new Set(['backup', 'check', 'stanza-create', 'stanza-upgrade']);

/**
 * Fails a command that would reach a remote host (`repo<N>-host`, `pg<N>-host`): pgBackRest does
 * that over SSH or TLS, which this tool does not. Going on would be worse than failing: the repo
 * path would be read and written on this host instead (an archive-push "stored" on the database
 * host's own disk, a backup.info found missing), and another host's cluster looked for here.
 */
export function refuseRemoteHosts(cfg: Config): void {
  const groups = [...(NO_REPO.has(cfg.command) ? [] : ['repo' as const]), ...(ALL_CLUSTERS.has(cfg.command) ? ['pg' as const] : [])];
  for (const group of groups) {
    for (const idx of cfg.indexes(group)) {
      const key = `${group}${idx}-host`;
      const host = cfg.strOpt(key);
      if (host === undefined) continue;
      throw err('FeatureNotSupportedError', `${key} '${host}' is set, but pgbackrest-ts does not support remote hosts`, {
        hints: [
          group === 'repo'
            ? 'run the command on the repository host, or reach the repository directly (posix path or s3).'
            : 'run the command on the PostgreSQL host, with a posix or s3 repository.',
        ],
      });
    }
  }
}
