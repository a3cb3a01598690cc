/** Section names of backup.manifest and the keys the model reads in its fixed-key sections. */

export const S = {
  backrest: 'backrest',
  backup: 'backup',
  backupDb: 'backup:db',
  option: 'backup:option',
  target: 'backup:target',
  cipher: 'cipher',
  db: 'db',
  metadata: 'metadata',
  file: 'target:file',
  fileDefault: 'target:file:default',
  link: 'target:link',
  linkDefault: 'target:link:default',
  path: 'target:path',
  pathDefault: 'target:path:default',
} as const;

/** Sections whose keys are names (one entry per key). */
export const LIST_SECTIONS: ReadonlySet<string> = new Set([S.target, S.db, S.file, S.link, S.path]);

const OWNER_MODE = ['group', 'mode', 'user'];

export const FIXED_KEYS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    [S.backup]: [
      'backup-archive-start', 'backup-archive-stop', 'backup-block-incr', 'backup-bundle', 'backup-bundle-raw',
      'backup-label', 'backup-lsn-start', 'backup-lsn-stop', 'backup-prior', 'backup-reference',
      'backup-timestamp-copy-start', 'backup-timestamp-start', 'backup-timestamp-stop', 'backup-type',
    ],
    [S.backupDb]: ['db-catalog-version', 'db-control-version', 'db-id', 'db-system-id', 'db-version'],
    [S.option]: [
      'option-archive-check', 'option-archive-copy', 'option-backup-standby', 'option-buffer-size',
      'option-checksum-page', 'option-compress', 'option-compress-level', 'option-compress-level-network',
      'option-compress-type', 'option-delta', 'option-hardlink', 'option-online', 'option-process-max',
    ],
    [S.cipher]: ['cipher-pass'],
    [S.metadata]: ['annotation'],
    [S.fileDefault]: OWNER_MODE,
    [S.linkDefault]: ['group', 'user'],
    [S.pathDefault]: OWNER_MODE,
  }).map(([section, keys]) => [section, new Set(keys)]),
);
