import { C_ALL, C_BUFFER, C_REMOTE, cmds, type TableOption } from './table.js';

// General, log and internal options. Summaries and descriptions are written for this project.
const LOG_LEVELS = ['off', 'error', 'warn', 'info', 'detail', 'debug', 'trace'] as const;
const CONFIG_DIR = '/etc/pgbackrest';

export const GENERAL_OPTIONS: readonly TableOption[] = [
  {
    name: 'beta', type: 'boolean', section: 'global', default: 'n', commands: cmds(C_ALL), help: 'general', internal: true,
    summary: 'Allow beta features.', description: 'Beta features are refused unless this option is set.',
  },
  {
    name: 'buffer-size', type: 'size', section: 'global', default: '1MiB', help: 'general', commands: cmds(C_BUFFER),
    allow: ['16KiB', '32KiB', '64KiB', '128KiB', '256KiB', '512KiB', '1MiB', '2MiB', '4MiB', '8MiB', '16MiB'],
    summary: 'Size of I/O buffers.', description: 'Buffer size used when copying, compressing and encrypting data.',
  },
  {
    name: 'cmd', type: 'string', section: 'global', required: false, defaultNote: 'pgbackrest', help: 'general',
    commands: cmds(C_REMOTE),
    summary: 'Command used to start subprocesses.', description: 'Path of the executable started for local and remote processes.',
  },
  {
    name: 'cmd-ssh', type: 'string', section: 'global', default: 'ssh', help: 'general', commands: cmds(C_REMOTE),
    summary: 'Executable of the SSH client.', description: 'Command used to reach remote hosts over SSH.',
  },
  {
    name: 'compress', type: 'boolean', section: 'global', default: 'y', help: 'general', commands: cmds('archive-push backup'),
    summary: 'Compress files (deprecated).', description: 'Old switch for compression; use compress-type instead.',
  },
  {
    name: 'compress-level', type: 'integer', section: 'global', required: false, help: 'general',
    commands: cmds('archive-push backup'),
    summary: 'Compression level for files.',
    description: 'When unset the level follows compress-type: bz2 9, gz 6, lz4 1, zst 3.',
  },
  {
    name: 'compress-level-network', type: 'integer', section: 'global', default: '3', range: [0, 9], help: 'general',
    commands: cmds('annotate ' + C_REMOTE),
    summary: 'Compression level for network traffic.', description: 'Used on protocol streams to remote hosts when files are not compressed already.',
  },
  {
    name: 'compress-type', type: 'string-id', section: 'global', default: 'gz', allow: ['none', 'bz2', 'gz', 'lz4', 'zst'],
    help: 'general', commands: cmds('archive-push backup'),
    summary: 'Compression algorithm for files.', description: 'Algorithm used for backup files and archived WAL segments.',
  },
  {
    name: 'config', type: 'string', section: 'command-line', default: `${CONFIG_DIR}/pgbackrest.conf`, negate: true,
    help: 'general', commands: cmds(C_ALL),
    summary: 'Main configuration file.', description: 'Use --no-config to load no main file at all.',
  },
  {
    name: 'config-include-path', type: 'path', section: 'command-line', default: `${CONFIG_DIR}/conf.d`, help: 'general',
    commands: cmds(C_ALL),
    summary: 'Directory of extra configuration files.', description: 'Every *.conf file in it is read, in sorted order, after the main file.',
  },
  {
    name: 'config-path', type: 'path', section: 'command-line', default: CONFIG_DIR, help: 'general', commands: cmds(C_ALL),
    summary: 'Base directory of the configuration.', description: 'Changes the default location of both the main file and the include directory.',
  },
  {
    name: 'db-timeout', type: 'time', section: 'global', default: '1800', range: [0.1, 604800], help: 'general',
    commands: cmds('archive-get archive-push backup check repo-get repo-ls stanza-create stanza-delete stanza-upgrade'),
    summary: 'Timeout for database queries.', description: 'Seconds a query may run, including the backup start and stop functions.',
  },
  {
    name: 'delta', type: 'boolean', section: 'global', default: 'n', help: 'general', commands: cmds('backup restore'),
    summary: 'Compare by checksum.', description: 'Decide which files changed by their checksums rather than size and time.',
  },
  {
    name: 'dry-run', type: 'boolean', section: 'command-line', default: 'n', help: 'general', commands: cmds('expire'),
    summary: 'Report without changing anything.', description: 'Shows what expire would remove but removes nothing.',
  },
  {
    name: 'exec-id', type: 'string', section: 'command-line', required: false, help: 'general', internal: true,
    commands: cmds(C_ALL),
    summary: 'Execution id.', description: 'Identifies one run across its processes and logs.',
  },
  {
    name: 'io-timeout', type: 'time', section: 'global', default: '60', range: [0.1, 3600], help: 'general',
    commands: cmds(C_BUFFER),
    summary: 'Timeout for a single I/O operation.', description: 'Seconds to wait for a read or write on a network connection.',
  },
  {
    name: 'job-retry', type: 'integer', section: 'global', default: '2', range: [0, 360], help: 'general', internal: true,
    commands: cmds('backup restore verify', { 'archive-get': { default: '1' }, 'archive-push': { default: '1' } }),
    summary: 'Retries of a failed job.', description: 'How often a parallel job is retried before its error is reported.',
  },
  {
    name: 'job-retry-interval', type: 'time', section: 'global', default: '15', range: [0, 900], help: 'general',
    internal: true, commands: cmds('archive-get archive-push backup restore verify'),
    summary: 'Pause between job retries.', description: 'Seconds between the first and the next retry of a job.',
  },
  {
    name: 'lock-path', type: 'path', section: 'global', default: '/tmp/pgbackrest', help: 'general',
    commands: cmds('annotate archive-get archive-push backup expire info restore stanza-create stanza-delete stanza-upgrade start stop'),
    summary: 'Directory of lock files.', description: 'Lock and stop files are created here.',
  },
  {
    name: 'neutral-umask', type: 'boolean', section: 'global', default: 'y', help: 'general',
    commands: cmds('annotate archive-get archive-push backup check expire repo-get repo-ls restore stanza-create stanza-delete stanza-upgrade start stop verify'),
    summary: 'Use umask 0000.', description: 'Lets file modes be set exactly as requested.',
  },
  {
    name: 'process-max', type: 'integer', section: 'global', default: '1', range: [1, 999], help: 'general',
    commands: cmds('archive-get archive-push backup restore verify'),
    summary: 'Parallel processes for transfer and compression.', description: 'Maximum number of worker processes a command may use.',
  },
  {
    name: 'protocol-timeout', type: 'time', section: 'global', default: '1830', range: [0.1, 604800], help: 'general',
    commands: cmds('annotate server ' + C_REMOTE),
    summary: 'Timeout of the remote protocol.', description: 'Seconds to wait for a reply from a local or remote process.',
  },
  {
    name: 'raw', type: 'boolean', section: 'command-line', default: 'n', help: 'general', commands: cmds('repo-get'),
    summary: 'Do not decrypt or decompress.', description: 'Outputs the file exactly as it is stored in the repository.',
  },
  {
    name: 'sck-keep-alive', type: 'boolean', section: 'global', default: 'y', help: 'general', commands: cmds(C_BUFFER),
    summary: 'Enable socket keep-alive.', description: 'Turns on keep-alive for network sockets.',
  },
  {
    name: 'spool-path', type: 'path', section: 'global', default: '/var/spool/pgbackrest', help: 'general',
    commands: cmds('', {
      'archive-get': { depend: { option: 'archive-async', values: ['y'] } },
      'archive-push': { depend: { option: 'archive-async', values: ['y'] } },
      restore: { internal: true },
    }),
    summary: 'Directory for transient data.', description: 'Queue of the asynchronous archive-push and archive-get.',
  },
  {
    name: 'stanza', type: 'string', section: 'command-line', help: 'general',
    commands: cmds('annotate archive-get archive-push backup expire restore stanza-create stanza-delete stanza-upgrade verify', {
      check: { required: false }, info: { required: false }, 'repo-get': { required: false },
      'repo-ls': { required: false }, start: { required: false }, stop: { required: false },
    }),
    summary: 'Stanza name.', description: 'A stanza names one PostgreSQL cluster and its configuration.',
  },
  ...keepAlive(),
  ...logOptions(),
];

function keepAlive(): TableOption[] {
  const depend = { option: 'sck-keep-alive', values: ['y'] };
  const one = (name: string, range: [number, number], summary: string): TableOption => ({
    name, type: 'integer', section: 'global', required: false, range, help: 'general', commands: cmds(C_BUFFER), depend,
    summary, description: 'Socket keep-alive setting; the system value applies when unset.',
  });
  return [
    one('tcp-keep-alive-count', [1, 32], 'Keep-alive probe count.'),
    one('tcp-keep-alive-idle', [1, 3600], 'Keep-alive idle seconds.'),
    one('tcp-keep-alive-interval', [1, 900], 'Keep-alive probe interval.'),
  ];
}

function logOptions(): TableOption[] {
  const level = (name: string, dflt: string, where: string): TableOption => ({
    name, type: 'string-id', section: 'global', default: dflt, allow: LOG_LEVELS, help: 'log', commands: cmds(C_ALL),
    summary: `Log level for ${where}.`, description: `Messages at this level or more severe go to ${where}.`,
  });
  return [
    level('log-level-console', 'warn', 'the console'),
    level('log-level-file', 'info', 'the log file'),
    level('log-level-stderr', 'warn', 'stderr'),
    {
      name: 'log-path', type: 'path', section: 'global', default: '/var/log/pgbackrest', help: 'log', commands: cmds(C_ALL),
      summary: 'Directory of log files.', description: 'Log files are named <stanza>-<command>.log.',
    },
    {
      name: 'log-subprocess', type: 'boolean', section: 'global', default: 'n', help: 'log',
      commands: cmds('annotate ' + C_REMOTE),
      summary: 'Log from subprocesses too.', description: 'Local and remote processes write their own log files.',
    },
    {
      name: 'log-timestamp', type: 'boolean', section: 'global', default: 'y', help: 'log', commands: cmds(C_ALL),
      summary: 'Prefix log lines with a timestamp.', description: 'Turn off to get stable output for tests.',
    },
  ];
}
