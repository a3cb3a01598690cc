import { C_PG, cmds, type Depend, type TableOption, type TableRule } from './table.js';

// PostgreSQL cluster options: group `pg`, written pg1-… pg256-…; most may only be set in stanza sections.
type Extra = Partial<TableOption>;

function pg(name: string, type: TableOption['type'], summary: string, description: string, extra: Extra = {}): TableOption {
  return {
    name, type, group: 'pg', section: 'stanza', help: 'stanza', commands: cmds(C_PG), summary, description, ...extra,
  };
}

const old = (name: string): string[] => [`db-${name}`, `db?-${name}`];
const PATH: Depend = { option: 'pg-path' };
const REMOTE: Depend = { option: 'pg-host' };
const TLS_HOST: Depend = { option: 'pg-host-type', values: ['tls'] };
const HOST_CMDS: Record<string, TableRule> = cmds(C_PG, {
  'archive-get': { internal: true }, 'archive-push': { internal: true }, restore: { internal: true },
});

export const PG_OPTIONS: readonly TableOption[] = [
  pg('database', 'string', 'Database to connect to.', 'Any database the user can connect to.',
    { default: 'postgres', depend: PATH }),
  pg('host', 'string', 'Remote PostgreSQL host.', 'Set when the cluster runs on another host.',
    { required: false, commands: HOST_CMDS, deprecated: old('host') }),
  pg('host-ca-file', 'string', 'PostgreSQL host CA file.', 'Verifies the TLS server.',
    { section: 'global', required: false, commands: HOST_CMDS, depend: TLS_HOST }),
  pg('host-ca-path', 'string', 'PostgreSQL host CA path.', 'Verifies the TLS server.',
    { section: 'global', required: false, commands: HOST_CMDS, depend: TLS_HOST }),
  pg('host-cert-file', 'string', 'PostgreSQL host certificate.', 'TLS client certificate.',
    { section: 'global', commands: HOST_CMDS, depend: TLS_HOST }),
  pg('host-cmd', 'string', 'Command on the PostgreSQL host.', 'Executable started on the remote.',
    { required: false, defaultNote: 'pgbackrest', depend: REMOTE, deprecated: old('cmd') }),
  pg('host-config', 'string', 'Configuration file on the PostgreSQL host.', 'Passed to the remote process.',
    { default: '/etc/pgbackrest/pgbackrest.conf', depend: REMOTE, deprecated: old('config') }),
  pg('host-config-include-path', 'path', 'Include directory on the PostgreSQL host.', 'Passed to the remote process.',
    { default: '/etc/pgbackrest/conf.d', depend: REMOTE }),
  pg('host-config-path', 'path', 'Configuration directory on the PostgreSQL host.', 'Passed to the remote process.',
    { default: '/etc/pgbackrest', depend: REMOTE }),
  pg('host-key-file', 'string', 'PostgreSQL host key file.', 'TLS client key.',
    { section: 'global', commands: HOST_CMDS, depend: TLS_HOST }),
  pg('host-port', 'integer', 'PostgreSQL host SSH/TLS port.', 'Port used to reach pg-host.',
    { required: false, range: [0, 65535], depend: REMOTE, deprecated: old('ssh-port') }),
  pg('host-type', 'string-id', 'PostgreSQL host protocol.', 'ssh or tls.',
    { section: 'global', default: 'ssh', allow: ['ssh', 'tls'], commands: HOST_CMDS }),
  pg('host-user', 'string', 'PostgreSQL host OS user.', 'User of the remote process.',
    { default: 'postgres', required: false, depend: REMOTE, deprecated: old('user') }),
  pg('path', 'path', 'Data directory.', 'The PGDATA directory of the cluster.', {
    commands: cmds('archive-get backup restore stanza-create stanza-delete stanza-upgrade', {
      'archive-push': { required: false }, check: { depend: { option: 'stanza' } },
    }),
    deprecated: old('path'),
  }),
  pg('port', 'integer', 'PostgreSQL port.', 'Port the cluster listens on.',
    { default: '5432', range: [0, 65535], depend: PATH, deprecated: old('port') }),
  pg('socket-path', 'path', 'Unix socket directory.', 'Directory of the PostgreSQL socket.',
    { required: false, depend: PATH, deprecated: old('socket-path') }),
  pg('user', 'string', 'Database user.', 'User for the database connection.', { required: false, depend: PATH }),
];
