/**
 * SigV4 as S3 checks it. s3rver (the test server) checks no signatures, so the signer is held to
 * AWS's published example and to the SDK's own signer over requests of every shape the driver sends.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { amzDate, canonicalQuery, EMPTY_SHA256, signV4, uriEncode } from '../../src/storage/s3-sign.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('signV4', () => {
  it("matches AWS's documented GET Object example", () => {
    // S3 API reference, "Signature Calculations for the Authorization Header", example GET Object.
    const headers = signV4({
      method: 'GET', path: '/test.txt', query: {}, payloadHash: EMPTY_SHA256, region: 'us-east-1',
      headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' },
      credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, now: new Date('2013-05-24T00:00:00Z'),
    });
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(headers['x-amz-date']).toBe('20130524T000000Z');
  });

  const bytes = (d: ArrayBuffer | ArrayBufferView | string): Buffer | string =>
    typeof d === 'string' ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

  /** node:crypto in the shape the SDK signer wants (HMAC when given a secret). */
  class NodeSha256 {
    private readonly h;
    constructor(secret?: ArrayBuffer | ArrayBufferView | string) {
      this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
    }
    update(d: ArrayBuffer | ArrayBufferView | string): void {
      this.h.update(bytes(d));
    }
    async digest(): Promise<Uint8Array> {
      return this.h.digest();
    }
    reset(): void {}
  }

  const cases: Array<{ name: string; method: string; key: string; query: Record<string, string>; headers?: Record<string, string>; body?: string; token?: string }> = [
    { name: 'PUT with a body and KMS headers', method: 'PUT', key: 'repo/archive/db/15-1/0000000100000000/000000010000000000000001-abc.gz', query: {}, headers: { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:1:key/x' }, body: 'Welcome to Amazon S3.' },
    { name: 'list with a delimiter, prefix and token', method: 'GET', key: '', query: { 'list-type': '2', prefix: 'repo/backup/db/', delimiter: '/', 'continuation-token': '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=' } },
    { name: 'a key with spaces, = and unicode', method: 'GET', key: 'repo/a b=c+d/é~(x)*!.txt', query: {}, headers: { range: 'bytes=5-' } },
    { name: 'an empty query value and a session token', method: 'POST', key: '', query: { delete: '' }, headers: { 'content-md5': 'XrY7u+Ae7tCTyyK7j1rNww==' }, body: '<Delete/>', token: 'FwoGZXIvYXdzEBYaD//token+with/slash=' },
    { name: 'a multipart part', method: 'PUT', key: 'repo/big', query: { partNumber: '2', uploadId: 'VXBsb2FkIElE+/=' }, body: 'part' },
    { name: 'header values with runs of whitespace', method: 'PUT', key: 'repo/meta', query: {}, headers: { 'x-amz-meta-note': '  a  b\tc \u00a0d  ', 'x-amz-meta-one': 'x y' }, body: 'm' },
  ];

  it.each(cases)("agrees with the SDK's signer: $name", async (c) => {
    const now = new Date('2026-11-26T05:06:07Z');
    const body = c.body === undefined ? undefined : Buffer.from(c.body);
    const payloadHash = body === undefined ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
    const path = `/bucket/${uriEncode(c.key, true)}`;
    const host = '127.0.0.1:9000';
    const credentials = { accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: c.token };
    const ours = signV4({ method: c.method, path, query: c.query, headers: { host, ...c.headers }, payloadHash, region: 'eu-west-3', credentials, now });

    const sdk = new SignatureV4({ service: 's3', region: 'eu-west-3', credentials, sha256: NodeSha256, uriEscapePath: false, applyChecksum: true });
    const theirs = await sdk.sign(
      {
        method: c.method, protocol: 'https:', hostname: '127.0.0.1', port: 9000, path, query: c.query, body,
        headers: { host, ...c.headers, 'x-amz-content-sha256': payloadHash },
      },
      { signingDate: now },
    );
    // The SDK writes ", " between the parts; S3 takes either.
    expect(ours.authorization).toBe(theirs.headers.authorization.replace(/, /g, ","));
    expect(ours.authorization).toMatch(/Signature=[0-9a-f]{64}$/);
  });
});

describe('uriEncode and canonicalQuery', () => {
  it('keeps only unreserved characters, and slashes in keys', () => {
    expect(uriEncode("a b/c~d-e_f.g!*'()+=é")).toBe('a%20b%2Fc~d-e_f.g%21%2A%27%28%29%2B%3D%C3%A9');
    expect(uriEncode('a b/c', true)).toBe('a%20b/c');
  });

  it('leaves keys that need no encoding as they are', () => {
    expect(uriEncode('repo/backup/db/20261127-075252F/pg_data/base/5/16406.lz4', true)).toBe('repo/backup/db/20261127-075252F/pg_data/base/5/16406.lz4');
    expect(uriEncode('a/b')).toBe('a%2Fb');
    expect(canonicalQuery({})).toBe('');
  });

  it('writes the signing time to the second, whatever came before', () => {
    expect(amzDate(new Date('2026-11-27T09:28:07.120Z'))).toBe('20261127T092807Z');
    expect(amzDate(new Date('2026-11-27T09:28:07.980Z'))).toBe('20261127T092807Z');
    expect(amzDate(new Date('2026-11-27T09:28:08.001Z'))).toBe('20261127T092808Z');
    expect(amzDate(new Date('1999-12-31T23:59:59.999Z'))).toBe('19991231T235959Z');
  });

  it('sorts by encoded name and keeps empty values', () => {
    expect(canonicalQuery({ uploads: '', 'list-type': '2', prefix: 'a/b c' })).toBe('list-type=2&prefix=a%2Fb%20c&uploads=');
  });
});
