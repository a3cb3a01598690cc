import { describe, expect, it } from 'vitest';
import { asyncChildArgs } from '../../src/archive/async-spawn.js';

describe('asyncChildArgs', () => {
  const base = {
    command: 'archive-push',
    params: ['pg_wal/000000010000000000000003'],
    newParams: ['000000010000000000000003'],
  };

  it("keeps node's options from the #! line, so the child trusts what the foreground trusts", () => {
    const args = asyncChildArgs({
      ...base,
      argv: ['/usr/bin/node', '/opt/pgbr/bin/pgbackrest', '--stanza=demo', 'archive-push', 'pg_wal/000000010000000000000003'],
      execArgv: ['--use-openssl-ca'],
    });
    expect(args).toEqual([
      '--use-openssl-ca', '/opt/pgbr/bin/pgbackrest', '--stanza=demo',
      '--log-level-console=off', '--log-level-stderr=off', 'archive-push:async', '000000010000000000000003',
    ]);
  });

  it('drops console and stderr log levels in both spellings and keeps the other options in order', () => {
    const args = asyncChildArgs({
      ...base,
      argv: ['node', 'bin/pgbackrest', '--log-level-console', 'info', '--config=/c', 'archive-push', '--log-level-stderr=warn', 'pg_wal/000000010000000000000003', '--stanza=demo'],
      execArgv: [],
    });
    expect(args).toEqual(['bin/pgbackrest', '--config=/c', '--stanza=demo', '--log-level-console=off', '--log-level-stderr=off', 'archive-push:async', '000000010000000000000003']);
  });
});
