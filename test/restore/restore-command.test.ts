import { describe, expect, it } from 'vitest';
import { selfCommand } from '../../src/restore/restore-command.js';

describe('selfCommand', () => {
  it("is node, node's options from the #! line and the script, so archive-get trusts what restore trusts", () => {
    expect(selfCommand({ execPath: '/usr/bin/node', execArgv: ['--use-openssl-ca'], argv: ['/usr/bin/node', '/opt/pgbr/bin/pgbackrest', 'restore'] }))
      .toBe('/usr/bin/node --use-openssl-ca /opt/pgbr/bin/pgbackrest');
  });

  it('is node and the script when node had no options, and node alone without a script', () => {
    expect(selfCommand({ execPath: '/usr/bin/node', execArgv: [], argv: ['/usr/bin/node', '/opt/pgbr/bin/pgbackrest'] })).toBe('/usr/bin/node /opt/pgbr/bin/pgbackrest');
    expect(selfCommand({ execPath: '/usr/bin/node', execArgv: [], argv: ['/usr/bin/node'] })).toBe('/usr/bin/node');
  });
});
