import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Real pgBackRest 2.45 files: copies of the spec samples plus two written by stanza-create here. */
export const SAMPLE_FILES = [
  'archive.info',
  'backup.info',
  'multi-backup.info',
  'encrypted-archive.info.decrypted',
  'encrypted-backup.info.decrypted',
  'upgrade-archive.info.decrypted',
  'upgrade-backup.info.decrypted',
  'full.backup.manifest',
  'diff.backup.manifest',
  'incr.backup.manifest',
  'stanza-create-archive.info',
  'stanza-create-backup.info',
] as const;

export function sample(name: string): string {
  return readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
}

/** The `backrest-checksum` value as stored in a sample. */
export function storedChecksum(text: string): string {
  return /backrest-checksum="([0-9a-f]{40})"/.exec(text)![1];
}
