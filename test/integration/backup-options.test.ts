/**
 * backup options this tool once took and did nothing with: --annotation is recorded as 2.45
 * records it; archive-copy and backup-standby, which would change what the backup holds, fail
 * the backup instead of being recorded as done; repo bundling and hard links, which only change
 * how it is stored, are reported and the backup says what was really done.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ours, theirs } from '../harness/cli.js';
import { removeAllTempDirs } from '../harness/tmp.js';
import { backupEnv, type BackupEnv } from './backup-helpers.js';

let env: BackupEnv;
beforeAll(async () => {
  env = await backupEnv({});
}, 180_000);
afterAll(async () => {
  await env?.cluster.cleanup();
  removeAllTempDirs();
});

const listed = async (): Promise<string[]> => {
  const r = await ours([...env.args, '--output=json', 'info']);
  return (JSON.parse(r.stdout)[0].backup as Array<{ label: string }>).map((b) => b.label);
};

describe('backup options', () => {
  it('--annotation goes into the manifest and backup.info, and 2.45 shows it', async () => {
    const r = await ours([...env.args, '--type=full', '--annotation=ticket=T-1', '--annotation=key 2=val two', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    const [label] = (await listed()).slice(-1);
    const manifest = readFileSync(join(env.dir, 'repo', 'backup', 'demo', label!, 'backup.manifest'), 'utf8');
    // keys sorted, as pgBackRest renders JSON
    expect(manifest).toContain('\n[metadata]\nannotation={"key 2":"val two","ticket":"T-1"}\n');
    const info = readFileSync(join(env.dir, 'repo', 'backup', 'demo', 'backup.info'), 'utf8');
    expect(info).toContain(`${label}={"backrest-format":5,"backrest-version":"2.45","backup-annotation":{"key 2":"val two","ticket":"T-1"},`);
    const theirInfo = await theirs([...env.args, `--set=${label}`, 'info']);
    expect(theirInfo.code, theirInfo.stderr).toBe(0);
    expect(theirInfo.stdout).toMatch(/ {12}annotation\(s\)\n {16}key 2: val two\n {16}ticket: T-1\n/);
  });

  it('--archive-copy and --backup-standby fail with [067] and list no backup', async () => {
    const before = await listed();
    for (const opt of ['--archive-copy', '--backup-standby']) {
      const r = await ours([...env.args, '--type=full', opt, 'backup']);
      expect(r.code, r.stderr).toBe(67);
      expect(r.stderr).toMatch(/ERROR: \[067\]: .* is not implemented yet in pgbackrest-ts/);
    }
    expect(await listed()).toEqual(before);
  });

  it('repo bundling is reported, and the backup does not claim to be bundled', async () => {
    const r = await ours([...env.args, '--type=full', '--repo1-bundle', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("WARN: option 'repo1-bundle' is not implemented yet in pgbackrest-ts and is ignored");
    const [label] = (await listed()).slice(-1);
    const manifest = readFileSync(join(env.dir, 'repo', 'backup', 'demo', label!, 'backup.manifest'), 'utf8');
    expect(manifest).not.toContain('backup-bundle=');
  });
});
