/**
 * The shape of one stanza in `info --output=json`, exactly as pgBackRest 2.45 prints it (field
 * names and nesting; key order is applied by the JSON encoder). The text output is rendered from
 * the same object.
 */
export interface InfoStatus {
  code: number;
  message: string;
}

export interface InfoRepo {
  cipher: string;
  key: number;
  status: InfoStatus;
}

export interface InfoDb {
  id: number;
  'repo-key': number;
  'system-id': bigint;
  version: string;
}

export interface InfoArchive {
  database: { id: number; 'repo-key': number };
  id: string;
  max: string | null;
  min: string | null;
}

export interface InfoBackup {
  annotation?: Record<string, string>;
  archive: { start: string | null; stop: string | null };
  backrest: { format: number; version: string };
  database: { id: number; 'repo-key': number };
  'database-ref'?: { name: string; oid: number }[];
  error?: boolean;
  'error-list'?: string[];
  info: {
    delta: number;
    repository: { delta: number; 'delta-map'?: number; size?: number; 'size-map'?: number };
    size: number;
  };
  label: string;
  link?: { destination: string; name: string }[] | null;
  lsn?: { start: string; stop: string };
  prior: string | null;
  reference: string[] | null;
  tablespace?: { destination: string; name: string; oid: number }[] | null;
  timestamp: { start: number; stop: number };
  type: 'full' | 'diff' | 'incr';
}

export interface InfoStanza {
  archive: InfoArchive[];
  backup: InfoBackup[];
  cipher: string;
  db: InfoDb[];
  name: string;
  repo: InfoRepo[];
  status: InfoStatus & { lock: { backup: { held: boolean; 'pct-cplt'?: number } } };
}

/** Status codes shared by the stanza and each repo. */
export const INFO_STATUS = {
  ok: { code: 0, message: 'ok' },
  missingStanzaPath: { code: 1, message: 'missing stanza path' },
  noBackup: { code: 2, message: 'no valid backups' },
  missingStanzaData: { code: 3, message: 'missing stanza data' },
  mixed: { code: 4, message: 'different across repos' },
  pgMismatch: { code: 5, message: 'database mismatch across repos' },
  backupMissing: { code: 6, message: 'requested backup not found' },
  other: { code: 99, message: 'other' },
} as const satisfies Record<string, InfoStatus>;
