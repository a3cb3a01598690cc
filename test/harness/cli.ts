import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ourCli, runCmd, theirCli, type RunResult } from './run.js';
import type { S3Target } from './s3.js';
import { chownToPostgres } from './tmp.js';

/** pgbackrest.conf content: section name → key → value (a list repeats the key). */
export type ConfSections = Record<string, Record<string, string | string[]>>;

export function renderConf(conf: ConfSections): string {
  return Object.entries(conf)
    .map(([section, kv]) => {
      const lines = Object.entries(kv).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`));
      return `[${section}]\n${lines.join('\n')}\n`;
    })
    .join('\n');
}

/** Writes `<dir>/pgbackrest.conf` readable by the postgres user and returns its path. */
export function writeConf(dir: string, conf: ConfSections): string {
  const file = join(dir, 'pgbackrest.conf');
  writeFileSync(file, renderConf(conf), { mode: 0o640 });
  chownToPostgres(file);
  return file;
}

export interface CliRunOptions {
  addEnv?: Record<string, string>;
  /** Run as the invoking user instead of postgres. */
  asRoot?: boolean;
  timeoutMs?: number;
}

/** Runs our CLI (as postgres when the tests run as root). */
export function ours(args: readonly string[], opts: CliRunOptions = {}): Promise<RunResult> {
  const cli = ourCli();
  return runCmd(cli.cmd, [...cli.args, ...args], { asPostgres: !opts.asRoot, addEnv: opts.addEnv, timeoutMs: opts.timeoutMs });
}

/** Runs Debian's pgBackRest 2.45 the same way. */
export function theirs(args: readonly string[], opts: CliRunOptions = {}): Promise<RunResult> {
  return runCmd(theirCli(), args, { asPostgres: !opts.asRoot, addEnv: opts.addEnv, timeoutMs: opts.timeoutMs });
}

/**
 * Repo options for an S3 target. The CA file is copied next to the config so that the postgres
 * user can read it (the server's own copy sits in a root-only temp dir).
 */
export function s3RepoConf(t: S3Target, dir: string, idx = 1): Record<string, string> {
  const r = `repo${idx}`;
  const conf: Record<string, string> = {
    [`${r}-type`]: 's3',
    [`${r}-path`]: t.path,
    [`${r}-s3-bucket`]: t.bucket,
    [`${r}-s3-endpoint`]: t.endpoint,
    [`${r}-storage-port`]: String(t.port),
    [`${r}-s3-region`]: t.region,
    [`${r}-s3-key`]: t.accessKey,
    [`${r}-s3-key-secret`]: t.secretKey,
    [`${r}-s3-uri-style`]: t.uriStyle,
  };
  if (!t.verifyTls) conf[`${r}-storage-verify-tls`] = 'n';
  else if (t.caFile !== undefined) {
    const ca = join(dir, `s3-ca-${idx}.pem`);
    copyFileSync(t.caFile, ca);
    chownToPostgres(ca);
    conf[`${r}-storage-ca-file`] = ca;
  }
  return conf;
}

/** Every line of a run's output, for secret scans. */
/** Our archive-push as PostgreSQL's archive_command (unquoted: quote it inside postgresql.conf). */
export function ourArchiveCommand(conf: string, stanza: string): string {
  const cli = ourCli();
  return `${cli.cmd} ${cli.args[0]} --config=${conf} --stanza=${stanza} archive-push %p`;
}

/** Console text with what differs between runs masked: timestamps, durations, exec ids, and `dir` as `<dir>`. */
export function maskRun(text: string, dir?: string): string {
  const masked = text
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /gm, '')
    .replace(/\(\d+ms\)/g, '(Nms)')
    .replace(/--exec-id=\S+/g, '--exec-id=X');
  return dir === undefined ? masked : masked.split(dir).join('<dir>');
}

export function allOutput(r: RunResult): string {
  return `${r.stdout}\n${r.stderr}`;
}
