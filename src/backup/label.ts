import { err } from '../error/error.js';
import type { StorageDriver } from '../storage/storage.js';
import { backupLabelCreate, isBackupLabel, labelTimestamp, type BackupType } from '../repo/layout.js';
import { backupStanzaPath } from '../repo/layout.js';

/** `YYYYMMDD-HHMMSS` of a label: its own time (the part after `_` for diff/incr). */
function labelTime(label: string): string {
  return label.slice(label.length - 16, label.length - 1);
}

/** Every label the repo has seen: backup directories and the newest year of backup.history. */
async function existingLabels(storage: StorageDriver, stanza: string): Promise<string[]> {
  const base = backupStanzaPath(stanza);
  const labels = (await storage.list(base)).map((e) => e.name).filter(isBackupLabel);
  const years = (await storage.list(`${base}/backup.history`)).map((e) => e.name).filter((n) => /^\d{4}$/.test(n)).sort();
  const newest = years[years.length - 1];
  if (newest !== undefined) {
    for (const e of await storage.list(`${base}/backup.history/${newest}`)) {
      const m = /^(.+)\.manifest\.gz$/.exec(e.name);
      if (m && isBackupLabel(m[1])) labels.push(m[1]);
    }
  }
  return labels;
}

/**
 * A label later than every existing one (labels sort in time order, and restore relies on it). When
 * the clock gives the same second, one second is added; a clock that went backwards is an error.
 */
export async function newBackupLabel(opts: {
  storage: StorageDriver;
  stanza: string;
  type: BackupType;
  prior?: string;
  start: Date;
}): Promise<string> {
  // the label whose own time is the newest (ties: the one that sorts last, as pgBackRest would name it)
  const latestLabel = (await existingLabels(opts.storage, opts.stanza))
    .sort((a, b) => (labelTime(a) === labelTime(b) ? (a < b ? -1 : a > b ? 1 : 0) : labelTime(a) < labelTime(b) ? -1 : 1))
    .pop();
  const latest = latestLabel === undefined ? undefined : labelTime(latestLabel);
  if (latest === undefined || labelTimestamp(opts.start) > latest) return backupLabelCreate(opts.type, opts.start, opts.prior);
  // the same second as the latest (two quick backups): one second later, as pgBackRest does
  const time = new Date(opts.start.getTime() + 1000);
  if (labelTimestamp(time) > latest) {
    // and, like pgBackRest, sleep out the current second so the backup does not start before its label
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
    return backupLabelCreate(opts.type, time, opts.prior);
  }
  // pgBackRest's text: it names the latest label (not just its time)
  throw err('ClockError', `new backup label '${backupLabelCreate(opts.type, time, opts.prior)}' is not later than latest backup label '${latestLabel}'`, {
    hints: ['has the timezone changed?', 'is there clock skew?'],
  });
}
