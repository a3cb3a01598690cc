import { Readable } from 'node:stream';
import { err, PgbrError } from '../error/error.js';
import { S3Client, type S3Options, type S3Request, type S3Response } from './s3-client.js';
import { BodyBrokenError, type Http1Body } from './http1.js';
import { isNotFound, mapS3Error, S3TimeoutError } from './s3-error.js';
import { completeMultipartBody, deleteObjectsBody, parseError, parseListPage, xmlText, type ListPage } from './s3-xml.js';
import { literalPrefix } from './list-prefix.js';
import { partBuffers } from './part-buffers.js';
import { baseName, checkPath } from './path.js';
import type {
  ListOptions, ReadOptions, StorageDriver, StorageFeatures, StorageInfo,
} from './storage.js';

export type { S3Options } from './s3-client.js';

/** S3 refuses multipart parts under 5 MiB (but the last); smaller configured chunk sizes are raised to this. */
const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
const DELETE_BATCH = 1000;
const EMPTY = Buffer.alloc(0);

/**
 * S3 (and S3-compatible: MinIO, Ceph RGW) storage. Keys are `<repo path without leading />/<path>`.
 * There are no real directories: a path exists while any key lies below it.
 */
export class S3Storage implements StorageDriver {
  readonly type = 's3' as const;
  readonly features: StorageFeatures = { path: false, symLink: false, hardLink: false, pathSync: false };
  private readonly conn: S3Client;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(private readonly opts: S3Options) {
    this.conn = new S3Client(opts);
    const repo = opts.repoPath.replace(/^\/+/, '').replace(/\/+$/, '');
    this.prefix = repo === '' ? '' : `${repo}/`;
    this.partSize = Math.max(MIN_PART_SIZE, opts.uploadChunkSize ?? DEFAULT_PART_SIZE);
  }

  private key(path: string): string {
    return this.prefix + checkPath(path);
  }

  /** Path as pgBackRest prints it in messages: `/<repo path>/<path>`. */
  private abs(path: string): string {
    return `/${this.key(path)}`;
  }

  async info(path: string): Promise<StorageInfo | null> {
    const p = checkPath(path);
    const name = baseName(p);
    if (p === '') return { name, type: 'path', size: 0, timeModified: 0 };
    const head = await this.headObject(p);
    if (head !== null) {
      const modified = head.headers['last-modified'];
      return { name, type: 'file', size: Number(head.headers['content-length'] ?? 0), timeModified: seconds(modified === undefined ? undefined : new Date(modified)) };
    }
    return (await this.pathExists(p)) ? { name, type: 'path', size: 0, timeModified: 0 } : null;
  }

  async fileExists(path: string): Promise<boolean> {
    const p = checkPath(path);
    return p !== '' && (await this.headObject(p)) !== null;
  }

  /** HeadObject of the key at `path`; null when there is no such object. */
  private async headObject(path: string): Promise<S3Response | null> {
    try {
      return await this.conn.request({ op: 'HeadObject', method: 'HEAD', key: this.key(path) });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async pathExists(path: string): Promise<boolean> {
    const p = checkPath(path);
    if (p === '') return true;
    const page = await this.listPage(`${this.key(p)}/`, undefined, undefined, 1);
    return page.contents.length > 0 || page.prefixes.length > 0;
  }

  private async listPage(prefix: string, delimiter?: string, token?: string, maxKeys?: number): Promise<ListPage> {
    const query: Record<string, string> = { 'list-type': '2', prefix };
    if (delimiter !== undefined) query.delimiter = delimiter;
    if (token !== undefined) query['continuation-token'] = token;
    if (maxKeys !== undefined) query['max-keys'] = String(maxKeys);
    const res = await this.conn.request({ op: 'ListObjectsV2', method: 'GET', key: '', query });
    return parseListPage(res.body.toString('utf8'));
  }

  async list(path: string, opts: ListOptions = {}): Promise<StorageInfo[]> {
    const p = checkPath(path);
    const prefix = p === '' ? this.prefix : `${this.key(p)}/`;
    const out: StorageInfo[] = [];
    const paths = new Set<string>();
    const add = (info: StorageInfo): void => {
      if (opts.expression === undefined || opts.expression.test(info.name)) out.push(info);
    };
    // Only keys that can match are asked for: a WAL segment's look-up lists its own name, not its
    // whole directory. Names stay relative to `prefix`.
    const keyPrefix = opts.expression === undefined ? prefix : prefix + literalPrefix(opts.expression);
    let token: string | undefined;
    do {
      const page = await this.listPage(keyPrefix, opts.recurse ? undefined : '/', token);
      for (const cp of page.prefixes) {
        const name = cp.slice(prefix.length, -1);
        if (name !== '' && !paths.has(name)) {
          paths.add(name);
          add({ name, type: 'path', size: 0, timeModified: 0 });
        }
      }
      for (const obj of page.contents) {
        const name = obj.key.slice(prefix.length);
        if (opts.recurse) addParents(name, paths, add);
        add({ name, type: 'file', size: obj.size, timeModified: seconds(obj.lastModified) });
      }
      token = page.nextToken;
    } while (token !== undefined);
    return out;
  }

  async read(path: string, opts: ReadOptions = {}): Promise<Readable | null> {
    const got = await this.get(path, opts);
    if (got === null) return null;
    return got.body === undefined ? Readable.from([]) : this.mappedBody(got.body, got.req);
  }

  /**
   * `read` for a small file: one GET whose body is read whole into one buffer, without a response
   * stream (a restore fetches hundreds of small files, and their stream set-up cost more CPU than
   * their bytes). A file longer than `maxSize` (its Content-Length) is not read at all: undefined, for
   * the caller to stream it. A body that breaks off is asked for again (withRetries), which a
   * streamed one cannot be once its reader has bytes of it.
   */
  async readSmall(path: string, maxSize: number, opts: ReadOptions = {}): Promise<Buffer | null | undefined> {
    if (opts.limit === 0) return (await this.get(path, opts)) === null ? null : EMPTY;
    const req = this.getRequest(path, opts);
    try {
      const res = await this.conn.request(req, maxSize);
      return res.tooLarge ? undefined : res.body;
    } catch (e) {
      // retried and still cut short: a read error of this file, as from a streamed body (mappedBody)
      const cause = e instanceof PgbrError ? e.cause : e;
      if (cause instanceof BodyBrokenError) throw bodyReadError(req, cause);
      return this.getFailed(e, path, opts) === null ? null : EMPTY;
    }
  }

  /** GetObject of `path`, or of a range of it with offset/limit. */
  private getRequest(path: string, opts: ReadOptions): S3Request {
    const key = this.key(path);
    const start = opts.offset ?? 0;
    const range = opts.limit === undefined ? (start > 0 ? `bytes=${start}-` : undefined) : `bytes=${start}-${start + opts.limit - 1}`;
    return { op: 'GetObject', method: 'GET', key, headers: range === undefined ? undefined : { range } };
  }

  /**
   * GetObject of `path` (a range of it with offset/limit) up to the response head: null when missing
   * with ignoreMissing; an empty body (undefined) for a zero limit or a range past the end.
   */
  private async get(path: string, opts: ReadOptions): Promise<{ body: Http1Body | undefined; req: S3Request } | null> {
    const req = this.getRequest(path, opts);
    try {
      if (opts.limit === 0) {
        await this.conn.request({ op: 'HeadObject', method: 'HEAD', key: req.key });
        return { body: undefined, req };
      }
      return { body: await this.conn.stream(req), req };
    } catch (e) {
      return this.getFailed(e, path, opts) === null ? null : { body: undefined, req };
    }
  }

  /**
   * A failed GET (or the HEAD of a zero limit): null when the file is missing and that is allowed,
   * 'empty' for a range past the end (S3's InvalidRange); otherwise it throws, a missing file as
   * FileMissingError.
   */
  private getFailed(e: unknown, path: string, opts: ReadOptions): null | 'empty' {
    if (isNotFound(e)) {
      if (opts.ignoreMissing) return null;
      throw err('FileMissingError', `unable to open missing file '${this.abs(path)}' for read`);
    }
    const cause = e instanceof PgbrError ? e.cause : undefined;
    if ((cause as { code?: string } | undefined)?.code === 'InvalidRange') return 'empty';
    throw e;
  }

  /**
   * The response body with its failures (connection reset or timeout mid-body, body shorter than
   * Content-Length: http1.ts fails those) reported as catalogue errors, like every other S3 failure.
   * The body stream itself is handed out: a pass-through stream that mapped its errors cost about
   * 15 % of the CPU of reading a large object (a 170 MB GET, warm: 230-290 ms against 270-370 ms).
   */
  private mappedBody(body: Http1Body, req: S3Request): Http1Body {
    // A stall is io-timeout's FileReadError; a body that breaks off or ends early is a read error of this file.
    body.mapError = (e) => {
      const mapped = e instanceof S3TimeoutError ? mapS3Error(e, this.conn.hostPort, this.conn.describe(req)) : undefined;
      return mapped instanceof PgbrError ? mapped : bodyReadError(req, e);
    };
    return body;
  }

  /**
   * A file no larger than one part goes out in a single PutObject, as pgBackRest does; larger ones
   * as a multipart upload (Upload). Memory: a streamed upload holds at most three parts (5 MiB each
   * by default), PARTS_IN_FLIGHT on their way and the next being filled, per file written at once
   * (process-max, times two on object stores: see parallel/file-pool.ts). A part is read ahead only
   * while those before it are sent, so a slow store slows the reader instead of growing memory.
   */
  async write(path: string, source: Readable | Buffer): Promise<void> {
    const key = this.key(path);
    const headers: Record<string, string> = {};
    if (this.opts.kmsKeyId !== undefined) {
      headers['x-amz-server-side-encryption'] = 'aws:kms';
      headers['x-amz-server-side-encryption-aws-kms-key-id'] = this.opts.kmsKeyId;
    }
    if (Buffer.isBuffer(source) && source.length <= this.partSize) {
      await this.conn.request({ op: 'PutObject', method: 'PUT', key, headers, body: source });
      return;
    }
    await new Upload(this.conn, key, headers, this.partSize).run(source);
  }

  async remove(path: string, opts: { errorOnMissing?: boolean } = {}): Promise<void> {
    const key = this.key(path);
    if (opts.errorOnMissing && (await this.info(path))?.type !== 'file') {
      throw err('FileMissingError', `unable to remove missing file '${this.abs(path)}'`);
    }
    await this.conn.request({ op: 'DeleteObject', method: 'DELETE', key });
  }

  async pathRemove(path: string): Promise<void> {
    const p = checkPath(path);
    const files = (await this.list(p, { recurse: true })).filter((f) => f.type === 'file');
    const base = p === '' ? this.prefix : `${this.key(p)}/`;
    for (let i = 0; i < files.length; i += DELETE_BATCH) {
      const keys = files.slice(i, i + DELETE_BATCH).map((f) => base + f.name);
      const body = Buffer.from(deleteObjectsBody(keys));
      const res = await this.conn.request({ op: 'DeleteObjects', method: 'POST', key: '', query: { delete: '' }, body, md5: true });
      const failed = parseError(res.body.toString('utf8'));
      if (failed !== undefined) {
        const errorXml = res.body.toString('utf8');
        throw err('PathRemoveError', `unable to remove file '/${xmlText(errorXml, 'Key') ?? ''}': [${failed.code}] ${failed.message}`);
      }
    }
  }

  async pathCreate(): Promise<void> {}

  async pathSync(): Promise<void> {}

  async close(): Promise<void> {
    this.conn.close();
  }
}

/** A response body that broke off or ended early: a read error of the file it is. */
function bodyReadError(req: S3Request, e: Error): PgbrError {
  return err('FileReadError', `unable to read '/${req.key}': ${e.message}`, { cause: e });
}

/** Recursive listings have no common prefixes; derive each parent path once from the keys. */
function addParents(name: string, seen: Set<string>, add: (i: StorageInfo) => void): void {
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const dir = name.slice(0, i);
    if (!seen.has(dir)) {
      seen.add(dir);
      add({ name: dir, type: 'path', size: 0, timeModified: 0 });
    }
  }
}

function seconds(d: Date | undefined): number {
  return d === undefined ? 0 : Math.floor(d.getTime() / 1000);
}

/**
 * Parts of one upload sent at once. With one, the store sat idle between the answer to a part and
 * the arrival of the next: in the tail of a backup to s3rver, when only the largest file is left,
 * s3rver was 64-88 % busy. With two, full S3 backups (process-max 4, lz4, 328 MB cluster) took
 * 6.66-7.02 s against 6.99-7.75 s (four A/B runs; pgBackRest 8.12-8.90 s), at the same peak memory.
 * S3 assembles parts by number, whatever order they arrive in.
 */
const PARTS_IN_FLIGHT = 2;

/**
 * One upload: the source is cut into parts; a source of more than one part is sent as a multipart
 * upload, anything smaller as one PutObject. A buffer already in memory is sent as slices of
 * itself. A stream is copied into pooled part buffers (see part-buffers.ts), so its chunks die
 * young and a part's memory is used again by the next. While parts are on their way the next one
 * is read (and so compressed and hashed upstream): one part after another, the store and the
 * reader would each wait for the other. On any failure the multipart upload is aborted once no
 * part is on its way, so no part is left behind and nothing is listed.
 */
class Upload {
  /** CreateMultipartUpload, made once for the first part; the other parts wait for its id. */
  private started: Promise<string> | undefined;
  /** Each part's ETag at its number less one. */
  private readonly etags: string[] = [];
  /** Parts handed to requests so far: the next one's number is this plus one. */
  private queued = 0;
  /** Parts on their way, at most PARTS_IN_FLIGHT; each leaves the set once settled. */
  private readonly inFlight = new Set<Promise<void>>();
  /** The pooled buffer the next part is gathered in, until it is handed to a request. */
  private filling: Buffer | undefined;

  constructor(private readonly conn: S3Client, private readonly key: string, private readonly headers: Record<string, string>, private readonly partSize: number) {}

  async run(source: AsyncIterable<Buffer> | Buffer): Promise<void> {
    try {
      const rest = Buffer.isBuffer(source) ? await this.slices(source) : await this.gather(source);
      await this.untilInFlight(0);
      const pooled = this.filling;
      this.filling = undefined;
      if (this.queued === 0) {
        await this.conn.request({ op: 'PutObject', method: 'PUT', key: this.key, headers: this.headers, body: rest });
      } else {
        if (rest.length > 0) await this.sendPart(rest, ++this.queued);
        const res = await this.conn.request({
          op: 'CompleteMultipartUpload', method: 'POST', key: this.key, query: { uploadId: await this.uploadId() },
          body: Buffer.from(completeMultipartBody(this.etags)),
        });
        // S3 may answer 200 and report the failure in the body.
        const failed = parseError(res.body.toString('utf8'));
        if (failed !== undefined) {
          throw err('ProtocolError', `unable to complete upload of '/${this.key}': [${failed.code}] ${failed.message}`);
        }
      }
      if (pooled !== undefined) partBuffers.give(pooled);
    } catch (e) {
      // A buffer still being filled was never sent; one handed to a failed request is left to the
      // collector, in case a socket still holds it.
      if (this.filling !== undefined) partBuffers.give(this.filling);
      this.filling = undefined;
      // parts still on their way would land after the abort
      await Promise.all([...this.inFlight].map((p) => p.catch(() => undefined)));
      await this.abort();
      throw e;
    }
  }

  /**
   * Queues the full parts of a buffer in memory as views of it, and returns the rest. A part goes
   * out only once more bytes follow it: a source of exactly one part is a PutObject.
   */
  private async slices(source: Buffer): Promise<Buffer> {
    let offset = 0;
    for (; source.length - offset > this.partSize; offset += this.partSize) {
      await this.queuePart(source.subarray(offset, offset + this.partSize));
    }
    return source.subarray(offset);
  }

  /** Copies the chunks into part buffers, queuing each full one once more bytes follow it; returns the rest. */
  private async gather(source: AsyncIterable<Buffer>): Promise<Buffer> {
    let length = 0;
    for await (const chunk of source) {
      for (let offset = 0; offset < chunk.length; ) {
        if (this.filling !== undefined && length === this.partSize) {
          const full = this.filling;
          this.filling = undefined;
          length = 0;
          await this.queuePart(full, full);
        }
        this.filling ??= partBuffers.take(this.partSize);
        const n = chunk.copy(this.filling, length, offset);
        length += n;
        offset += n;
      }
    }
    return this.filling === undefined ? EMPTY : this.filling.subarray(0, length);
  }

  /**
   * Starts sending `part` as the next part once fewer than PARTS_IN_FLIGHT are on their way; a
   * failure of one of those is thrown here. `pooled`, the buffer the part lies in, goes back to
   * the pool once the store has the part.
   */
  private async queuePart(part: Buffer, pooled?: Buffer): Promise<void> {
    await this.untilInFlight(PARTS_IN_FLIGHT - 1);
    const sending = this.sendPart(part, ++this.queued).then(() => {
      if (pooled !== undefined) partBuffers.give(pooled);
    });
    const entry: Promise<void> = sending.finally(() => this.inFlight.delete(entry));
    // its failure is reported where it is awaited: by a later part, the end, or the clean-up
    entry.catch(() => undefined);
    this.inFlight.add(entry);
  }

  /** Waits until at most `count` parts are on their way; a failure of one of them is thrown here. */
  private async untilInFlight(count: number): Promise<void> {
    while (this.inFlight.size > count) await Promise.race(this.inFlight);
  }

  private async sendPart(part: Buffer, partNumber: number): Promise<void> {
    const uploadId = await this.uploadId();
    const res = await this.conn.request({
      op: 'UploadPart', method: 'PUT', key: this.key, query: { partNumber: String(partNumber), uploadId }, body: part,
    });
    const etag = res.headers.etag;
    if (typeof etag !== 'string') throw err('ProtocolError', `no ETag in the answer to part ${partNumber} of '/${this.key}'`);
    this.etags[partNumber - 1] = etag;
  }

  private uploadId(): Promise<string> {
    return (this.started ??= this.start());
  }

  private async start(): Promise<string> {
    const res = await this.conn.request({ op: 'CreateMultipartUpload', method: 'POST', key: this.key, query: { uploads: '' }, headers: this.headers });
    const id = xmlText(res.body.toString('utf8'), 'UploadId');
    if (id === undefined) throw err('ProtocolError', `no UploadId in the answer to starting an upload of '/${this.key}'`);
    return id;
  }

  /** Called once no part is on its way, so `started` has settled if it was made. */
  private async abort(): Promise<void> {
    const uploadId = await this.started?.catch(() => undefined);
    if (uploadId === undefined) return;
    await this.conn
      .request({ op: 'AbortMultipartUpload', method: 'DELETE', key: this.key, query: { uploadId } })
      .catch(() => undefined);
  }
}
