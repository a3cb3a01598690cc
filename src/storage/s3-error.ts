import { STATUS_CODES } from 'node:http';
import { constants } from 'node:os';
import { err, PgbrError } from '../error/error.js';

/** Socket-level failures: the service could not be reached at all. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET',
  'EPIPE', 'ECONNABORTED',
]);

interface SdkError {
  name?: string;
  code?: string;
  errno?: number;
  message?: string;
  errors?: SdkError[];
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

/** What the request was, for the message: `GET /bucket/key`. Never holds credentials. */
export interface S3RequestDesc {
  method: string;
  resource: string;
}

/**
 * Maps an SDK failure to a PgbrError the way pgBackRest reports it: HTTP errors are ProtocolError
 * `HTTP request failed with <status> (<reason>)` plus the request and the S3 error code; network
 * failures are HostConnectError `unable to connect to '<host:port>': [errno] text`; certificate
 * failures are CryptoError. Anything else (e.g. the caller's source stream failing) is returned as is.
 */
export function mapS3Error(e: unknown, hostPort: string, req: S3RequestDesc): unknown {
  if (e instanceof PgbrError || e === null || typeof e !== 'object') return e;
  const x = e as SdkError;
  const status = x.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 300 && x.$fault !== undefined) {
    const reason = STATUS_CODES[status] ?? 'Unknown';
    const code = x.name && x.name !== 'Unknown' ? x.name : String(status);
    const detail = x.message && x.message !== 'UnknownError' ? `: ${x.message}` : '';
    return err(
      'ProtocolError',
      `HTTP request failed with ${status} (${reason}):\n*** Path/Query ***:\n${req.method} ${req.resource}\n` +
        `*** Response Content ***:\n${code}${detail}`,
      { cause: e },
    );
  }
  if (x.name === 'TimeoutError') {
    const ms = /(?:after|within) (\d+) ?ms/.exec(x.message ?? '')?.[1];
    return err('FileReadError', `timeout${ms === undefined ? '' : ` after ${ms}ms`} waiting for read from '${hostPort}'`, { cause: e });
  }
  const net = networkCode(x);
  if (net !== undefined && CONNECT_CODES.has(net)) {
    const errno = Math.abs(x.errno ?? (constants.errno as Record<string, number>)[net] ?? 0);
    return err('HostConnectError', `unable to connect to '${hostPort}': [${errno}] ${connectText(net)}`, { cause: e });
  }
  if (net !== undefined && /CERT|SELF_SIGNED|TLS|SSL/.test(net)) {
    return err('CryptoError', `unable to verify certificate presented by '${hostPort}': ${x.message}`, { cause: e });
  }
  return e;
}

function networkCode(x: SdkError): string | undefined {
  if (x.code !== undefined) return x.code;
  return x.errors?.find((s) => s.code !== undefined)?.code;
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

/** True for "no such key" answers (GetObject NoSuchKey, HeadObject 404). */
export function isNotFound(e: unknown): boolean {
  const x = e as SdkError;
  return x?.name === 'NoSuchKey' || x?.name === 'NotFound' || (x?.$metadata?.httpStatusCode === 404 && x?.name !== 'NoSuchBucket');
}
