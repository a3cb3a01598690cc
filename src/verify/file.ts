import { Writable } from 'node:stream';
import { decryptStream } from '../io/cipher.js';
import { decompressStream, typeFromFileName } from '../io/compress.js';
import { HashFilter } from '../io/hash.js';
import { runPipeline } from '../io/pipeline.js';
import { SizeFilter } from '../io/size.js';
import type { StorageDriver } from '../storage/storage.js';

export type VerifyResult = 'ok' | 'missing' | 'checksum' | 'size' | 'other';

export interface VerifyFileJob {
  /** Repo-relative path of the stored file (a bundle for bundled files). */
  path: string;
  offset?: number;
  limit?: number;
  /** Expected SHA-1 and size of the bytes that come out of the pipeline. */
  checksum: string;
  size: number;
  /** false: hash the raw stored bytes (rck check). true: decrypt and decompress first. */
  decode: boolean;
  /** Decompression follows the name of this path (the file's own name even when bundled). */
  compressName: string;
  cipherPass?: string;
}

/** One pass over one stored file. Unreadable content (bad cipher, bad compression) rejects. */
export async function verifyFile(storage: StorageDriver, job: VerifyFileJob): Promise<VerifyResult> {
  const limit = job.limit;
  const source = await storage.read(job.path, {
    ignoreMissing: true,
    ...(job.offset !== undefined ? { offset: job.offset } : {}),
    ...(limit !== undefined ? { limit } : {}),
  });
  if (source === null) return 'missing';
  const filters: NodeJS.ReadWriteStream[] = [];
  if (job.decode) {
    if (job.cipherPass !== undefined) filters.push(decryptStream(job.cipherPass));
    const type = typeFromFileName(job.compressName);
    if (type !== 'none') filters.push(decompressStream(type));
  }
  const hash = new HashFilter();
  const size = new SizeFilter();
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await runPipeline(source, [...filters, hash, size], sink);
  if (hash.digest() !== job.checksum) return 'checksum';
  if (size.size !== job.size) return 'size';
  return 'ok';
}
