/**
 * `info` on repositories in trouble, text and JSON, compared with pgBackRest 2.45 run on the same
 * repositories: monitoring reads the status codes (0 ok, 1 missing stanza path, 3 missing stanza
 * data, 4 mixed, 99 other) and expects exit code 0 with the error inside the output.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ours, theirs } from '../harness/cli.js';
import { freePort } from '../harness/pg.js';
import { SPEC_SAMPLES } from '../harness/spec.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

let work: string;
/** A repo with stanza demo (2.45's sample info files). */
let good: string;
let deadPort: number;

beforeAll(async () => {
  work = makeTempDir('pgbr-info-cmp-');
  good = join(work, 'good');
  mkdirSync(join(good, 'backup', 'demo'), { recursive: true });
  mkdirSync(join(good, 'archive', 'demo'), { recursive: true });
  for (const f of ['backup.info', 'backup.info.copy']) copyFileSync(join(SPEC_SAMPLES, 'backup.info'), join(good, 'backup', 'demo', f));
  for (const f of ['archive.info', 'archive.info.copy']) copyFileSync(join(SPEC_SAMPLES, 'archive.info'), join(good, 'archive', 'demo', f));
  deadPort = await freePort();
});

afterAll(() => removeAllTempDirs());

/** An S3 repo at a loopback port nothing listens on. */
function deadS3(idx: number): string[] {
  return [`--repo${idx}-type=s3`, `--repo${idx}-s3-bucket=b`, `--repo${idx}-s3-endpoint=127.0.0.1`, `--repo${idx}-storage-port=${deadPort}`,
    `--repo${idx}-s3-region=us-east-1`, `--repo${idx}-s3-uri-style=path`, `--repo${idx}-path=/r`, '--io-timeout=0.1'];
}

async function same(args: string[], outputs = ['text', 'json']): Promise<void> {
  const dir = makeTempDir('pgbr-info-cmp-');
  // S3 keys go in the environment: pgBackRest refuses them on the command line
  const conf = join(dir, 'pgbackrest.conf');
  writeFileSync(conf, '[global]\nrepo1-s3-key=k\nrepo1-s3-key-secret=s\nrepo2-s3-key=k\nrepo2-s3-key-secret=s\n');
  for (const output of outputs) {
    const full = [`--config=${conf}`, '--log-level-file=off', `--lock-path=${join(dir, 'lock')}`, `--output=${output}`, ...args, 'info'];
    const mine = await ours(full, { asRoot: true });
    const ref = await theirs(full, { asRoot: true });
    expect({ code: mine.code, stdout: mine.stdout, stderr: mine.stderr }, full.join(' ')).toEqual({ code: ref.code, stdout: ref.stdout, stderr: ref.stderr });
    expect(mine.code).toBe(0);
  }
}

describe('info on repositories in trouble, as pgBackRest 2.45 reports it', () => {
  it('a stanza directory without backup.info is "missing stanza data"', async () => {
    const repo = join(work, 'no-data');
    mkdirSync(join(repo, 'backup', 'demo'), { recursive: true });
    await same([`--repo1-path=${repo}`]);
    await same([`--repo1-path=${repo}`, '--stanza=demo']);
  });

  it('a stanza on one repo of two is "mixed", with each repo\'s status', async () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    await same([`--repo1-path=${good}`, `--repo2-path=${empty}`, '--stanza=demo']);
    await same([`--repo1-path=${good}`, `--repo2-path=${empty}`]);
  });

  it('a corrupt backup.info is status 99 with the whole error, indented, and the cipher', async () => {
    const repo = join(work, 'corrupt');
    mkdirSync(join(repo, 'backup', 'demo'), { recursive: true });
    for (const f of ['backup.info', 'backup.info.copy']) {
      writeFileSync(join(repo, 'backup', 'demo', f), readFileSync(join(good, 'backup', 'demo', f), 'utf8').replace(/"backrest-checksum"="[0-9a-f]{4}/, '"backrest-checksum"="ffff'));
    }
    await same([`--repo1-path=${repo}`, '--stanza=demo']);
    await same([`--repo1-path=${repo}`, `--repo2-path=${good}`]);
  });

  it('an unreachable repo: exit 0, the stanza "[invalid]" or the one asked for, or beside a good repo\'s', async () => {
    // each of ours takes its S3 retries (about 2.5 s): one output each
    await same(deadS3(1), ['json']);
    await same([...deadS3(1), '--stanza=demo'], ['text']);
    await same([...deadS3(1), `--repo2-path=${good}`], ['text']);
  });
});
