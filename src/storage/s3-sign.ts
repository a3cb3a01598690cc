import { createHmac } from 'node:crypto';
import { hashHex } from '../io/hash.js';

/** SHA-256 of the empty payload, the content hash of every request without a body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One request as it is signed: the exact path and query sent, and every header sent but content-length. */
export interface SignInput {
  method: string;
  /** Already URI-encoded path, as it goes on the request line (`/bucket/key` or `/key`). */
  path: string;
  /** Query parameters, unencoded. A value of '' is sent as `name=` (S3 accepts `?delete=`). */
  query: Record<string, string>;
  /** Lower-case names. Must hold `host`. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body. */
  payloadHash: string;
  region: string;
  credentials: S3Credentials;
  /** Signing time (defaults to now). */
  now?: Date;
}

/** Characters uriEncode leaves as they are (with `/` allowed only in keys). */
const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
const UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-_.~/]*$/;

/**
 * RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - _ . ~) stay,
 * everything else is %XX in upper case; `/` stays only when `keepSlash` (object key paths).
 */
export function uriEncode(s: string, keepSlash = false): string {
  // Repository keys almost never need encoding: skip building a new string for them.
  if ((keepSlash ? UNRESERVED_OR_SLASH : UNRESERVED).test(s)) return s;
  const e = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? e.replace(/%2F/g, '/') : e;
}

/** `a=1&b=2` sorted by encoded name, each part encoded: both the request line and the canonical query. */
export function canonicalQuery(query: Record<string, string>): string {
  const names = Object.keys(query);
  if (names.length === 0) return '';
  return names
    .map((k) => [uriEncode(k), uriEncode(query[k])] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

let dateSecond = NaN;
let dateText = '';

/** `YYYYMMDDTHHMMSSZ`; the text changes once a second, so the last one is kept. */
export function amzDate(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== dateSecond) {
    const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
    dateText = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    dateSecond = second;
  }
  return dateText;
}

/**
 * Signing keys are derived once per day, region and secret (HMAC chain of four). The secret is
 * part of the cache key as it is: it is in this process's memory anyway, and hashing it for the
 * lookup cost a SHA-256 per request.
 */
const keyCache = new Map<string, Buffer>();

function signingKey(secret: string, day: string, region: string): Buffer {
  const id = `${day}/${region}/${secret}`;
  let key = keyCache.get(id);
  if (key === undefined) {
    const kDate = createHmac('sha256', `AWS4${secret}`).update(day).digest();
    const kRegion = createHmac('sha256', kDate).update(region).digest();
    const kService = createHmac('sha256', kRegion).update('s3').digest();
    key = createHmac('sha256', kService).update('aws4_request').digest();
    if (keyCache.size > 16) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/**
 * A header value as SigV4 canonicalises it, the way AWS's SDK does: line breaks become spaces, runs
 * of spaces and tabs one space, and none is left at either end. Other characters (a no-break
 * space) are kept.
 */
function canonicalValue(v: string): string {
  if (!/[\r\n\t]| {2}|^ | $/.test(v)) return v;
  return v.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

/**
 * AWS Signature Version 4 for S3 (service `s3`, path segments encoded once). Returns the headers
 * to send: the input's plus `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a
 * session token) and `authorization`. Every returned header except authorization is signed.
 */
export function signV4(input: SignInput): Record<string, string> {
  const date = amzDate(input.now ?? new Date());
  const day = date.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, 'x-amz-date': date, 'x-amz-content-sha256': input.payloadHash };
  if (input.credentials.sessionToken !== undefined) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const lower: Record<string, string> = {};
  for (const k of Object.keys(headers)) lower[k.toLowerCase()] = headers[k];
  const names = Object.keys(lower).sort();
  let canonicalHeaders = '';
  for (const n of names) canonicalHeaders += `${n}:${canonicalValue(lower[n])}\n`;
  const signedHeaders = names.join(';');
  const canonicalRequest = `${input.method}\n${input.path}\n${canonicalQuery(input.query)}\n${canonicalHeaders}\n${signedHeaders}\n${input.payloadHash}`;
  const scope = `${day}/${input.region}/s3/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${hashHex('sha256', canonicalRequest)}`;
  const signature = createHmac('sha256', signingKey(input.credentials.secretAccessKey, day, input.region)).update(stringToSign).digest('hex');
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return headers;
}
