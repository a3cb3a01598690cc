import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';

/**
 * A small HTTP/1.1 client over TLS for the object store drivers: keep-alive connections, one
 * exchange at a time per connection, bodies framed by Content-Length, chunked encoding or the
 * connection's close. It exists for speed: a backup or restore makes one request per file, and
 * through node:https a small S3 request cost about 630 µs of CPU here against about 410 µs with
 * this client (signing included).
 *
 * What it does not do, because S3 and its look-alikes do not need it: proxies, redirects,
 * pipelining, `Expect: 100-continue`, compression, and request bodies other than known-length
 * buffers. Responses with a 1xx status are skipped.
 *
 * Reading: TLS hands over at most one record (16 KiB) at a time. Through a socket's 'data' events
 * each record costs a Buffer of its own and a trip through the socket's stream. Instead each
 * connection reads into one buffer of its own (Node's `onread`), and a body's bytes are copied
 * from there into pieces (`Pieces`), which reach the reader whole. A 170 MB GET from s3rver took
 * 410-480 ms of CPU through 'data' events against 220-310 ms this way (raw TLS, three runs each);
 * `repo-get` of that object, 0.48-0.60 s of user CPU before and 0.36-0.48 s after (four A/B runs).
 */
export interface Http1Options {
  /** Name for TLS (SNI, certificate check) and the Host the server sees. */
  host: string;
  port: number;
  /** Resolve this name instead to connect (repo-storage-host); TLS still checks `host`. */
  connectHost?: string;
  /** Trusted certificates (PEM); Node's bundled roots when absent. */
  ca?: string[];
  /** Default true. */
  rejectUnauthorized?: boolean;
}

export interface Http1Request {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  /** Sent as given; must hold `host` (and `content-length` when there is a body). */
  headers: Record<string, string>;
  /** Written back to back; their total length must equal content-length. */
  body?: readonly Buffer[];
  /** The connection may be idle this long (waiting to connect, to send, or for response bytes). */
  timeoutMs: number;
  /** Called on an idle timeout to make the error the exchange fails with. */
  timeoutError: () => Error;
}

/** Response headers: lower-case names; repeated headers joined with `, `. */
export type Http1Headers = Record<string, string>;

export interface Http1Response {
  status: number;
  headers: Http1Headers;
}

/** A streamed response: its body arrives as it is read, with back-pressure on the connection. */
export class Http1Body extends Readable implements Http1Response {
  status = 0;
  headers: Http1Headers = {};
  /** Set by the exchange: what to do when the reader wants more, and when it gives up early. */
  onRead: () => void = () => undefined;
  onDestroy: () => void = () => undefined;
  /** What a failure of the exchange (reset, timeout, short body) is reported as; by default itself. */
  mapError: (e: Error) => Error = (e) => e;

  constructor() {
    super({ highWaterMark: 256 * 1024 });
  }

  override _read(): void {
    this.onRead();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.onDestroy();
    callback(error);
  }
}

/** How long an idle connection is kept for reuse; S3 closes its own after about 20 s. */
const IDLE_MS = 15_000;
/** A connection's read buffer: TLS hands over one record of at most 16 KiB per read. */
const READ_BUFFER = 16 * 1024;
/**
 * A streamed body reaches its reader in pieces of this size (the last one shorter), or as one
 * piece when its length is known and at most STREAM_WHOLE_MAX: a reader that gathers a small
 * object (a manifest, an info file) then joins nothing.
 */
export const STREAM_PIECE = 128 * 1024;
export const STREAM_WHOLE_MAX = 1024 * 1024;
/**
 * A whole answer (`request`) of known length up to this size is gathered in one buffer of exactly
 * its size; a longer or unframed one in pieces joined at the end.
 */
const COLLECT_WHOLE_MAX = 16 * 1024 * 1024;
const COLLECT_PIECE = 64 * 1024;
const MAX_HEAD = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

export class Http1Client {
  private readonly idle: Connection[] = [];
  /** Made at the first connection: building one parses Node's root certificates (tens of ms). */
  private context: SecureContext | undefined;
  private session: Buffer | undefined;
  private closed = false;

  constructor(private readonly o: Http1Options) {}

  /**
   * Sends a request and reads the whole answer. With `maxBody`, a successful answer (status below
   * 300) whose Content-Length is larger, or that has none, is not read: it comes back `tooLarge`,
   * with an empty body, and its connection is closed.
   */
  async request(req: Http1Request, maxBody = Infinity): Promise<Http1Response & { body: Buffer; tooLarge?: true }> {
    return this.exchange(req, () => new Collector(req.method === 'HEAD', maxBody));
  }

  /** Sends a request and hands over the body as it arrives, once the head is in. */
  async stream(req: Http1Request): Promise<Http1Body> {
    return this.exchange(req, () => new Streamer(req.method === 'HEAD'));
  }

  /** Closes every idle connection; connections in use close when their exchange ends. */
  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
  }

  private async exchange<T>(req: Http1Request, sink: () => Sink<T>): Promise<T> {
    const head = requestHead(req);
    for (;;) {
      const conn = this.take() ?? this.open();
      const reused = conn.used;
      try {
        return await conn.run(req, head, sink());
      } catch (e) {
        // A kept connection the server had already closed fails before any answer: that is no
        // failure of this request, which goes out once more on a new connection.
        if (!(reused && e instanceof StaleConnection)) throw e instanceof StaleConnection ? e.cause : e;
      }
    }
  }

  private take(): Connection | undefined {
    for (let c = this.idle.pop(); c !== undefined; c = this.idle.pop()) {
      if (c.reusable()) return c;
      c.socket.destroy();
    }
    return undefined;
  }

  private open(): Connection {
    const { host, port, connectHost } = this.o;
    let conn: Connection | undefined;
    const onread = { buffer: Buffer.allocUnsafeSlow(READ_BUFFER), callback: (n: number, buf: Uint8Array) => conn!.onRead(buf as Buffer, n) };
    const socket = connect({
      host,
      port,
      servername: isIP(host) === 0 ? host : undefined,
      secureContext: (this.context ??= createSecureContext(this.o.ca === undefined ? {} : { ca: this.o.ca })),
      rejectUnauthorized: this.o.rejectUnauthorized ?? true,
      session: this.session,
      lookup: connectHost === undefined ? undefined : (_name, opts, cb) => dnsLookup(connectHost, opts, cb as never),
      // tls.connect takes it (for a socket it opens itself), but its typings do not say so
      ...({ onread } as object),
    });
    socket.setNoDelay(true);
    // TCP keep-alive, as pgBackRest turns it on (sck-keep-alive) and node:https did for kept sockets
    socket.setKeepAlive(true);
    socket.on('session', (s: Buffer) => (this.session = s));
    conn = new Connection(socket, (c) => this.release(c));
    return conn;
  }

  private release(c: Connection): void {
    if (this.closed) {
      c.socket.destroy();
      return;
    }
    this.idle.push(c);
  }
}

/**
 * A whole answer (`request`) whose body broke off after its head had arrived: the connection closed
 * or was reset first. It keeps the failure's code, which decides whether the request is retried.
 */
export class BodyBrokenError extends Error {
  readonly code: string | undefined;
  constructor(override readonly cause: Error) {
    super(cause.message);
    this.code = (cause as { code?: string }).code;
  }
}

/** The request could not be sent or got no answer at all on a connection that was already used. */
class StaleConnection extends Error {
  constructor(override readonly cause: unknown) {
    super('stale connection');
  }
}

/** Where a response goes: all of it into memory, or a stream handed out once the head is in. */
interface Sink<T> {
  readonly noBody: boolean;
  /** Most bytes of a piece handed to `data`, given the body's length (Infinity when unknown). */
  pieceSize(length: number): number;
  head(res: Http1Response, resume: () => void, abort: () => void): T | undefined;
  data(chunk: Buffer): boolean;
  end(): T | undefined;
  fail(e: Error): void;
}

class Collector implements Sink<Http1Response & { body: Buffer; tooLarge?: true }> {
  private res: Http1Response | undefined;
  private readonly chunks: Buffer[] = [];
  /** The body's length as the exchange framed it (Infinity: unknown); pieceSize is told it before head. */
  private length = Infinity;
  constructor(
    readonly noBody: boolean,
    private readonly maxBody: number,
  ) {}
  pieceSize(length: number): number {
    this.length = length;
    return length <= COLLECT_WHOLE_MAX ? length : COLLECT_PIECE;
  }
  head(res: Http1Response, _resume: () => void, abort: () => void): (Http1Response & { body: Buffer; tooLarge: true }) | undefined {
    if (res.status < 300 && !this.noBody && this.length > this.maxBody) {
      abort();
      return { ...res, body: EMPTY, tooLarge: true };
    }
    this.res = res;
    return undefined;
  }
  data(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): Http1Response & { body: Buffer } {
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    return { ...this.res!, body };
  }
  fail(): void {}
}

class Streamer implements Sink<Http1Body> {
  private readonly body = new Http1Body();
  constructor(readonly noBody: boolean) {}
  pieceSize(length: number): number {
    return length <= STREAM_WHOLE_MAX ? length : STREAM_PIECE;
  }
  head(res: Http1Response, resume: () => void, abort: () => void): Http1Body {
    this.body.status = res.status;
    this.body.headers = res.headers;
    this.body.onRead = resume;
    this.body.onDestroy = abort;
    return this.body;
  }
  data(chunk: Buffer): boolean {
    return this.body.push(chunk);
  }
  end(): undefined {
    this.body.onDestroy = () => undefined;
    this.body.push(null);
    return undefined;
  }
  fail(e: Error): void {
    this.body.onDestroy = () => undefined;
    // Not before the next turn of the event loop: the failure may come in the same read as the
    // head, and the caller attaches its listeners only once its await of the head resumes.
    setImmediate(() => this.body.destroy(this.body.mapError(e)));
  }
}

type Framing = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/**
 * One TLS connection and the exchange on it, if any. Its listeners stay for its whole life; while
 * idle, anything from the server (its close, stray bytes) ends it.
 */
class Connection {
  used = false;
  private current: Exchange | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private dead = false;

  constructor(readonly socket: TLSSocket, private readonly onIdle: (c: Connection) => void) {
    socket.on('timeout', () => this.current?.onTimeout());
    socket.on('error', (e) => this.current?.onClose(e));
    socket.on('close', () => {
      this.dead = true;
      clearTimeout(this.idleTimer);
      this.current?.onClose(undefined);
    });
    socket.on('end', () => {
      this.dead = true;
    });
  }

  reusable(): boolean {
    return !this.dead && !this.socket.destroyed;
  }

  /**
   * Bytes read: the first `n` of `buf`, the connection's read buffer, which the next read
   * overwrites. Nothing may keep a view of them past this call.
   */
  onRead(buf: Buffer, n: number): void {
    if (this.current === undefined) this.socket.destroy();
    else this.current.onData(buf.subarray(0, n));
  }

  run<T>(req: Http1Request, head: string, sink: Sink<T>): Promise<T> {
    clearTimeout(this.idleTimer);
    this.socket.ref();
    this.socket.setTimeout(req.timeoutMs);
    return new Promise<T>((resolve, reject) => {
      const exchange = new Exchange(this, req, sink, resolve, reject);
      this.current = exchange as Exchange;
      exchange.send(head);
    });
  }

  /** The exchange ended with its body complete: the connection waits for the next if it may. */
  done(keepAlive: boolean): void {
    this.current = undefined;
    this.used = true;
    if (!keepAlive || !this.reusable()) {
      this.socket.destroy();
      return;
    }
    this.socket.setTimeout(0);
    this.socket.resume();
    this.socket.unref();
    this.idleTimer = setTimeout(() => this.socket.destroy(), IDLE_MS);
    this.idleTimer.unref();
    this.onIdle(this);
  }

  /** The exchange failed or was given up: the connection cannot be trusted for another. */
  abandon(): void {
    this.current = undefined;
    this.socket.destroy();
  }
}

/** One request and its response on a connection. */
class Exchange<T = unknown> {
  private head: Buffer | undefined;
  private res: Http1Response | undefined;
  private framing: Framing = { kind: 'none' };
  /** Chunked bodies: bytes left of the current chunk, or CHUNK_SIZE / CHUNK_CRLF / TRAILERS. */
  private chunkLeft = CHUNK_SIZE;
  private pending: Buffer | undefined;
  /** Where the body's bytes are copied out of the connection's read buffer (set with the head). */
  private pieces: Pieces | undefined;
  private received = 0;
  /** The caller has its answer (the whole response, or the head of a streamed one). */
  private resolved = false;
  /** Nothing more happens on this exchange: the body ended, or it failed or was given up. */
  private over = false;
  private complete = false;
  private answered = false;
  private keepAlive = true;
  /** The whole request has gone out. */
  private sent = false;

  constructor(
    private readonly conn: Connection,
    private readonly req: Http1Request,
    private readonly sink: Sink<T>,
    private readonly resolve: (v: T) => void,
    private readonly reject: (e: unknown) => void,
  ) {}

  /**
   * Writes the head, then the body WRITE_SLICE bytes at a time: the next slice once the socket has
   * taken the one before ('drain'), and none once the exchange is over. TLS encrypts whatever it is
   * given at once into its own output buffer, so a 5 MiB part written whole cost another 5 MiB of
   * native memory until the network took it; a one-process S3 backup peaked 15-20 MB higher.
   */
  send(head: string): void {
    const socket = this.conn.socket;
    const sent = (e?: Error | null): void => {
      if (e == null) this.sent = true;
    };
    const slices = sliced(this.req.body ?? [], WRITE_SLICE);
    let next = 0;
    const pump = (): void => {
      while (next < slices.length && !this.over) {
        const last = next === slices.length - 1;
        if (!socket.write(slices[next++], last ? sent : undefined) && !last) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.cork();
    socket.write(head, 'latin1', slices.length === 0 ? sent : undefined);
    pump();
    socket.uncork();
  }

  onTimeout(): void {
    this.fail(this.req.timeoutError(), false);
  }

  onClose(e: Error | undefined): void {
    if (this.over) return;
    // A close-delimited body ends here; anything else ending early is a broken connection.
    if (e === undefined && this.res !== undefined && this.framing.kind === 'close') {
      this.end();
      this.conn.done(false);
      return;
    }
    const error = e ?? Object.assign(new Error(this.res === undefined ? 'socket hang up' : this.shortMessage()), { code: 'ECONNRESET' });
    this.fail(this.res !== undefined && !this.resolved ? new BodyBrokenError(error) : error, !this.answered && this.conn.used);
  }

  private shortMessage(): string {
    const f = this.framing;
    return f.kind === 'length'
      ? `connection closed after ${this.received} of ${this.received + f.left} bytes`
      : `connection closed after ${this.received} bytes`;
  }

  /** Bytes from the connection's read buffer: copied wherever they are kept past this call. */
  onData(input: Buffer): void {
    this.answered = true;
    let chunk = input;
    try {
      while (chunk.length > 0 && !this.over) {
        if (this.res === undefined) chunk = this.parseHead(chunk);
        else if (this.framing.kind === 'chunked') chunk = this.parseChunked(chunk);
        else chunk = this.parseBody(chunk);
      }
    } catch (e) {
      this.fail(e as Error, false);
      return;
    }
    // Bytes after the end of the body, or an answer before the whole request went out: the
    // connection is in no state to reuse.
    if (this.complete) this.conn.done(this.keepAlive && chunk.length === 0 && this.sent);
  }

  private parseHead(chunk: Buffer): Buffer {
    const buf = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
    const end = buf.indexOf(CRLF2);
    if (end === -1) {
      if (buf.length > MAX_HEAD) throw protocolError(`response head over ${MAX_HEAD} bytes`);
      this.head = buf === chunk ? Buffer.from(chunk) : buf;
      return EMPTY;
    }
    this.head = undefined;
    const lines = buf.toString('latin1', 0, end).split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (m === null) throw protocolError(`invalid status line '${lines[0].slice(0, 80)}'`);
    const status = Number(m[2]);
    const headers: Http1Headers = {};
    let last: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      // An obsolete folded line continues the header before it (RFC 9112 5.2: one space instead).
      if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
        headers[last] = `${headers[last]} ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw protocolError(`invalid header line '${line.slice(0, 80)}'`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      last = name;
    }
    const rest = buf.subarray(end + 4);
    // 1xx: an interim answer; the real one follows.
    if (status < 200) return rest;
    const connection = (headers.connection ?? '').toLowerCase();
    this.keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    this.framing = this.framingOf(status, headers);
    const length = this.framing.kind === 'length' ? this.framing.left : Infinity;
    this.pieces = new Pieces(length, this.sink.pieceSize(length));
    this.res = { status, headers };
    const handed = this.sink.head(
      this.res,
      () => {
        if (!this.over) this.conn.socket.resume();
      },
      () => this.abort(),
    );
    if (handed !== undefined) this.settle(handed);
    if (this.framing.kind === 'none' || (this.framing.kind === 'length' && this.framing.left === 0)) this.end();
    return rest;
  }

  private framingOf(status: number, headers: Http1Headers): Framing {
    if (this.sink.noBody || status === 204 || status === 304) return { kind: 'none' };
    const te = headers['transfer-encoding'];
    if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) throw protocolError(`unsupported transfer-encoding '${te}'`);
      return { kind: 'chunked' };
    }
    const cl = headers['content-length'];
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw protocolError(`invalid content-length '${cl}'`);
      return { kind: 'length', left: Number(cl) };
    }
    this.keepAlive = false;
    return { kind: 'close' };
  }

  private parseBody(chunk: Buffer): Buffer {
    const f = this.framing;
    if (f.kind !== 'length') {
      this.deliver(chunk);
      return EMPTY;
    }
    const take = Math.min(f.left, chunk.length);
    f.left -= take;
    this.deliver(take === chunk.length ? chunk : chunk.subarray(0, take));
    if (f.left === 0) this.end();
    return chunk.subarray(take);
  }

  /** `<hex size>[;ext]CRLF<data>CRLF` … `0CRLF[trailers]CRLF`, split anywhere across reads. */
  private parseChunked(input: Buffer): Buffer {
    let chunk = this.pending === undefined ? input : Buffer.concat([this.pending, input]);
    this.pending = undefined;
    while (chunk.length > 0) {
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, chunk.length);
        this.deliver(take === chunk.length ? chunk : chunk.subarray(0, take));
        this.chunkLeft -= take;
        chunk = chunk.subarray(take);
        if (this.chunkLeft === 0) this.chunkLeft = CHUNK_CRLF;
        continue;
      }
      if (this.chunkLeft === CHUNK_CRLF) {
        if (chunk.length < 2) break;
        if (chunk[0] !== 13 || chunk[1] !== 10) throw protocolError('no CRLF after a chunk');
        chunk = chunk.subarray(2);
        this.chunkLeft = CHUNK_SIZE;
        continue;
      }
      const eol = chunk.indexOf('\r\n');
      if (eol === -1) {
        if (chunk.length > 4096) throw protocolError('chunk line over 4096 bytes');
        break;
      }
      const line = chunk.toString('latin1', 0, eol);
      chunk = chunk.subarray(eol + 2);
      if (this.chunkLeft === TRAILERS) {
        if (line === '') {
          this.end();
          return chunk;
        }
        continue;
      }
      const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
      if (m === null) throw protocolError(`invalid chunk size line '${line.slice(0, 40)}'`);
      const size = parseInt(m[1], 16);
      this.chunkLeft = size === 0 ? TRAILERS : size;
    }
    if (chunk.length > 0) this.pending = Buffer.from(chunk);
    return EMPTY;
  }

  private deliver(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.received += chunk.length;
    this.pieces!.add(chunk, this.handOn);
  }

  private readonly handOn = (piece: Buffer): void => {
    if (!this.sink.data(piece)) this.conn.socket.pause();
  };

  /** The body is complete (the caller releases the connection once the read is parsed). */
  private end(): void {
    this.over = true;
    this.complete = true;
    const rest = this.pieces?.rest();
    if (rest !== undefined) this.sink.data(rest);
    const value = this.sink.end();
    if (value !== undefined) this.settle(value);
  }

  private settle(value: T): void {
    this.resolved = true;
    this.resolve(value);
  }

  /** The reader gave up before the end: the rest of the body cannot be skipped safely. */
  private abort(): void {
    if (this.over) return;
    this.over = true;
    this.conn.abandon();
  }

  private fail(e: Error, stale: boolean): void {
    if (this.over) return;
    this.over = true;
    this.conn.abandon();
    if (this.resolved) this.sink.fail(e);
    else this.reject(stale ? new StaleConnection(e) : e);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A body's bytes copied into memory of their own, `size` bytes to a piece: never more than the
 * `left` still expected, so a body of known length no longer than `size` is exactly one piece.
 */
export class Pieces {
  private buf: Buffer | undefined;
  private used = 0;

  constructor(
    private left: number,
    private readonly size: number,
  ) {}

  /** Copies `chunk` in; `full` gets each piece as it fills up. */
  add(chunk: Buffer, full: (piece: Buffer) => void): void {
    for (let at = 0; at < chunk.length; ) {
      // left is Infinity for a body of unknown length; parseBody never hands over more than a known
      // length, so it is never 0 here (the 1 only keeps a broken caller from looping)
      this.buf ??= Buffer.allocUnsafe(Math.max(1, Math.min(this.size, this.left)));
      const n = chunk.copy(this.buf, this.used, at);
      at += n;
      this.used += n;
      this.left -= n;
      if (this.used === this.buf.length) {
        const piece = this.buf;
        this.buf = undefined;
        this.used = 0;
        full(piece);
      }
    }
  }

  /** The bytes of the piece being filled, if any; the next `add` starts a new piece. */
  rest(): Buffer | undefined {
    const piece = this.used > 0 ? this.buf!.subarray(0, this.used) : undefined;
    this.buf = undefined;
    this.used = 0;
    return piece;
  }
}

/** Most request body bytes handed to the socket at once (see Exchange.send). */
export const WRITE_SLICE = 256 * 1024;

/** The non-empty pieces of `body`, none longer than `size`: views, nothing is copied. */
export function sliced(body: readonly Buffer[], size: number): Buffer[] {
  const out: Buffer[] = [];
  for (const p of body) {
    for (let o = 0; o < p.length; o += size) out.push(p.subarray(o, Math.min(p.length, o + size)));
  }
  return out;
}

const CHUNK_SIZE = -1;
const CHUNK_CRLF = -2;
const TRAILERS = -3;

/** The request line and headers; refuses a CR or LF in any of them (no header injection). */
function requestHead(req: Http1Request): string {
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(req.headers)) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new Error(`invalid character in the value of header '${k}'`);
    head += `${k}: ${v}\r\n`;
  }
  if (/[\r\n ]/.test(req.path)) throw new Error('invalid character in the request path');
  return `${head}\r\n`;
}

function protocolError(message: string): Error {
  return Object.assign(new Error(`invalid HTTP response: ${message}`), { code: 'EPROTO_HTTP' });
}
