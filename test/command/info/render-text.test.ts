import { SPEC_SAMPLES } from '../../harness/spec.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderInfoText } from '../../../src/command/info/render-text.js';
import type { InfoStanza } from '../../../src/command/info/model.js';
import { jsonDecode, jsonEncode } from '../../../src/repo/json.js';

const SAMPLES = SPEC_SAMPLES;
const sample = (name: string) => readFileSync(`${SAMPLES}/${name}`, 'utf8');

beforeAll(() => {
  // the samples were produced on a UTC host; info prints local times
  process.env.TZ = 'UTC';
});

describe('info text rendering from the JSON model', () => {
  it.each([
    ['info-demo', {}],
    ['info-multi-repo', {}],
    ['info-upgrade', {}],
    ['info-set', { set: '20261125-235521F_20261125-235530I' }],
  ])('renders %s exactly as pgBackRest 2.45', (name, opts) => {
    const model = jsonDecode(sample(`${name}.json`)) as unknown as InfoStanza[];
    expect(renderInfoText(model, opts)).toBe(sample(`${name}.txt`));
  });

  it('lists the files with page checksum errors as 2.45 does with --set', () => {
    const model = jsonDecode(sample('info-set.json')) as unknown as InfoStanza[];
    const b = model[0]!.backup.at(-1)!;
    Object.assign(b, { error: true, 'error-list': ['base/5/16414', 'base/5/16415'] });
    const text = renderInfoText(model, { set: b.label });
    // 2.45: the list after the tablespaces, in place of the line a listing without --set has
    expect(text).toContain('                ts1 (16384) => /srv/pgdemo/ts1\n            error list: base/5/16414, base/5/16415\n');
    expect(text).not.toContain('error(s) detected during backup');
    expect(renderInfoText(model, {})).toContain('\n            error(s) detected during backup\n');
  });

  it('shows annotations only with --set, after everything else of the backup, as 2.45 does', () => {
    const model = jsonDecode(sample('info-set.json')) as unknown as InfoStanza[];
    const b = model[0]!.backup.at(-1)!;
    Object.assign(b, { annotation: { k: 'v', z: '1' }, 'error-list': ['base/5/16414'], error: true });
    expect(renderInfoText(model, { set: b.label })).toMatch(
      /\n {12}error list: base\/5\/16414\n {12}annotation\(s\)\n {16}k: v\n {16}z: 1\n$/,
    );
    expect(renderInfoText(model, {})).not.toContain('annotation');
  });

  it('keeps the JSON byte-identical through decode and encode (key order, big integers)', () => {
    for (const name of ['info-demo', 'info-multi-repo', 'info-upgrade', 'info-set']) {
      const text = sample(`${name}.json`);
      expect(jsonEncode(jsonDecode(text))).toBe(text);
    }
  });
});
