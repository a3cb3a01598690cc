import { formatLocalTime, formatSize } from '../../util/format.js';
import type { InfoArchive, InfoBackup, InfoStanza } from './model.js';

/** The text form of `info`, rendered from the same objects as the JSON form. */
export function renderInfoText(stanzas: InfoStanza[], opts: { set?: string } = {}): string {
  if (stanzas.length === 0) return 'No stanzas exist in the repository.\n';
  return stanzas.map((s) => renderStanza(s, opts)).join('\n');
}

function renderStanza(s: InfoStanza, opts: { set?: string }): string {
  const out: string[] = [`stanza: ${s.name}`, `    status: ${statusText(s)}`];
  if (listsRepos(s.status.code)) {
    const multi = s.repo.length > 1;
    const spacer = ' '.repeat(multi ? 15 : 12);
    for (const r of s.repo) {
      const head = multi ? `        repo${r.key}: ` : '';
      if (r.status.code === 0) out.push(`${head}ok`);
      else if (r.status.code === 99) {
        if (multi) out.push(`${head}error (other)`);
        out.push(...r.status.message.split('\n').map((l) => `${spacer}${l}`));
      } else out.push(`${head}error (${r.status.message})`);
    }
  }
  // the cipher when the stanza is found on some repo, then its databases
  if (s.status.code !== 1) {
    out.push(`    cipher: ${s.cipher}`);
    if (s.cipher === 'mixed') for (const r of s.repo) out.push(`        repo${r.key}: ${r.cipher}`);
  }
  if (s.db.length > 0) for (const db of dbGroups(s)) out.push(...renderDb(s, db, opts));
  return out.join('\n') + '\n';
}

/** Mixed, database mismatch and other errors go on with each repo's status, as pgBackRest 2.45 shows them. */
function listsRepos(code: number): boolean {
  return code === 4 || code === 5 || code === 99;
}

/** The status line; a running backup is added in parentheses, inside those of a plain error. */
function statusText(s: InfoStanza): string {
  const lock = s.status.lock.backup;
  const running = `backup/expire running${lock['pct-cplt'] !== undefined ? ` - ${(lock['pct-cplt'] / 100).toFixed(2)}% complete` : ''}`;
  const code = s.status.code;
  if (code === 0 || listsRepos(code)) {
    const head = code === 0 ? 'ok' : code === 4 ? 'mixed' : `error (${s.status.message})`;
    return lock.held ? `${head} (${running})` : head;
  }
  return `error (${s.status.message}${lock.held ? `, ${running}` : ''})`;
}

/** One `db (...)` block per history entry (system id + version + id), oldest first. */
interface DbGroup {
  id: number;
  systemId: bigint;
  version: string;
  current: boolean;
}

function dbGroups(s: InfoStanza): DbGroup[] {
  const seen = new Map<string, DbGroup>();
  for (const d of s.db) {
    const key = `${d.id}:${d['system-id']}:${d.version}`;
    if (!seen.has(key)) seen.set(key, { id: d.id, systemId: d['system-id'], version: d.version, current: false });
  }
  const groups = [...seen.values()].sort((a, b) => a.id - b.id);
  if (groups.length > 0) groups[groups.length - 1].current = true;
  return groups.filter((g) => g.current || archivesOf(s, g).length > 0 || backupsOf(s, g).length > 0);
}

function archivesOf(s: InfoStanza, g: DbGroup): InfoArchive[] {
  return s.archive.filter((a) => a.database.id === g.id && a.id === `${g.version}-${g.id}`);
}

function backupsOf(s: InfoStanza, g: DbGroup): InfoBackup[] {
  return s.backup.filter((b) => b.database.id === g.id);
}

function renderDb(s: InfoStanza, g: DbGroup, opts: { set?: string }): string[] {
  const out = ['', `    db (${g.current ? 'current' : 'prior'})`];
  const archives = archivesOf(s, g).filter((a) => a.min !== null);
  if (archives.length > 0) {
    const min = archives.map((a) => a.min as string).sort()[0];
    const max = archives.map((a) => a.max as string).sort().reverse()[0];
    out.push(`        wal archive min/max (${g.version}): ${min}/${max}`);
  } else {
    out.push(`        wal archive min/max (${g.version}): none present`);
  }
  for (const b of backupsOf(s, g)) out.push('', ...renderBackup(b, opts));
  return out;
}

function renderBackup(b: InfoBackup, opts: { set?: string }): string[] {
  const out = [`        ${b.type} backup: ${b.label}`];
  out.push(`            timestamp start/stop: ${formatLocalTime(b.timestamp.start)} / ${formatLocalTime(b.timestamp.stop)}`);
  out.push(
    b.archive.start === null
      ? '            wal start/stop: n/a'
      : `            wal start/stop: ${b.archive.start} / ${b.archive.stop}`,
  );
  if (opts.set && b.lsn) out.push(`            lsn start/stop: ${b.lsn.start} / ${b.lsn.stop}`);
  out.push(`            database size: ${formatSize(b.info.size)}, database backup size: ${formatSize(b.info.delta)}`);
  const repoSize = b.info.repository.size ?? 0;
  out.push(
    `            repo${b.database['repo-key']}: backup set size: ${formatSize(repoSize)}, backup size: ${formatSize(b.info.repository.delta)}`,
  );
  if (b.reference && b.reference.length > 0) out.push(`            backup reference list: ${b.reference.join(', ')}`);
  if (opts.set) out.push(...renderSetDetail(b));
  // with --set, 2.45 names the files instead (see renderSetDetail)
  const listed = opts.set !== undefined && (b['error-list']?.length ?? 0) > 0;
  if (b.error && !listed) out.push('            error(s) detected during backup');
  // only with --set, last, as 2.45 prints them
  if (opts.set && b.annotation) {
    out.push('            annotation(s)');
    for (const [k, v] of Object.entries(b.annotation)) out.push(`                ${k}: ${v}`);
  }
  return out;
}

function renderSetDetail(b: InfoBackup): string[] {
  const out: string[] = [];
  if (b['database-ref']) {
    const dbs = b['database-ref'].map((d) => `${d.name} (${d.oid})`).join(', ');
    out.push(`            database list: ${dbs.length > 0 ? dbs : 'none'}`);
  }
  if (b.link && b.link.length > 0) {
    out.push('            symlinks:');
    for (const l of b.link) out.push(`                ${l.name} => ${l.destination}`);
  }
  if (b.tablespace && b.tablespace.length > 0) {
    out.push('            tablespaces:');
    for (const t of b.tablespace) out.push(`                ${t.name} (${t.oid}) => ${t.destination}`);
  }
  if (b['error-list'] && b['error-list'].length > 0) {
    out.push(`            error list: ${b['error-list'].join(', ')}`);
  }
  return out;
}
