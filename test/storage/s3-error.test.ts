/**
 * How S3 failures come out once retries are spent (mapS3Error), and which ones are retried.
 */
import { describe, expect, it } from 'vitest';
import { PgbrError } from '../../src/error/error.js';
import { BodyBrokenError } from '../../src/storage/http1.js';
import { isRetryable, mapS3Error, S3StatusError } from '../../src/storage/s3-error.js';

const HOST = '127.0.0.1:9000';
const LIST = { method: 'GET', resource: '/bucket/?delimiter=%2F&list-type=2&prefix=backup%2F' };

function mapped(e: unknown): PgbrError {
  const m = mapS3Error(e, HOST, LIST);
  expect(m).toBeInstanceOf(PgbrError);
  return m as PgbrError;
}

const reset = (message: string) => Object.assign(new Error(message), { code: 'ECONNRESET', errno: -104 });

describe('mapS3Error', () => {
  it('reports an answer whose body broke off as a read error of that answer, not as a failed connect', () => {
    const e = mapped(new BodyBrokenError(reset('connection closed after 120 of 2048 bytes')));
    expect([e.type, e.code, e.message]).toEqual([
      'FileReadError', 42,
      `unable to read the answer to GET ${LIST.resource} from '${HOST}': connection closed after 120 of 2048 bytes`,
    ]);
  });

  it('still reports a connection that broke before any answer as HostConnectError', () => {
    const e = mapped(reset('socket hang up'));
    expect([e.type, e.code, e.message]).toEqual(['HostConnectError', 49, `unable to connect to '${HOST}': [104] Connection reset by peer`]);
  });

  it('reports an error status with the request and S3 code', () => {
    const e = mapped(new S3StatusError(503, 'SlowDown', 'Please reduce your request rate.'));
    expect(e.type).toBe('ProtocolError');
    expect(e.message).toBe(
      `HTTP request failed with 503 (Service Unavailable):\n*** Path/Query ***:\nGET ${LIST.resource}\n` +
        '*** Response Content ***:\nSlowDown: Please reduce your request rate.',
    );
  });
});

describe('isRetryable', () => {
  it('retries a body that broke off, as it retries the reset behind it', () => {
    expect(isRetryable(new BodyBrokenError(reset('connection closed after 1 of 2 bytes')))).toBe(true);
  });

  it('does not retry a body broken by something that is not a network failure', () => {
    expect(isRetryable(new BodyBrokenError(new Error('invalid chunk size')))).toBe(false);
  });
});
