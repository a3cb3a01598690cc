import { createHash } from 'node:crypto';
import { lookup } from 'node:dns';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { err } from '../error/error.js';

/** Everything the S3 driver needs, already resolved from the repo options (see repo.ts). */
export interface S3Options {
  bucket: string;
  /** Host name, optionally `host:port` (the port then wins over `port`). */
  endpoint: string;
  /** Default 443. */
  port?: number;
  region: string;
  /** `host`: `<bucket>.<endpoint>`; `path`: `<endpoint>/<bucket>`. Default host. */
  uriStyle?: 'host' | 'path';
  keyType?: 'shared' | 'auto' | 'web-id';
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Default true. */
  verifyTls?: boolean;
  caFile?: string;
  /** Directory of PEM files; every file in it is trusted. */
  caPath?: string;
  /** Connect here instead of the endpoint (repoN-storage-host); TLS and signing still use the endpoint. */
  host?: string;
  /** Repository path inside the bucket (repoN-path); `/` is the bucket root. */
  repoPath: string;
  /** Multipart part size in bytes. */
  uploadChunkSize?: number;
  kmsKeyId?: string;
  /** Attempts per request including the first (throttling, 5xx, resets). Default 5. */
  maxAttempts?: number;
  /** io-timeout: a request whose socket is idle this long fails (and is retried). Default 60 s. */
  timeoutMs?: number;
}

export interface S3Connection {
  client: S3Client;
  agent: Agent;
  /** `host:port` for messages. */
  hostPort: string;
}

/** Builds the SDK client: TLS agent, retries, and no streaming checksum trailers (MinIO, Ceph). */
export function createS3Connection(o: S3Options): S3Connection {
  const [host, portInEndpoint] = o.endpoint.split(':');
  const port = portInEndpoint !== undefined ? Number(portInEndpoint) : (o.port ?? 443);
  const agent = new Agent({
    keepAlive: true,
    rejectUnauthorized: o.verifyTls ?? true,
    ca: loadCa(o),
    lookup: o.host === undefined ? undefined : (_h, opts, cb) => lookup(o.host!, opts, cb as never),
  });
  // The SDK warns on stderr about Node < 22 once per process; pgBackRest's output has no such line.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    region: o.region,
    endpoint: `https://${host}:${port}`,
    forcePathStyle: o.uriStyle === 'path',
    credentials: credentials(o),
    maxAttempts: o.maxAttempts ?? 5,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      httpsAgent: agent,
      connectionTimeout: o.timeoutMs ?? 60_000,
      // Idle time on the socket, not the whole request: a large upload may take longer than io-timeout.
      socketTimeout: o.timeoutMs ?? 60_000,
    }),
  });
  addContentMd5(client);
  return { client, agent, hostPort: `${host}:${port}` };
}

function loadCa(o: S3Options): string[] | undefined {
  const files: string[] = [];
  if (o.caFile !== undefined) files.push(o.caFile);
  if (o.caPath !== undefined) {
    for (const name of readdirSync(o.caPath)) files.push(`${o.caPath}/${name}`);
  }
  if (files.length === 0) return undefined;
  return files.map((f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      throw err('FileOpenError', `unable to read ca file '${f}': ${(e as Error).message}`);
    }
  });
}

function credentials(o: S3Options): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  const type = o.keyType ?? 'shared';
  if (type === 'shared') {
    if (o.accessKeyId === undefined || o.secretAccessKey === undefined) {
      throw err('OptionRequiredError', 'S3 shared key type requires repo-s3-key and repo-s3-key-secret');
    }
    return { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, sessionToken: o.sessionToken };
  }
  return memoize(async () => {
    // Loaded only when needed: these modules are not used by shared-key repositories.
    if (type === 'auto') {
      const { fromInstanceMetadata } = await import('@smithy/credential-provider-imds');
      return fromInstanceMetadata({ maxRetries: 3, timeout: 5_000 })();
    }
    const { fromTokenFile } = await import('@aws-sdk/credential-provider-web-identity');
    return fromTokenFile()();
  });
}

/** Reuses temporary credentials until five minutes before they expire. */
function memoize(fetch: () => Promise<AwsCredentialIdentity>): AwsCredentialIdentityProvider {
  let cached: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    const c = cached ? await cached.catch(() => undefined) : undefined;
    if (c !== undefined && (c.expiration === undefined || c.expiration.getTime() - Date.now() > 300_000)) return c;
    cached = fetch();
    return cached;
  };
}

/** Older MinIO and Ceph RGW insist on Content-MD5 for DeleteObjects; the SDK now sends a CRC. */
function addContentMd5(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { headers?: Record<string, string>; body?: unknown };
      if (context.commandName === 'DeleteObjectsCommand' && req.headers && typeof req.body === 'string') {
        req.headers['content-md5'] = createHash('md5').update(req.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'pgbrContentMd5' },
  );
}
