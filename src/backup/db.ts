/**
 * The PostgreSQL side of an online backup (backup-procedure.md §8.1–8.2): one session holds the
 * advisory lock and runs start and stop, since non-exclusive backups must stop in the session that
 * started them.
 */
import { err } from '../error/error.js';
import type { PgConnection } from '../postgres/client.js';
import { checkArchiveSettings, currentWal, initSession, switchWal, type PgSessionInfo } from '../postgres/session.js';
import { pgFunctionNames, PG_VERSION_15, PG_VERSION_96, PG_VERSION_10 } from '../postgres/version.js';
import type { DatabaseEntry } from './manifest-build.js';

const ADVISORY_LOCK = '12340078987004321';

export interface BackupStart {
  lsn: string;
  segment: string;
}

export interface BackupStop {
  lsn: string;
  segment: string;
  /** backup_label content (PG ≥ 9.6). */
  backupLabel?: string;
  /** tablespace_map content, when not empty. */
  tablespaceMap?: string;
}

export class BackupSession {
  private constructor(
    private readonly db: PgConnection,
    readonly info: PgSessionInfo,
  ) {}

  /** Session setup, data directory check and the advisory lock that keeps two backups apart. */
  static async open(db: PgConnection, pgPath: string, archive: { check: boolean; modeCheck: boolean }): Promise<BackupSession> {
    const info = await initSession(db, 'backup');
    if (info.dataDirectory !== pgPath) {
      throw err('DbMismatchError', `working directory '${info.dataDirectory}' does not match pg1-path '${pgPath}'`, {
        hints: ['the pg1-path and pg1-port settings likely reference different clusters.'],
      });
    }
    if (archive.check) checkArchiveSettings(info, archive.modeCheck);
    else if (info.archiveMode === 'off') throw err('ArchiveDisabledError', 'archive_mode must be enabled');
    const [row] = await db.query<{ locked: boolean }>(`select pg_catalog.pg_try_advisory_lock(${ADVISORY_LOCK}::bigint) as locked`);
    if (!row?.locked) {
      throw err('LockAcquireError', 'unable to acquire pgBackRest advisory lock', { hints: ['is another pgBackRest backup already running on this cluster?'] });
    }
    return new BackupSession(db, info);
  }

  get versionNum(): number {
    return this.info.versionNum;
  }

  currentWal(): Promise<{ lsn: string; segment: string }> {
    return currentWal(this.db, this.versionNum);
  }

  switchWal(): Promise<string> {
    return switchWal(this.db, this.versionNum);
  }

  async start(fast: boolean): Promise<BackupStart> {
    const fn = pgFunctionNames(this.versionNum);
    const label = "'pgBackRest backup started at ' || current_timestamp";
    const args = this.versionNum >= PG_VERSION_15 ? `${label}, ${fast}` : `${label}, ${fast}, false`;
    const [row] = await this.db.query<{ lsn: string; segment: string }>(
      `select lsn::text as lsn, pg_catalog.${fn.walFileName}(lsn)::text as segment from pg_catalog.${fn.backupStart}(${args}) as lsn`,
    );
    return { lsn: row!.lsn, segment: row!.segment };
  }

  async stop(): Promise<BackupStop> {
    const fn = pgFunctionNames(this.versionNum);
    const args = this.versionNum >= PG_VERSION_15 ? 'false' : this.versionNum >= PG_VERSION_10 ? 'false, false' : 'false';
    const [row] = await this.db.query<{ lsn: string; segment: string; label: string | null; spcmap: string | null }>(
      `select lsn::text as lsn, pg_catalog.${fn.walFileName}(lsn)::text as segment, labelfile::text as label,` +
        ` spcmapfile::text as spcmap from pg_catalog.${fn.backupStop}(${args})`,
    );
    const map = row!.spcmap ?? '';
    return {
      lsn: row!.lsn,
      segment: row!.segment,
      ...(this.versionNum >= PG_VERSION_96 && row!.label ? { backupLabel: row!.label } : {}),
      ...(map.trim() !== '' ? { tablespaceMap: map } : {}),
    };
  }

  async databases(): Promise<DatabaseEntry[]> {
    const rows = await this.db.query<{ oid: number; name: string; last: number }>(
      "select oid::int as oid, datname as name, (select oid::int from pg_catalog.pg_database where datname = 'template0') as last" +
        ' from pg_catalog.pg_database',
    );
    return rows.map((r) => ({ name: r.name, oid: Number(r.oid), lastSystemOid: Number(r.last) }));
  }

  async tablespaces(): Promise<Map<number, string>> {
    const rows = await this.db.query<{ oid: number; name: string }>('select oid::int as oid, spcname as name from pg_catalog.pg_tablespace');
    return new Map(rows.map((r) => [Number(r.oid), r.name]));
  }

  async checksumsEnabled(): Promise<boolean> {
    const [row] = await this.db.query<{ on: string }>("select current_setting('data_checksums') as on");
    return row?.on === 'on';
  }
}
