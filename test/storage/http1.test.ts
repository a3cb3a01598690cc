/**
 * The HTTP/1.1 client against a real TLS server on loopback whose answers are written byte by byte
 * by each test: framing (length, chunked, close), keep-alive reuse and its stale connections,
 * short bodies, stalls, back-pressure and early close.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyBrokenError, Http1Client, Pieces, sliced, STREAM_PIECE, STREAM_WHOLE_MAX, WRITE_SLICE, type Http1Request } from '../../src/storage/http1.js';
import { makeSelfSignedCert } from '../harness/cert.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';

interface Received {
  head: string;
  body: Buffer;
  /** 1-based number of the connection it came on. */
  connection: number;
}

/** Answers each request with `answer`; `null` closes the connection without a word. */
type Answer = (req: Received, socket: TLSSocket) => Promise<void> | void;

let ca: string;
let server: Server;
let port: number;
let answer: Answer;
let connections = 0;
const requests: Received[] = [];
/** Numbers of the connections the client has closed. */
const closed = new Set<number>();
/** Numbers of the connections that resumed an earlier TLS session. */
const resumed = new Set<number>();

beforeAll(async () => {
  const dir = makeTempDir('pgbr-http1-');
  const cert = makeSelfSignedCert(dir);
  ca = readFileSync(cert.certFile, 'utf8');
  server = createServer({ key: readFileSync(cert.keyFile), cert: readFileSync(cert.certFile) }, (socket) => {
    const connection = ++connections;
    let buf = Buffer.alloc(0);
    let busy = false;
    const next = async (): Promise<void> => {
      if (busy) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buf.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      const body = buf.subarray(end + 4, end + 4 + length);
      buf = buf.subarray(end + 4 + length);
      const req = { head, body, connection };
      requests.push(req);
      busy = true;
      await answer(req, socket);
      busy = false;
      if (!socket.destroyed) await next();
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      void next();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => closed.add(connection));
    if (socket.isSessionReused()) resumed.add(connection);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  removeAllTempDirs();
});

function reset(a: Answer): void {
  answer = a;
  requests.length = 0;
  connections = 0;
  closed.clear();
  resumed.clear();
}

async function waitFor(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  return check();
}

const client = (): Http1Client => new Http1Client({ host: '127.0.0.1', port, ca: [ca] });

function req(over: Partial<Http1Request> = {}): Http1Request {
  return {
    method: 'GET',
    path: '/bucket/key',
    headers: { host: `127.0.0.1:${port}` },
    timeoutMs: 2000,
    timeoutError: () => Object.assign(new Error('idle too long'), { code: 'TEST_TIMEOUT' }),
    ...over,
  };
}

/** Writes the pieces one by one, each in its own TLS record, so the client sees every split. */
async function writeSlowly(socket: TLSSocket, pieces: (string | Buffer)[]): Promise<void> {
  for (const p of pieces) {
    socket.write(p);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Two requests in a row answered `body` each, on two connections: the first one was not kept. */
async function expectNotKept(body: string): Promise<void> {
  const c = client();
  try {
    for (let i = 0; i < 2; i++) expect((await c.request(req())).body.toString()).toBe(body);
    expect(requests.map((r) => r.connection)).toEqual([1, 2]);
  } finally {
    c.close();
  }
}

/** `n` bytes that differ in every 4: a body cut, shifted or overwritten anywhere compares unequal. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i + 4 <= n; i += 4) b.writeUInt32LE(((i + seed) * 2654435761) >>> 0, i);
  return b;
}

const ok = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('Http1Client', () => {
  it('sends the request as given, reads length-framed answers and keeps one connection for all', async () => {
    const extra = 'ETag: "abc"\r\nx-amz-Meta: 1\r\nX-Amz-Meta: 2\r\nx-folded: a\r\n \tb\r\n';
    reset((r, s) => void s.write(ok(`echo ${createHash('sha1').update(r.body).digest('hex')}`, extra)));
    const c = client();
    try {
      const pieces = [Buffer.from('hello '), Buffer.alloc(0), Buffer.from('world')];
      const headers = { host: `127.0.0.1:${port}`, 'content-length': '11', 'x-amz-date': '20261126T000000Z' };
      for (let i = 0; i < 3; i++) {
        const res = await c.request(req({ method: 'PUT', path: `/b/k${i}?partNumber=1`, headers, body: pieces }));
        expect(res.status).toBe(200);
        expect(res.body.toString()).toBe(`echo ${createHash('sha1').update('hello world').digest('hex')}`);
        expect(res.headers.etag).toBe('"abc"');
        expect(res.headers['x-amz-meta']).toBe('1, 2');
        expect(res.headers['x-folded']).toBe('a b');
      }
      expect(requests.map((r) => r.head.split('\r\n')[0])).toEqual([0, 1, 2].map((i) => `PUT /b/k${i}?partNumber=1 HTTP/1.1`));
      expect(requests[0].head).toContain('\r\nx-amz-date: 20261126T000000Z');
      expect(requests.map((r) => r.connection)).toEqual([1, 1, 1]);
    } finally {
      c.close();
    }
  });

  it('decodes chunked bodies split at every byte, with extensions and trailers, then reuses the connection', async () => {
    const body = 'The quick brown fox jumps over the lazy dog';
    const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;name=x\r\n${body.slice(0, 4)}\r\n1A\r\n${body.slice(4, 30)}\r\n${(body.length - 30).toString(16)}\r\n${body.slice(30)}\r\n0\r\nx-trailer: t\r\n\r\n`;
    reset((_r, s) => writeSlowly(s, [...wire]));
    const c = client();
    try {
      expect((await c.request(req())).body.toString()).toBe(body);
      const streamed = await c.stream(req());
      const chunks: Buffer[] = [];
      for await (const x of streamed) chunks.push(x as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe(body);
      expect(requests.map((r) => r.connection)).toEqual([1, 1]);
    } finally {
      c.close();
    }
  });

  it('reads a body that ends with the connection, and does not reuse that connection', async () => {
    reset((_r, s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ');
      setTimeout(() => s.end('the end'), 20);
    });
    await expectNotKept('until the end');
  });

  it('reads no body after HEAD, 204 and 304 however they are framed, and skips 1xx answers', async () => {
    reset((r, s) => {
      if (r.head.startsWith('HEAD')) s.write('HTTP/1.1 200 OK\r\ncontent-length: 1234\r\nlast-modified: x\r\n\r\n');
      else if (r.head.includes('/204')) s.write('HTTP/1.1 204 No Content\r\n\r\n');
      else if (r.head.includes('/304')) s.write('HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n');
      else s.write(`HTTP/1.1 100 Continue\r\n\r\n${ok('after 100')}`);
    });
    const c = client();
    try {
      const head = await c.request(req({ method: 'HEAD' }));
      expect(head.headers['content-length']).toBe('1234');
      expect(head.body.length).toBe(0);
      expect((await c.request(req({ path: '/204' }))).status).toBe(204);
      expect((await c.request(req({ path: '/304' }))).status).toBe(304);
      const after = await c.request(req());
      expect([after.status, after.body.toString()]).toEqual([200, 'after 100']);
      expect(new Set(requests.map((r) => r.connection))).toEqual(new Set([1]));
    } finally {
      c.close();
    }
  });

  it('sends a request again on a new connection when a kept one turns out closed, but not a fresh one', async () => {
    // The server answers the first request of each connection and drops the second unanswered.
    const seen = new Map<number, number>();
    reset((r, s) => {
      const n = (seen.get(r.connection) ?? 0) + 1;
      seen.set(r.connection, n);
      if (n === 1) s.write(ok(`conn ${r.connection}`));
      else s.destroy();
    });
    const c = client();
    try {
      expect((await c.request(req())).body.toString()).toBe('conn 1');
      expect((await c.request(req())).body.toString()).toBe('conn 2');
      expect(requests.map((r) => r.connection)).toEqual([1, 1, 2]);
      // A new connection closed without an answer is a failure of the request.
      reset((_r, s) => void s.destroy());
      c.close();
      const e = await client().request(req()).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });
    } finally {
      c.close();
    }
  });

  it('fails a body cut short, in both modes, and never reuses its connection', async () => {
    reset((_r, s) => {
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n');
      s.write('x'.repeat(40));
      setTimeout(() => s.destroy(), 20);
    });
    const c = client();
    try {
      // a whole answer's body broke off after its head: the caller can tell it from a failed connect
      const whole = await c.request(req()).catch((x: unknown) => x);
      expect(whole).toBeInstanceOf(BodyBrokenError);
      expect(whole).toMatchObject({ code: 'ECONNRESET', message: 'connection closed after 40 of 100 bytes' });
      const body = await c.stream(req());
      expect(body.headers['content-length']).toBe('100');
      const e = await (async () => {
        for await (const _ of body);
      })().catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'ECONNRESET', message: 'connection closed after 40 of 100 bytes' });
      expect(requests.map((r) => r.connection)).toEqual([1, 2]);
    } finally {
      c.close();
    }
  });

  it('reads a whole answer up to maxBody, and of a longer or unframed one only its head', async () => {
    const bodies = ['a'.repeat(10), 'b'.repeat(11)];
    reset((r, s) => {
      if (r.head.includes('/chunked')) s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
      else if (r.head.includes('/missing')) s.write(ok('<Error><Code>NoSuchKey</Code></Error>').replace('200 OK', '404 Not Found'));
      else s.write(ok(bodies[requests.length % 2 === 1 ? 0 : 1]));
    });
    const c = client();
    try {
      const fits = await c.request(req(), 10);
      expect(fits.tooLarge).toBeUndefined();
      expect(fits.body.toString()).toBe(bodies[0]);
      const over = await c.request(req(), 10);
      expect(over).toMatchObject({ status: 200, tooLarge: true });
      expect(over.body.length).toBe(0);
      // an error's body is read whatever its length: it says what went wrong
      const missing = await c.request(req({ path: '/missing' }), 10);
      expect(missing.status).toBe(404);
      expect(missing.body.toString()).toContain('NoSuchKey');
      // no length given: it could be any length
      expect(await c.request(req({ path: '/chunked' }), 10)).toMatchObject({ tooLarge: true });
      expect((await c.request(req({ path: '/chunked' }))).body.toString()).toBe('abc');
      // the unread bodies cannot be skipped: their connections were closed, the others kept
      expect(requests.map((r) => r.connection)).toEqual([1, 1, 2, 2, 3]);
      expect(await waitFor(() => closed.has(1) && closed.has(2))).toBe(true);
    } finally {
      c.close();
    }
  });

  it('hands a streamed body over before failing it, when the head and a broken body come in one read', async () => {
    reset((_r, s) => void s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nabcde\r\nzz\r\n'));
    const c = client();
    try {
      const body = await c.stream(req());
      // What a caller does right after the await: its listener must see the failure.
      const failed = new Promise<unknown>((resolve) => body.once('error', resolve));
      expect(await failed).toMatchObject({ code: 'EPROTO_HTTP', message: "invalid HTTP response: invalid chunk size line 'zz'" });
    } finally {
      c.close();
    }
  });

  it('fails with the caller\'s timeout error when the server stalls, before or during the body', async () => {
    reset((r, s) => {
      if (r.head.includes('/body')) s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
    });
    const c = client();
    try {
      const t0 = Date.now();
      await expect(c.request(req({ timeoutMs: 300 }))).rejects.toMatchObject({ code: 'TEST_TIMEOUT' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      const body = await c.stream(req({ path: '/body', timeoutMs: 300 }));
      const e = await (async () => {
        for await (const _ of body);
      })().catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'TEST_TIMEOUT' });
    } finally {
      c.close();
    }
  });

  it('streams a large body intact while the reader is slow, and a reader that stops early costs only its connection', async () => {
    const big = pattern(8 * 1024 * 1024, 0);
    reset((r, s) => {
      if (r.head.includes('/small')) s.write(ok('small'));
      else s.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${big.length}\r\n\r\n`), big]));
    });
    const c = client();
    try {
      const body = await c.stream(req());
      const hash = createHash('sha256');
      let n = 0;
      let buffered = -1;
      for await (const x of body) {
        hash.update(x as Buffer);
        if (buffered === -1) {
          // a reader that stops for a while: the connection stops reading, so a few pieces wait
          // for it, not the whole body
          await new Promise((r) => setTimeout(r, 200));
          buffered = body.readableLength;
        }
        if (++n % 16 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      expect(hash.digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
      expect(buffered).toBeLessThanOrEqual(1024 * 1024);
      const early = await c.stream(req());
      for await (const _ of early) break;
      expect((await c.request(req({ path: '/small' }))).body.toString()).toBe('small');
      expect(requests.map((r) => r.connection)).toEqual([1, 1, 2]);
      expect(await waitFor(() => closed.has(1)), 'the abandoned connection is closed').toBe(true);
    } finally {
      c.close();
    }
  });

  it('hands bodies over in pieces of their own, not views of the buffer the connection reads into', async () => {
    // A piece still pointing into the connection's read buffer would hold later bytes by the time
    // the body is compared.
    const large = pattern(STREAM_WHOLE_MAX + 3 * STREAM_PIECE + 1000, 1);
    const small = pattern(STREAM_WHOLE_MAX - 4, 2);
    reset((r, s) => {
      const body = r.head.includes('/large') ? large : small;
      // the head arrives split over two TLS records, the second with the body's start
      s.write('HTTP/1.1 200 OK\r\ncontent-le');
      setTimeout(() => s.write(Buffer.concat([Buffer.from(`ngth: ${body.length}\r\n\r\n`), body])), 5);
    });
    const c = client();
    try {
      // 'data' events show the pieces as pushed (an async iterator joins what is buffered)
      const pieces: Buffer[] = [];
      const streamed = await c.stream(req({ path: '/large' }));
      streamed.on('data', (x: Buffer) => pieces.push(x));
      await new Promise((r) => streamed.on('end', r));
      expect(Buffer.concat(pieces).equals(large)).toBe(true);
      expect(pieces.map((p) => p.length)).toEqual([...Array<number>(Math.floor(large.length / STREAM_PIECE)).fill(STREAM_PIECE), large.length % STREAM_PIECE]);
      // a body of known length up to STREAM_WHOLE_MAX comes whole, in memory of exactly its size
      const whole: Buffer[] = [];
      for await (const x of await c.stream(req({ path: '/small' }))) whole.push(x as Buffer);
      expect(whole.length).toBe(1);
      expect(whole[0].equals(small)).toBe(true);
      expect(whole[0].buffer.byteLength).toBe(small.length);
      const collected = await c.request(req({ path: '/large' }));
      expect(collected.body.equals(large)).toBe(true);
      expect(collected.body.buffer.byteLength).toBe(large.length);
      expect(requests.map((r) => r.connection)).toEqual([1, 1, 1]);
    } finally {
      c.close();
    }
  });

  it('cuts pieces no longer than the bytes still expected, and gives the unfinished one at the end', () => {
    const got: Buffer[] = [];
    const known = new Pieces(10, 4);
    known.add(Buffer.from('abc'), (p) => got.push(p));
    known.add(Buffer.from('defghij'), (p) => got.push(p));
    expect(got.map(String)).toEqual(['abcd', 'efgh', 'ij']);
    expect(known.rest()).toBeUndefined();
    got.length = 0;
    const open = new Pieces(Infinity, 4);
    open.add(Buffer.from('abcdef'), (p) => got.push(p));
    expect(got.map(String)).toEqual(['abcd']);
    expect(String(open.rest())).toBe('ef');
    expect(open.rest()).toBeUndefined();
    open.add(Buffer.from('g'), (p) => got.push(p));
    expect(String(open.rest())).toBe('g');
  });

  it('hands a large request body to the socket a slice at a time, each once the one before is taken', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 8);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i * 2654435761 >>> 0, i);
    const pieces = [big.subarray(0, 700_000), big.subarray(700_000, 700_001), big.subarray(700_001)];
    reset((r, s) => void s.write(ok(createHash('sha256').update(r.body).digest('hex'))));
    // every batch of bytes a socket hands to its native side (one write, or the corked writes at once)
    const handed: number[] = [];
    const proto = Socket.prototype as unknown as { _writeGeneric: (writev: boolean, data: unknown, ...rest: unknown[]) => unknown };
    const writeGeneric = proto._writeGeneric;
    proto._writeGeneric = function (this: Socket, writev: boolean, data: unknown, ...rest: unknown[]) {
      const chunks = writev ? (data as { chunk: Buffer | string }[]).map((d) => d.chunk) : [data as Buffer | string];
      // the test server's answers are strings that start with the status line
      if (!String(chunks[0]).startsWith('HTTP/')) handed.push(chunks.reduce((n, c) => n + Buffer.byteLength(c), 0));
      return writeGeneric.call(this, writev, data, ...rest);
    };
    const c = client();
    try {
      const headers = { host: `127.0.0.1:${port}`, 'content-length': String(big.length) };
      const res = await c.request(req({ method: 'PUT', body: pieces, headers }));
      expect(res.body.toString()).toBe(createHash('sha256').update(big).digest('hex'));
    } finally {
      proto._writeGeneric = writeGeneric;
      c.close();
    }
    // The first slice goes out with the head (handed over twice here: once queued while the socket
    // connects, then again once it is connected), each later one on its own.
    const slices = sliced(pieces, WRITE_SLICE).map((p) => p.length);
    expect(handed.slice(-(slices.length - 1))).toEqual(slices.slice(1));
    expect(Math.max(...handed)).toBeLessThan(WRITE_SLICE + 200);
  });

  it('cuts a body into slices of at most the given size without copying, and drops empty pieces', () => {
    const a = Buffer.from('abcdefg');
    const out = sliced([a, Buffer.alloc(0), Buffer.from('hi')], 3);
    expect(out.map((p) => p.toString())).toEqual(['abc', 'def', 'g', 'hi']);
    expect(out[1].buffer).toBe(a.buffer);
    expect(sliced([], 3)).toEqual([]);
  });

  it('does not reuse a connection that sent more than the framed body', async () => {
    reset((_r, s) => void s.write(`${ok('body')}HTTP/1.1 200 OK\r\n`));
    await expectNotKept('body');
  });

  it('refuses a header or path that would split the request, and an answer that is not HTTP', async () => {
    reset((_r, s) => void s.write('SSH-2.0-OpenSSH\r\n\r\n'));
    const c = client();
    try {
      await expect(c.request(req({ headers: { host: 'h', 'x-amz-meta': 'a\r\nx-evil: 1' } }))).rejects.toThrow("invalid character in the value of header 'x-amz-meta'");
      await expect(c.request(req({ path: '/a b' }))).rejects.toThrow('invalid character in the request path');
      expect(requests).toEqual([]);
      await expect(c.request(req())).rejects.toMatchObject({ code: 'EPROTO_HTTP', message: "invalid HTTP response: invalid status line 'SSH-2.0-OpenSSH'" });
    } finally {
      c.close();
    }
  });

  it('opens a second connection when two requests overlap, resuming the first one\'s TLS session', async () => {
    reset((_r, s) => void setTimeout(() => s.write(ok('x')), 20));
    const c = client();
    try {
      expect((await c.request(req())).body.toString()).toBe('x');
      const both = await Promise.all([c.request(req()), c.request(req())]);
      expect(both.map((r) => r.body.toString())).toEqual(['x', 'x']);
      expect(requests.map((r) => r.connection).sort()).toEqual([1, 1, 2]);
      expect([...resumed]).toEqual([2]);
    } finally {
      c.close();
    }
  });

  it('checks the certificate: an untrusted server fails the request', async () => {
    reset((_r, s) => void s.write(ok('x')));
    const untrusted = new Http1Client({ host: '127.0.0.1', port });
    try {
      const e = await untrusted.request(req()).catch((x: unknown) => x);
      expect((e as { code?: string }).code).toMatch(/CERT|SELF_SIGNED/);
    } finally {
      untrusted.close();
    }
    const unchecked = new Http1Client({ host: '127.0.0.1', port, rejectUnauthorized: false });
    try {
      expect((await unchecked.request(req())).body.toString()).toBe('x');
    } finally {
      unchecked.close();
    }
  });
});
