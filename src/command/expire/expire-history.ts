import type { Logger } from '../../log/logger.js';
import type { BackupInfo } from '../../repo/backup-info.js';
import { backupStanzaPath } from '../../repo/layout.js';
import { HISTORY_YEAR_REGEX, historyMinLabel, planHistory } from '../../expire/plan-history.js';
import type { RepoTarget } from '../common/repos.js';

/** repoN-retention-history: remove old backup.history manifests of backups no longer listed. */
export async function expireHistory(o: {
  repo: RepoTarget;
  stanza: string;
  info: BackupInfo;
  log: Logger;
  dryRun: boolean;
  days: number;
}): Promise<void> {
  const s = o.repo.storage;
  const base = `${backupStanzaPath(o.stanza)}/backup.history`;
  const years = new Map<string, string[]>();
  for (const y of await s.list(base, { expression: HISTORY_YEAR_REGEX })) {
    years.set(y.name, (await s.list(`${base}/${y.name}`)).filter((f) => f.type === 'file').map((f) => f.name));
  }
  const actions = planHistory({
    years,
    current: new Set(o.info.backups.map((b) => b.label)),
    minLabel: historyMinLabel(Date.now(), o.days),
  });
  for (const a of actions) {
    if (a.kind === 'path') {
      o.log.info(`${o.repo.name}: remove expired backup history path ${a.year}`);
      if (!o.dryRun) await s.pathRemove(`${base}/${a.year}`, { recurse: true });
    } else {
      o.log.info(`${o.repo.name}: remove expired backup history manifest ${a.file}`);
      if (!o.dryRun) await s.remove(`${base}/${a.year}/${a.file}`);
    }
  }
}
