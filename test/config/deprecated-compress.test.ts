import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

afterAll(() => removeAllTempDirs());

const push = ['--stanza=x', '--pg1-path=/pg', 'archive-push', '/pg/pg_wal/000000010000000000000001'];

describe('the deprecated compress option, as pgBackRest 2.45 applies it', () => {
  it('compress=n (file) or --no-compress means compress-type none when compress-type is not given', () => {
    expect(parseConfig(['--no-config', '--no-compress', ...push], {}).str('compress-type')).toBe('none');
    const dir = makeTempDir();
    const conf = join(dir, 'pgbackrest.conf');
    writeFileSync(conf, '[global]\ncompress=n\n');
    const cfg = parseConfig([`--config=${conf}`, ...push], {});
    expect(cfg.str('compress-type')).toBe('none');
    expect(cfg.notices).toEqual([]);
  });

  it('compress=y keeps the default, and beside compress-type it is ignored with a warning', () => {
    expect(parseConfig(['--no-config', '--compress', ...push], {}).str('compress-type')).toBe('gz');
    const both = parseConfig(['--no-config', '--no-compress', '--compress-type=zst', ...push], {});
    expect(both.str('compress-type')).toBe('zst');
    expect(both.notices).toEqual([
      "'compress' and 'compress-type' options should not both be set\nHINT: 'compress-type' is preferred and 'compress' is deprecated.",
    ]);
  });
});
