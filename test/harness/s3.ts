import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeSelfSignedCert } from './cert.js';

/**
 * The S3 endpoint the tests use: a local s3rver over HTTPS (started once per test run by
 * global-setup.ts), or an external endpoint given by PGBR_TEST_S3_* variables.
 */
export interface S3Server {
  /** Host name or IP, without port. */
  endpoint: string;
  port: number;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
  uriStyle: 'host' | 'path';
  verifyTls: boolean;
  /** CA certificate file that verifies the server, when there is one. */
  caFile?: string;
  /** The server's process, when the harness started it. */
  pid?: number;
  /**
   * Makes every later request wait `ms` before the server handles it, as over a network to a real
   * store (0: none); resolves once in force. Only for the s3rver the harness started.
   */
  setLatency?(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export type S3Details = Omit<S3Server, 'stop' | 'pid' | 'setLatency'>;

const ENV = {
  endpoint: 'PGBR_TEST_S3_ENDPOINT',
  port: 'PGBR_TEST_S3_PORT',
  bucket: 'PGBR_TEST_S3_BUCKET',
  key: 'PGBR_TEST_S3_KEY',
  secret: 'PGBR_TEST_S3_KEY_SECRET',
  region: 'PGBR_TEST_S3_REGION',
  uriStyle: 'PGBR_TEST_S3_URI_STYLE',
  caFile: 'PGBR_TEST_S3_CA_FILE',
  verifyTls: 'PGBR_TEST_S3_VERIFY_TLS',
} as const;

const CHILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 's3rver-child.cjs');

/** Start s3rver in a child process over HTTPS on a free loopback port, with one bucket. */
export async function startS3rver(bucket = 'pgbr-test'): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'pgbr-s3rver-'));
  const cert = makeSelfSignedCert(dir);
  const dataDir = join(dir, 'data');
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', CHILD_SCRIPT, dataDir, cert.keyFile, cert.certFile, bucket],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const port = await readPort(child, lines, () => stderr);
  return {
    endpoint: '127.0.0.1',
    port,
    bucket,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    region: 'us-east-1',
    uriStyle: 'path',
    verifyTls: true,
    caFile: cert.certFile,
    pid: child.pid,
    setLatency: (ms) => setChildLatency(child, lines, ms),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readPort(child: ChildProcess, lines: Interface, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`s3rver did not start: ${stderr()}`));
    }, 20_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}: ${stderr()}`));
    });
  });
}

/** Sends s3rver-child.cjs a `latency` line and waits for its answer. */
function setChildLatency(child: ChildProcess, lines: Interface, ms: number): Promise<void> {
  if (!Number.isInteger(ms) || ms < 0) return Promise.reject(new Error(`invalid latency ${ms}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      lines.off('line', onLine);
      reject(new Error(`s3rver did not confirm a latency of ${ms} ms`));
    }, 5_000);
    const onLine = (line: string): void => {
      if (latencyOf(line) !== ms) return;
      clearTimeout(timer);
      lines.off('line', onLine);
      resolve();
    };
    lines.on('line', onLine);
    child.stdin!.write(`latency ${ms}\n`);
  });
}

function latencyOf(line: string): number | undefined {
  try {
    return (JSON.parse(line) as { latency?: number }).latency;
  } catch {
    return undefined;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Details from PGBR_TEST_S3_* (set by the user for an external endpoint, or by global setup). */
export function s3DetailsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Details | undefined {
  const raw = env[ENV.endpoint];
  if (raw === undefined || raw === '') return undefined;
  const [host, hostPort] = raw.split(':');
  return {
    endpoint: host,
    port: Number(env[ENV.port] ?? hostPort ?? 443),
    bucket: env[ENV.bucket] ?? 'pgbr-test',
    accessKey: env[ENV.key] ?? '',
    secretKey: env[ENV.secret] ?? '',
    region: env[ENV.region] ?? 'us-east-1',
    uriStyle: env[ENV.uriStyle] === 'path' ? 'path' : 'host',
    verifyTls: env[ENV.verifyTls] !== 'n' && env[ENV.verifyTls] !== 'false',
    caFile: env[ENV.caFile] || undefined,
  };
}

/** Publish details as PGBR_TEST_S3_* so forked test workers see them. */
export function s3DetailsToEnv(d: S3Details, env: NodeJS.ProcessEnv = process.env): void {
  env[ENV.endpoint] = d.endpoint;
  env[ENV.port] = String(d.port);
  env[ENV.bucket] = d.bucket;
  env[ENV.key] = d.accessKey;
  env[ENV.secret] = d.secretKey;
  env[ENV.region] = d.region;
  env[ENV.uriStyle] = d.uriStyle;
  env[ENV.verifyTls] = d.verifyTls ? 'y' : 'n';
  if (d.caFile !== undefined) env[ENV.caFile] = d.caFile;
}

export interface S3Target extends S3Details {
  /** A repo path (`/t-<random>`) no other test uses; keys are written under it. */
  path: string;
}

/** The S3 server for this test run plus a fresh unique repo path. */
export function s3Target(): S3Target {
  const d = s3DetailsFromEnv();
  if (d === undefined) throw new Error('no S3 server: global setup did not run and PGBR_TEST_S3_ENDPOINT is unset');
  return { ...d, path: `/t-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}` };
}
