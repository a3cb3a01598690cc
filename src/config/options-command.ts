import { cmds, type TableOption } from './table.js';

// Options documented under "Command Options" in help, plus the repo selector.
const RECOVERY_TYPES = ['default', 'immediate', 'lsn', 'name', 'time', 'standby', 'xid'];
const ONLINE = { option: 'online', values: ['y'], default: 'n' };

function cli(name: string, type: TableOption['type'], commands: TableOption['commands'], summary: string, description: string,
  extra: Partial<TableOption> = {}): TableOption {
  return { name, type, section: 'command-line', help: 'command', commands, summary, description, ...extra };
}

function cmdOpt(name: string, type: TableOption['type'], commands: TableOption['commands'], summary: string,
  description: string, extra: Partial<TableOption> = {}): TableOption {
  return { name, type, section: 'global', help: 'command', commands, summary, description, ...extra };
}

export const COMMAND_OPTIONS: readonly TableOption[] = [
  cmdOpt('annotation', 'hash', cmds('backup', { annotate: { required: true } }), 'Key/value annotations of a backup.',
    'Stored in the manifest and shown by info; repeat for several keys.', { required: false }),
  cmdOpt('archive-async', 'boolean', cmds('archive-get archive-push'), 'Archive asynchronously.',
    'WAL is queued in spool-path and moved by a background process.', { default: 'n' }),
  cmdOpt('archive-check', 'boolean', cmds('archive-push check', { backup: { depend: ONLINE } }),
    'Wait for the WAL of a backup to be archived.', 'Makes sure the backup is consistent before it completes.',
    { default: 'y' }),
  cmdOpt('archive-copy', 'boolean', cmds('', { backup: { depend: { option: 'archive-check', values: ['y'], default: 'n' } } }),
    'Store the needed WAL inside the backup.', 'Lets the backup be restored without the archive.', { default: 'n' }),
  cmdOpt('archive-get-queue-max', 'size', cmds('archive-get'), 'Size limit of the archive-get queue.',
    'Asynchronous archive-get prefetches WAL up to this size.', { default: '128MiB', range: [0, 4 * 1024 ** 5] }),
  cmdOpt('archive-header-check', 'boolean', cmds('archive-push'), 'Check the WAL header.',
    'Compares the version and system id in each segment with the stanza.', { default: 'y' }),
  cmdOpt('archive-missing-retry', 'boolean', cmds('archive-get'), 'Retry WAL that was missing.',
    'The asynchronous queue looks again for segments it did not find.', { default: 'y' }),
  cmdOpt('archive-mode', 'string-id', cmds('restore'), 'archive_mode after restore.',
    'Keep archive_mode as it was or turn archiving off in the restored cluster.',
    { default: 'preserve', allow: ['off', 'preserve'] }),
  cmdOpt('archive-mode-check', 'boolean', cmds('archive-push backup check'), 'Check the archive_mode setting.',
    'Refuses archive_mode=always, which would archive the same WAL twice.',
    { default: 'y', depend: { option: 'archive-check', values: ['y'], default: 'n' } }),
  cmdOpt('archive-push-queue-max', 'size', cmds('archive-push'), 'Largest archive queue allowed.',
    'When the queue is larger, WAL is dropped and reported as archived so PostgreSQL does not fill its disk.',
    { required: false, range: [0, 4 * 1024 ** 5], deprecated: ['archive-queue-max'] }),
  cmdOpt('archive-timeout', 'time', cmds('archive-get archive-push backup check'), 'Timeout for WAL archiving.',
    'Seconds to wait for a WAL segment to be archived or found.', { default: '60', range: [0.1, 86400] }),
  cmdOpt('backup-standby', 'boolean', cmds('backup check'), 'Copy files from a standby.',
    'Most files are read from a standby to lighten the primary.', { default: 'n' }),
  cmdOpt('checksum-page', 'boolean', cmds('backup'), 'Verify page checksums.',
    'Defaults to on when the cluster has data checksums.', { required: false }),
  cmdOpt('db-exclude', 'list', cmds('restore'), 'Databases not to restore.', 'Restored as sparse, empty files.',
    { required: false }),
  cmdOpt('db-include', 'list', cmds('restore'), 'Databases to restore.', 'Others are restored as sparse, empty files.',
    { required: false }),
  cmdOpt('exclude', 'list', cmds('backup'), 'Paths/files left out of a backup.', 'Relative to the data directory.',
    { required: false }),
  cmdOpt('expire-auto', 'boolean', cmds('backup'), 'Expire after each backup.', 'Runs expire when a backup succeeds.',
    { default: 'y' }),
  cli('filter', 'string', cmds('repo-ls'), 'Filter listed names.', 'A regular expression the names must match.',
    { required: false }),
  cli('force', 'boolean', cmds('restore stanza-delete stop', {
    backup: { depend: { option: 'online', values: ['n'] } }, 'stanza-create': { internal: true },
  }), 'Force the command.', 'Overrides safety checks of the command.', { default: 'n' }),
  cli('ignore-missing', 'boolean', cmds('repo-get'), 'Missing file is not an error.', 'Exit with 1 instead of an error.',
    { default: 'n' }),
  cmdOpt('link-all', 'boolean', cmds('restore'), 'Restore every symlink.', 'Symlinks are recreated as they were.',
    { default: 'n' }),
  cmdOpt('link-map', 'hash', cmds('restore'), 'New destination of a link.', 'Written as link=destination.',
    { required: false }),
  cmdOpt('manifest-save-threshold', 'size', cmds('backup'), 'How often the manifest is saved.',
    'Saved after this much data was copied so a backup can be resumed.', { default: '1GiB', range: [1, 1024 ** 4] }),
  cli('online', 'boolean', cmds('backup stanza-create stanza-upgrade'), 'Cluster is running.',
    'Use --no-online when PostgreSQL is shut down.', { default: 'y', negate: true }),
  cli('output', 'string-id', cmds('info repo-ls', { verify: { default: 'none', allow: ['none', 'text'] } }), 'Output format.',
    'text for people, json for programs.', { default: 'text', allow: ['text', 'json'] }),
  cmdOpt('recovery-option', 'hash', cmds('restore'), 'Recovery settings to write.', 'Written as name=value.',
    { required: false, depend: { option: 'type', values: RECOVERY_TYPES } }),
  cli('recurse', 'boolean', cmds('repo-ls'), 'List subpaths too.', 'Recurses into every subpath.', { default: 'n' }),
  cmdOpt('resume', 'boolean', cmds('backup'), 'Resume a failed backup.', 'Reuses files already copied.', { default: 'y' }),
  cli('set', 'string', cmds('expire', {
    annotate: { required: true }, info: { depend: { option: 'stanza' } },
    restore: { default: 'latest', required: true }, verify: { internal: true },
  }), 'Backup set.', 'Label of the backup to use.', { required: false }),
  cli('sort', 'string-id', cmds('repo-ls'), 'Sort order.', 'none, asc or desc.',
    { default: 'asc', allow: ['none', 'asc', 'desc'] }),
  cmdOpt('start-fast', 'boolean', cmds('backup'), 'Checkpoint immediately.', 'Asks for an immediate checkpoint.',
    { default: 'n' }),
  cmdOpt('stop-auto', 'boolean', cmds('backup'), 'Stop a stale backup.', 'Stops a backup left running by a failed run.',
    { default: 'n' }),
  cmdOpt('tablespace-map', 'hash', cmds('restore'), 'New location of a tablespace.', 'Written as name=path or oid=path.',
    { required: false }),
  cmdOpt('tablespace-map-all', 'string', cmds('restore'), 'New base of all tablespaces.',
    'Each tablespace goes to a subdirectory named after it.', { required: false }),
  cli('target', 'string', cmds('restore'), 'Recovery target.', 'Value for the chosen recovery type.',
    { depend: { option: 'type', values: ['lsn', 'name', 'time', 'xid'] } }),
  cli('target-action', 'string-id', cmds('restore'), 'Action at the target.', 'pause, promote or shutdown.',
    { default: 'pause', allow: ['pause', 'promote', 'shutdown'],
      depend: { option: 'type', values: ['immediate', 'lsn', 'name', 'time', 'xid'] } }),
  cli('target-exclusive', 'boolean', cmds('restore'), 'Stop just before the target.', 'Recovery stops before it.',
    { default: 'n', depend: { option: 'type', values: ['lsn', 'time', 'xid'] } }),
  cli('target-timeline', 'string', cmds('restore'), 'Timeline to recover.', 'A number, current or latest.',
    { required: false, depend: { option: 'type', values: ['default', 'lsn', 'name', 'standby', 'time', 'xid'] } }),
  ...serverOptions(),
  cli('type', 'string-id', cmds('', {
    backup: { default: 'incr', allow: ['full', 'diff', 'incr'] },
    info: { required: false, allow: ['full', 'diff', 'incr'] },
    restore: { default: 'default', allow: ['lsn', 'name', 'time', 'xid', 'preserve', 'none', 'immediate', 'default', 'standby'] },
  }), 'Backup or recovery type.', 'backup: full, diff, incr; restore: the recovery type.'),
  cli('verbose', 'boolean', cmds('verify'), 'Detailed output.', 'Also reports what is fine.', { default: 'n' }),
  {
    name: 'repo', type: 'integer', section: 'command-line', required: false, range: [1, 256], help: 'repository',
    commands: cmds('annotate archive-get backup expire info repo-get repo-ls restore stanza-delete verify'),
    summary: 'Repository to use.', description: 'Index of the repository the command works on.',
  },
];

function serverOptions(): TableOption[] {
  return [
    cmdOpt('tls-server-address', 'string', cmds('server server-ping'), 'Server address.', 'Host name or IP to listen on.',
      { default: 'localhost' }),
    cmdOpt('tls-server-auth', 'hash', cmds('server'), 'Client authorizations.', 'client-cn=stanza list.'),
    cmdOpt('tls-server-ca-file', 'path', cmds('server'), 'Server CA file.', 'Verifies client certificates.'),
    cmdOpt('tls-server-cert-file', 'path', cmds('server'), 'Server certificate file.', 'PEM certificate.'),
    cmdOpt('tls-server-key-file', 'path', cmds('server'), 'Server key file.', 'PEM key.'),
    cmdOpt('tls-server-port', 'integer', cmds('server server-ping'), 'Server port.', 'TCP port to listen on.',
      { default: '8432', range: [1, 65535] }),
  ];
}
