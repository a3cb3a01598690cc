import { compressSync, extensionOf, type CompressType } from '../io/compress.js';
import { encryptBuffer } from '../io/cipher-key.js';
import { sha1Hex } from '../io/hash.js';
import { backupSetPath } from '../repo/layout.js';
import { ownedLikePgData, PG_DATA, putManifestFile, type Manifest, type ManifestFile } from '../repo/manifest.js';
import type { Logger } from '../log/logger.js';
import type { StorageDriver } from '../storage/storage.js';

/**
 * Store `backup_label` / `tablespace_map` returned by the stop function as files of the backup
 * (PG ≥ 9.6), compressed and encrypted like the others, owned like PGDATA's files.
 */
export async function storeLabelFiles(o: {
  storage: StorageDriver;
  stanza: string;
  manifest: Manifest;
  files: Record<string, string | undefined>;
  compressType: CompressType;
  compressLevel?: number;
  cipherPass?: string;
  timestamp: number;
  log?: Logger;
}): Promise<void> {
  for (const [name, content] of Object.entries(o.files)) {
    if (content === undefined) continue;
    const bytes = Buffer.from(content, 'utf8');
    let stored = compressSync(o.compressType, bytes, o.compressLevel);
    if (o.cipherPass !== undefined) stored = encryptBuffer(stored, o.cipherPass);
    const manifestName = `${PG_DATA}/${name}`;
    await o.storage.write(`${backupSetPath(o.stanza, o.manifest.backup.label)}/${manifestName}${extensionOf(o.compressType)}`, stored);
    o.log?.detail(`wrote '${name}' file returned from backup stop function`);
    const entry: ManifestFile = {
      name: manifestName,
      size: bytes.length,
      timestamp: o.timestamp,
      checksum: sha1Hex(bytes),
      repoSize: stored.length,
      ...(o.compressType !== 'none' || o.cipherPass !== undefined ? { rck: sha1Hex(stored) } : {}),
      ...ownedLikePgData(o.manifest, 0o640),
    };
    putManifestFile(o.manifest, entry);
  }
}
