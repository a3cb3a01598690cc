/**
 * Hostile input: config file text, argv and option values (sizes, times, paths, numbers, lists)
 * through parseConfig. Every outcome is a Config or a PgbrError with a catalogue code.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { OPTIONS, baseName } from '../../src/config/options.js';
import { SPEC_SAMPLES } from '../harness/spec.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { check, mustBeCleanOrPgbr, mutatedText } from './fuzz-helpers.js';
import { readFileSync } from 'node:fs';

const dir = makeTempDir('pgbr-fuzz-conf-');
const confFile = join(dir, 'pgbackrest.conf');
afterAll(() => removeAllTempDirs());

const COMMANDS = ['archive-push', 'archive-get', 'backup', 'restore', 'info', 'check', 'expire', 'stanza-create', 'verify', 'help', 'version', 'start', 'stop', 'repo-ls', 'bogus'];
const NAMES = OPTIONS.map((o) => (o.group === undefined ? baseName(o) : `${o.group}${1 + (o.name.length % 3)}-${o.name}`));

/** Values that stress the typed parsers: sizes, times, integers, booleans, paths, key=value lists. */
const hostileValue = fc.oneof(
  fc.constantFrom('', '0', '-1', '1.5', '1e999', 'NaN', 'Infinity', '0x10', '99999999999999999999', '1KB', '1.5GiB', '10PB', 'kb',
    '9223372036854775808', 'y', 'n', 'true', '/abs/path', 'rel/path', '../..', '//', '/a/../b', '=', 'a=b', 'a=b=c', '==',
    '\u0000', ' ', '60s', '0.0001', '-0', '1,2', 'lz4', 'aes-256-cbc', 's3'),
  fc.string({ maxLength: 16 }),
);

const option = fc.tuple(fc.constantFrom(...NAMES, 'no-config', 'reset-stanza', 'no-repo1-path', 'bogus-option', 'stanza'), hostileValue, fc.boolean())
  .map(([name, value, bare]) => (bare ? `--${name}` : `--${name}=${value}`));

const argv = fc.tuple(fc.array(option, { maxLength: 6 }), fc.constantFrom(...COMMANDS), fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }))
  .map(([opts, cmd, params]) => [`--config=${confFile}`, ...opts, cmd, ...params]);

const confLine = fc.oneof(
  fc.tuple(fc.constantFrom(...NAMES), hostileValue).map(([k, v]) => `${k}=${v}`),
  fc.constantFrom('[global]', '[demo]', '[global:backup]', '[demo:archive-push]', '[', ']', '[]', '[global:bogus]', '# c', '=x', 'k', ' k = v '),
  fc.string({ maxLength: 20 }),
);

function run(text: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  writeFileSync(confFile, text);
  mustBeCleanOrPgbr(() => parseConfig(args, env, { execId: 'fuzz' }));
}

describe('parseConfig with hostile input', () => {
  it('random config file text', () => {
    check(fc.string({ maxLength: 300, unit: 'binary' }), (t) => run(t, [`--config=${confFile}`, '--stanza=demo', 'info']));
  });

  it('random config lines and argv', () => {
    check(fc.tuple(fc.array(confLine, { maxLength: 12 }), argv), ([lines, args]) => run(lines.join('\n'), args));
  });

  it('mutations of the documented sample config', () => {
    const sample = readFileSync(join(SPEC_SAMPLES, 'pgbackrest-main.conf'), 'utf8');
    check(fc.tuple(mutatedText(sample), argv), ([t, args]) => run(t, args));
  });

  it('PGBACKREST_* variables with hostile values', () => {
    const envArb = fc.array(fc.tuple(fc.constantFrom(...NAMES), hostileValue), { maxLength: 5 })
      .map((kv) => Object.fromEntries(kv.map(([k, v]) => [`PGBACKREST_${k.toUpperCase().replace(/-/g, '_')}`, v])));
    check(fc.tuple(envArb, argv), ([env, args]) => run('[global]\n', args, env));
  });
});
