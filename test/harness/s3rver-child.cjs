'use strict';
/**
 * Child process that runs s3rver over HTTPS for the test suite. Started by test/harness/s3.ts with
 * `node --openssl-legacy-provider` (s3rver encrypts continuation tokens with DES).
 *
 * argv: <data dir> <key file> <cert file> <bucket>. Prints one JSON line `{"port":N}` when ready.
 * Then each line `latency <ms>` on stdin makes every later request wait that long before s3rver
 * sees it, as over a network to a real store; it is answered with `{"latency":ms}` once in force.
 *
 * s3rver 3.7 lists with a delimiter by walking directories and skipping any directory below a
 * common prefix, so a prefix whose keys are all at least two levels deeper is never reported, and
 * its walk order is not key order (continuation tokens skip keys). listObjects is replaced here
 * with a sorted, S3-like implementation. This fix lives in the harness only.
 */
const fs = require('fs');
const path = require('path');
const S3rver = require('s3rver');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const S3Object = require('s3rver/lib/models/object');

const OBJECT_SUFFIX = '._S3rver_object';

/**
 * The keys under `prefix`, unsorted. Only directories that can hold such keys are read: those on
 * the way to the prefix and those under it. With delimiter '/', a directory below the prefix's own
 * stands for one common prefix, which exists as soon as it holds one object; `startAfter` decides
 * whether the rest of it must be read. Reading the whole bucket for every list (a readdir and a
 * stat per file) cost s3rver's one thread 100-140 ms per LIST once a bench bucket held a few backups,
 * and a real store's LIST costs the same however full the bucket is.
 */
function listKeys(root, prefix, delimiter, startAfter) {
  const keys = [];
  const prefixes = new Set();
  const walk = (dir, rel) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return;
      throw e;
    }
    for (const entry of entries) {
      const relName = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!relName.startsWith(prefix) && !prefix.startsWith(`${relName}/`)) continue;
        const common = delimiter === '/' && relName.startsWith(prefix) ? `${relName}/` : undefined;
        // every key in there starts with `common`, so all are after startAfter when it is
        if (common !== undefined && common.indexOf('/', prefix.length) === common.length - 1 && common > startAfter) {
          if (hasObject(path.join(dir, entry.name))) prefixes.add(common);
          continue;
        }
        walk(path.join(dir, entry.name), relName);
      } else if (relName.endsWith(OBJECT_SUFFIX)) {
        const key = relName.slice(0, -OBJECT_SUFFIX.length);
        if (key.startsWith(prefix) && key > startAfter) keys.push(key);
      }
    }
  };
  walk(root, '');
  return { keys, prefixes };
}

function hasObject(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() ? hasObject(path.join(dir, entry.name)) : entry.name.endsWith(OBJECT_SUFFIX)) return true;
  }
  return false;
}

FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
  const listed = listKeys(this.getBucketPath(bucket), prefix, delimiter, startAfter);
  const keys = listed.keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const objectKeys = [];
  const prefixes = listed.prefixes;
  let isTruncated = false;
  for (const key of keys) {
    const idx = delimiter ? key.slice(prefix.length).indexOf(delimiter) : -1;
    if (idx !== -1) {
      prefixes.add(key.slice(0, prefix.length + idx + delimiter.length));
      continue;
    }
    if (objectKeys.length >= maxKeys) {
      isTruncated = true;
      break;
    }
    objectKeys.push(key);
  }
  // Prefixes after the last returned key come again on the next page.
  const last = objectKeys[objectKeys.length - 1];
  const commonPrefixes = [...prefixes].filter((p) => !isTruncated || p < last).sort();
  const objects = [];
  for (const key of objectKeys) {
    try {
      objects.push(new S3Object(bucket, key, null, await this.getMetadata(bucket, key)));
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
  }
  return { objects, commonPrefixes, isTruncated };
};

const [dir, keyFile, certFile, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  key: fs.readFileSync(keyFile),
  cert: fs.readFileSync(certFile),
  configureBuckets: [{ name: bucket }],
});
// s3rver has no AbortMultipartUpload (DELETE ?uploadId answers 405); drop the parts like S3 does.
server.middleware.unshift(async (ctx, next) => {
  const match = /^\/([^/]+)\/./.exec(ctx.path);
  if (ctx.method !== 'DELETE' || !('uploadId' in ctx.query) || !match) return next();
  const uploadId = String(ctx.query.uploadId);
  if (!/^[0-9a-f]+$/i.test(uploadId)) return next();
  const uploadDir = path.join(server.store.getResourcePath(match[1], undefined, 'uploads'), uploadId);
  fs.rmSync(uploadDir, { recursive: true, force: true });
  ctx.status = 204;
});

// Per-request delay set by the parent (see the header): 0 unless asked for.
let latencyMs = 0;
server.middleware.unshift(async (_ctx, next) => {
  if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
  return next();
});

server.run().then(
  (addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\n'),
  (e) => {
    process.stderr.write(String(e && e.stack) + '\n');
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
// The parent holds our stdin open: when it dies without stopping us (killed test run), exit too.
process.stdin.on('close', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
require('readline')
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    const m = /^latency (\d+)$/.exec(line.trim());
    if (m === null) return;
    latencyMs = Number(m[1]);
    process.stdout.write(JSON.stringify({ latency: latencyMs }) + '\n');
  });
