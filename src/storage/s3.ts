import { PassThrough, Readable } from 'node:stream';
import {
  DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  PutObjectCommand, type ListObjectsV2CommandOutput, type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { err, PgbrError } from '../error/error.js';
import { createS3Connection, type S3Connection, type S3Options } from './s3-client.js';
import { isNotFound, mapS3Error, type S3RequestDesc } from './s3-error.js';
import { baseName, checkPath } from './path.js';
import type {
  ListOptions, ReadOptions, StorageDriver, StorageFeatures, StorageInfo, WriteOptions,
} from './storage.js';

export type { S3Options } from './s3-client.js';

/** lib-storage refuses parts under 5 MiB; smaller configured chunk sizes are raised to this. */
const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
const DELETE_BATCH = 1000;

/**
 * Memory cost of uploads: a streamed upload buffers up to QUEUE_SIZE parts in flight plus the part
 * being filled, so about (QUEUE_SIZE + 1) × part size per file (3 × 5 MiB = 15 MiB by default),
 * times the number of files written in parallel (process-max). Buffers no larger than one part
 * go out in a single PutObject.
 */
const QUEUE_SIZE = 2;

/**
 * S3 (and S3-compatible: MinIO, Ceph RGW) storage. Keys are `<repo path without leading />/<path>`.
 * There are no real directories: a path exists while any key lies below it.
 */
export class S3Storage implements StorageDriver {
  readonly type = 's3' as const;
  readonly features: StorageFeatures = { path: false, symLink: false, hardLink: false, pathSync: false };
  private readonly conn: S3Connection;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(private readonly opts: S3Options) {
    this.conn = createS3Connection(opts);
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

  private async send<T>(req: S3RequestDesc, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw mapS3Error(e, this.conn.hostPort, req);
    }
  }

  private desc(method: string, key: string, query = ''): S3RequestDesc {
    const resource = this.opts.uriStyle === 'path' ? `/${this.opts.bucket}/${key}` : `/${key}`;
    return { method, resource: resource + query };
  }

  async info(path: string): Promise<StorageInfo | null> {
    const p = checkPath(path);
    const name = baseName(p);
    if (p === '') return { name, type: 'path', size: 0, timeModified: 0 };
    const key = this.key(p);
    try {
      const head = await this.conn.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key }));
      return { name, type: 'file', size: head.ContentLength ?? 0, timeModified: seconds(head.LastModified) };
    } catch (e) {
      if (!isNotFound(e)) throw mapS3Error(e, this.conn.hostPort, this.desc('HEAD', key));
    }
    const page = await this.listPage(`${key}/`, undefined, undefined, 1);
    const any = (page.Contents?.length ?? 0) > 0 || (page.CommonPrefixes?.length ?? 0) > 0;
    return any ? { name, type: 'path', size: 0, timeModified: 0 } : null;
  }

  private listPage(prefix: string, delimiter?: string, token?: string, maxKeys?: number): Promise<ListObjectsV2CommandOutput> {
    const query = `?list-type=2&prefix=${encodeURIComponent(prefix)}`;
    return this.send(this.desc('GET', '', query), () =>
      this.conn.client.send(new ListObjectsV2Command({
        Bucket: this.opts.bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token, MaxKeys: maxKeys,
      })),
    );
  }

  async list(path: string, opts: ListOptions = {}): Promise<StorageInfo[]> {
    const p = checkPath(path);
    const prefix = p === '' ? this.prefix : `${this.key(p)}/`;
    const out: StorageInfo[] = [];
    const paths = new Set<string>();
    const add = (info: StorageInfo): void => {
      if (opts.expression === undefined || opts.expression.test(info.name)) out.push(info);
    };
    let token: string | undefined;
    do {
      const page = await this.listPage(prefix, opts.recurse ? undefined : '/', token);
      for (const cp of page.CommonPrefixes ?? []) {
        const name = cp.Prefix!.slice(prefix.length, -1);
        if (name !== '' && !paths.has(name)) {
          paths.add(name);
          add({ name, type: 'path', size: 0, timeModified: 0 });
        }
      }
      for (const obj of page.Contents ?? []) {
        const name = obj.Key!.slice(prefix.length);
        if (opts.recurse) addParents(name, paths, add);
        add({ name, type: 'file', size: obj.Size ?? 0, timeModified: seconds(obj.LastModified) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  async read(path: string, opts: ReadOptions = {}): Promise<Readable | null> {
    const key = this.key(path);
    const start = opts.offset ?? 0;
    const range = opts.limit === undefined ? (start > 0 ? `bytes=${start}-` : undefined) : `bytes=${start}-${start + opts.limit - 1}`;
    try {
      if (opts.limit === 0) {
        await this.conn.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key }));
        return Readable.from([]);
      }
      const res = await this.conn.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: key, Range: range }));
      return this.mappedBody(res.Body as Readable, key);
    } catch (e) {
      if (isNotFound(e)) {
        if (opts.ignoreMissing) return null;
        throw err('FileMissingError', `unable to open missing file '${this.abs(path)}' for read`);
      }
      if ((e as { name?: string }).name === 'InvalidRange') return Readable.from([]);
      throw mapS3Error(e, this.conn.hostPort, this.desc('GET', key));
    }
  }

  /**
   * The response body with its failures (connection reset or timeout mid-body, body shorter than
   * Content-Length) reported as catalogue errors, like every other S3 failure.
   */
  private mappedBody(body: Readable, key: string): Readable {
    const out = new PassThrough();
    body.once('error', (e) => {
      const mapped = mapS3Error(e, this.conn.hostPort, this.desc('GET', key));
      out.destroy(mapped instanceof PgbrError ? mapped : err('FileReadError', `unable to read '/${key}': ${(e as Error).message}`, { cause: e }));
    });
    out.once('close', () => body.destroy());
    return body.pipe(out);
  }

  async write(path: string, source: Readable | Buffer): Promise<void> {
    const key = this.key(path);
    const params: PutObjectCommandInput = { Bucket: this.opts.bucket, Key: key, Body: source };
    if (this.opts.kmsKeyId !== undefined) {
      params.ServerSideEncryption = 'aws:kms';
      params.SSEKMSKeyId = this.opts.kmsKeyId;
    }
    if (Buffer.isBuffer(source) && source.length <= this.partSize) {
      await this.send(this.desc('PUT', key), () => this.conn.client.send(new PutObjectCommand(params)));
      return;
    }
    // On any failure Upload lets in-flight parts settle and aborts the multipart upload.
    const upload = new Upload({
      client: this.conn.client, params, partSize: this.partSize, queueSize: QUEUE_SIZE, leavePartsOnError: false,
    });
    // The source's own failure is the cause to report, even if aborting the upload failed too.
    let sourceError: unknown;
    if (!Buffer.isBuffer(source)) source.once('error', (e) => (sourceError ??= e));
    try {
      await upload.done();
    } catch (e) {
      throw sourceError ?? mapS3Error(e, this.conn.hostPort, this.desc('PUT', key));
    }
  }

  async remove(path: string, opts: { errorOnMissing?: boolean } = {}): Promise<void> {
    const key = this.key(path);
    if (opts.errorOnMissing && (await this.info(path))?.type !== 'file') {
      throw err('FileMissingError', `unable to remove missing file '${this.abs(path)}'`);
    }
    await this.send(this.desc('DELETE', key), () =>
      this.conn.client.send(new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: key })),
    );
  }

  async pathRemove(path: string): Promise<void> {
    const p = checkPath(path);
    const files = (await this.list(p, { recurse: true })).filter((f) => f.type === 'file');
    const base = p === '' ? this.prefix : `${this.key(p)}/`;
    for (let i = 0; i < files.length; i += DELETE_BATCH) {
      const keys = files.slice(i, i + DELETE_BATCH).map((f) => ({ Key: base + f.name }));
      const res = await this.send(this.desc('POST', '', '?delete'), () =>
        this.conn.client.send(new DeleteObjectsCommand({ Bucket: this.opts.bucket, Delete: { Objects: keys, Quiet: true } })),
      );
      const failed = res.Errors?.[0];
      if (failed !== undefined) {
        throw err('PathRemoveError', `unable to remove file '/${failed.Key}': [${failed.Code}] ${failed.Message}`);
      }
    }
  }

  async pathCreate(): Promise<void> {}

  async pathSync(): Promise<void> {}

  async close(): Promise<void> {
    this.conn.client.destroy();
    this.conn.agent.destroy();
  }
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
