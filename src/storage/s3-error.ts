import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { err, PgbrError } from '../error/error.js';
import { BodyBrokenError } from './http1.js';

/** Socket-level failures: the service could not be reached, or the connection broke. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET',
  'EPIPE', 'ECONNABORTED',
]);

/** S3 error codes worth another attempt even when the status alone would not say so. */
const RETRY_CODES = new Set(['RequestTimeout', 'SlowDown', 'InternalError', 'ServiceUnavailable']);

/** What the request was, for the message: `GET /bucket/key`. Never holds credentials. */
export interface S3RequestDesc {
  method: string;
  resource: string;
}

/** An answer with a status of 300 or more, with S3's error code and message when the body had them. */
export class S3StatusError extends Error {
  constructor(readonly status: number, readonly code: string | undefined, readonly s3Message: string | undefined) {
    super(`HTTP ${status}${code === undefined ? '' : ` ${code}`}`);
  }
}

/** The socket was idle for io-timeout. */
export class S3TimeoutError extends Error {
  readonly code = 'ETIMEDOUT_IO';
  constructor(readonly ms: number) {
    super(`timeout after ${ms}ms`);
  }
}

interface NodeError {
  code?: string;
  errno?: number;
  message?: string;
}

/** Whether another attempt may succeed: broken connections, timeouts, 5xx and throttling. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof S3StatusError) return e.status >= 500 || e.status === 429 || (e.code !== undefined && RETRY_CODES.has(e.code));
  if (e instanceof S3TimeoutError) return true;
  const code = (e as NodeError | null)?.code;
  return code !== undefined && CONNECT_CODES.has(code);
}

/**
 * Maps a failure to a PgbrError the way pgBackRest reports it: HTTP errors are ProtocolError
 * `HTTP request failed with <status> (<reason>)` plus the request and the S3 error code; network
 * failures are HostConnectError `unable to connect to '<host:port>': [errno] text`; an idle socket
 * is FileReadError `timeout after <ms>ms waiting for read`, and an answer whose body broke off is
 * FileReadError `unable to read the answer to <request> ...`; certificate failures are CryptoError.
 * Anything else (e.g. the caller's source stream failing) is returned as is.
 */
let statusCodes: Record<number, string | undefined> | undefined;

/**
 * The reason phrase of an HTTP status, from node:http, loaded on the first error only: loading
 * node:http (its client, server and agent) takes 6-7 ms of CPU, in every archive-push to S3.
 */
function statusText(status: number): string {
  statusCodes ??= (createRequire(import.meta.url)('node:http') as typeof import('node:http')).STATUS_CODES;
  return statusCodes[status] ?? 'Unknown';
}

export function mapS3Error(e: unknown, hostPort: string, req: S3RequestDesc): unknown {
  if (e instanceof PgbrError || e === null || typeof e !== 'object') return e;
  if (e instanceof S3StatusError) {
    const reason = statusText(e.status);
    const code = e.code ?? String(e.status);
    const detail = e.s3Message ? `: ${e.s3Message}` : '';
    return err(
      'ProtocolError',
      `HTTP request failed with ${e.status} (${reason}):\n*** Path/Query ***:\n${req.method} ${req.resource}\n` +
        `*** Response Content ***:\n${code}${detail}`,
      { cause: e },
    );
  }
  if (e instanceof S3TimeoutError) {
    return err('FileReadError', `timeout after ${e.ms}ms waiting for read from '${hostPort}'`, { cause: e });
  }
  // The answer had begun: the store was reached, and what failed is reading the rest of it
  // (pgBackRest: FileReadError "unexpected EOF reading HTTP content"). Retried like a reset.
  if (e instanceof BodyBrokenError) {
    return err('FileReadError', `unable to read the answer to ${req.method} ${req.resource} from '${hostPort}': ${e.message}`, { cause: e });
  }
  const x = e as NodeError;
  if (x.code !== undefined && CONNECT_CODES.has(x.code)) {
    const errno = Math.abs(x.errno ?? (constants.errno as Record<string, number>)[x.code] ?? 0);
    return err('HostConnectError', `unable to connect to '${hostPort}': [${errno}] ${connectText(x.code)}`, { cause: e });
  }
  if (x.code !== undefined && /CERT|SELF_SIGNED|TLS|SSL/.test(x.code)) {
    return err('CryptoError', `unable to verify certificate presented by '${hostPort}': ${x.message}`, { cause: e });
  }
  return e;
}

function connectText(code: string): string {
  const texts: Record<string, string> = {
    ECONNREFUSED: 'Connection refused',
    ENOTFOUND: 'Name or service not known',
    EAI_AGAIN: 'Temporary failure in name resolution',
    EHOSTUNREACH: 'No route to host',
    ENETUNREACH: 'Network is unreachable',
    ETIMEDOUT: 'Connection timed out',
    ECONNRESET: 'Connection reset by peer',
    EPIPE: 'Broken pipe',
    ECONNABORTED: 'Software caused connection abort',
  };
  return texts[code] ?? code;
}

/** True for "no such key" answers (GetObject NoSuchKey, HeadObject 404), not a missing bucket. */
export function isNotFound(e: unknown): boolean {
  const s = e instanceof PgbrError ? e.cause : e;
  return s instanceof S3StatusError && s.status === 404 && s.code !== 'NoSuchBucket';
}
