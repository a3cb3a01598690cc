import { describe, expect, it } from 'vitest';
import { expireDisplayOptions } from '../../src/command/expire/after-backup.js';

describe('expire begin line after a backup', () => {
  it('keeps only the options expire accepts, in the same order', () => {
    const backup =
      '--config=/c/p.conf --exec-id=1-abcd --lock-path=/l --log-level-console=info --pg1-path=/srv/pg ' +
      '--repo1-path=/srv/repo --repo1-retention-full=2 --stanza=demo --start-fast --type=full --no-compress ' +
      '--annotation="a b=c"';
    expect(expireDisplayOptions(backup)).toBe(
      '--config=/c/p.conf --exec-id=1-abcd --lock-path=/l --log-level-console=info --repo1-path=/srv/repo ' +
        '--repo1-retention-full=2 --stanza=demo',
    );
  });
});
