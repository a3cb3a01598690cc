import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { err } from '../error/error.js';
import { Http1Client, type Http1Body, type Http1Headers, type Http1Request } from './http1.js';
import { mapS3Error, S3StatusError, S3TimeoutError, isRetryable, type S3RequestDesc } from './s3-error.js';
import { canonicalQuery, EMPTY_SHA256, signV4, uriEncode, type S3Credentials } from './s3-sign.js';
import { parseError } from './s3-xml.js';

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

/** The S3 operations the driver uses; tests observe them by these names. */
export type S3Operation =
  | 'HeadObject' | 'GetObject' | 'PutObject' | 'DeleteObject' | 'ListObjectsV2' | 'DeleteObjects'
  | 'CreateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload' | 'AbortMultipartUpload';

export interface S3Request {
  op: S3Operation;
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** Object key ('' for the bucket itself). */
  key: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** The payload, as one buffer or as pieces sent back to back (a part gathered from a stream, uncopied). */
  body?: Buffer | readonly Buffer[];
  /** Add Content-MD5 (DeleteObjects requires it on older MinIO and Ceph RGW). */
  md5?: boolean;
}

export interface S3Response {
  status: number;
  headers: Http1Headers;
  body: Buffer;
}

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 20_000;

/**
 * A small S3 client on our HTTP/1.1 client (http1.ts): SigV4 signing with the payload hash (what
 * pgBackRest sends; no chunked or trailing-checksum encodings, which MinIO and Ceph RGW refuse),
 * keep-alive connections, and retries with jittered exponential backoff of what is worth retrying
 * (resets, timeouts, 5xx, throttling). Failures come out as catalogue errors (see s3-error.ts).
 */
export class S3Client {
  readonly hostPort: string;
  /** Test hook: called once per attempt, before it is sent. */
  observer?: (op: S3Operation, req: S3Request) => void;
  private readonly http: Http1Client;
  private readonly hostHeader: string;
  private readonly port: number;
  private readonly pathPrefix: string;
  private readonly credentials: () => Promise<S3Credentials>;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;

  constructor(private readonly o: S3Options) {
    const [host, portInEndpoint] = o.endpoint.split(':');
    this.port = portInEndpoint !== undefined ? Number(portInEndpoint) : (o.port ?? 443);
    this.hostPort = `${host}:${this.port}`;
    const virtualHost = o.uriStyle === 'path' ? host : `${o.bucket}.${host}`;
    this.hostHeader = this.port === 443 ? virtualHost : `${virtualHost}:${this.port}`;
    this.pathPrefix = o.uriStyle === 'path' ? `/${uriEncode(o.bucket)}/` : '/';
    this.http = new Http1Client({ host: virtualHost, port: this.port, connectHost: o.host, ca: loadCa(o), rejectUnauthorized: o.verifyTls ?? true });
    this.credentials = credentials(o);
    this.maxAttempts = Math.max(1, o.maxAttempts ?? 5);
    this.timeoutMs = o.timeoutMs ?? 60_000;
  }

  /** What a request is, for messages: `GET /bucket/key?query`. Never holds credentials. */
  describe(req: Pick<S3Request, 'method' | 'key' | 'query'>): S3RequestDesc {
    const query = req.query === undefined ? '' : canonicalQuery(req.query);
    return { method: req.method, resource: this.path(req.key) + (query === '' ? '' : `?${query}`) };
  }

  private path(key: string): string {
    return this.pathPrefix + uriEncode(key, true);
  }

  /**
   * Sends a request with retries and returns the whole answer; a status of 300 or more throws. With
   * `maxBody`, a larger answer is not read (see Http1Client.request): `tooLarge`, with an empty body.
   * A body that breaks off is retried like any other failure, as the whole answer is read here.
   */
  async request(req: S3Request, maxBody?: number): Promise<S3Response & { tooLarge?: true }> {
    return this.withRetries(req, (r) => this.http.request(r, maxBody), (res) => res);
  }

  /**
   * Sends a GET with retries up to the response headers, then hands over the body as it arrives.
   * The body stream fails when the connection ends or stalls before Content-Length bytes arrived;
   * a body is never silently short.
   */
  async stream(req: S3Request): Promise<Http1Body> {
    return this.withRetries(
      req,
      (r) => this.http.stream(r),
      async (res) => ({ status: res.status, headers: res.headers, body: await collect(res) }),
    );
  }

  /**
   * Runs `send` until it answers below 300, a failure is not worth retrying, or attempts run out.
   * `whole` reads an error answer's body (S3's error code and message are in it).
   */
  private async withRetries<T extends { status: number }>(
    req: S3Request,
    send: (r: Http1Request) => Promise<T>,
    whole: (res: T) => Promise<S3Response> | S3Response,
  ): Promise<T> {
    const pieces = bodyPieces(req.body);
    const payloadHash = pieces.length === 0 ? EMPTY_SHA256 : digestOf('sha256', pieces, 'hex');
    for (let attempt = 1; ; attempt++) {
      try {
        this.observer?.(req.op, req);
        const res = await send(await this.signed(req, pieces, payloadHash));
        if (res.status >= 300) {
          const body = await Promise.resolve(whole(res)).then((r) => r.body, () => Buffer.alloc(0));
          const parsed = parseError(body.toString('utf8'));
          throw new S3StatusError(res.status, parsed?.code, parsed?.message);
        }
        return res;
      } catch (e) {
        if (attempt >= this.maxAttempts || !isRetryable(e)) throw mapS3Error(e, this.hostPort, this.describe(req));
        const throttled = e instanceof S3StatusError && (e.status === 503 || e.status === 429);
        const cap = Math.min(MAX_DELAY_MS, (throttled ? 2 : 1) * BASE_DELAY_MS * 2 ** attempt);
        await new Promise((r) => setTimeout(r, Math.floor(cap / 2 + Math.random() * (cap / 2))));
      }
    }
  }

  private async signed(req: S3Request, pieces: readonly Buffer[], payloadHash: string): Promise<Http1Request> {
    const headers: Record<string, string> = { host: this.hostHeader };
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    if (req.body !== undefined || req.method === 'PUT' || req.method === 'POST') {
      headers['content-length'] = String(pieces.reduce((n, p) => n + p.length, 0));
      if (req.md5) headers['content-md5'] = digestOf('md5', pieces, 'base64');
    }
    const query = canonicalQuery(req.query ?? {});
    const path = this.path(req.key);
    const signed = signV4({
      method: req.method, path, query: req.query ?? {}, headers, payloadHash, region: this.o.region, credentials: await this.credentials(),
    });
    return {
      method: req.method,
      path: query === '' ? path : `${path}?${query}`,
      headers: signed,
      body: pieces,
      timeoutMs: this.timeoutMs,
      timeoutError: () => new S3TimeoutError(this.timeoutMs),
    };
  }

  close(): void {
    this.http.close();
  }
}

function bodyPieces(body: S3Request['body']): readonly Buffer[] {
  if (body === undefined) return [];
  return Buffer.isBuffer(body) ? (body.length === 0 ? [] : [body]) : body.filter((p) => p.length > 0);
}

function digestOf(algorithm: 'sha256' | 'md5', pieces: readonly Buffer[], encoding: 'hex' | 'base64'): string {
  const h = createHash(algorithm);
  for (const p of pieces) h.update(p);
  return h.digest(encoding);
}

/** The rest of a streamed body. */
async function collect(body: Http1Body): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
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

interface ExpiringCredentials extends S3Credentials {
  expiration?: Date;
}

function credentials(o: S3Options): () => Promise<S3Credentials> {
  const type = o.keyType ?? 'shared';
  if (type === 'shared') {
    if (o.accessKeyId === undefined || o.secretAccessKey === undefined) {
      throw err('OptionRequiredError', 'S3 shared key type requires repo-s3-key and repo-s3-key-secret');
    }
    const fixed: S3Credentials = { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, sessionToken: o.sessionToken };
    return () => Promise.resolve(fixed);
  }
  return memoize(async (): Promise<ExpiringCredentials> => {
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
function memoize(fetch: () => Promise<ExpiringCredentials>): () => Promise<S3Credentials> {
  let cached: Promise<ExpiringCredentials> | undefined;
  return async () => {
    const c = cached ? await cached.catch(() => undefined) : undefined;
    if (c !== undefined && (c.expiration === undefined || c.expiration.getTime() - Date.now() > 300_000)) return c;
    cached = fetch();
    return cached;
  };
}
