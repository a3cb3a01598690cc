import { existsSync } from 'node:fs';
import { err } from '../error/error.js';

export function stopFilePath(lockPath: string, stanza?: string): string {
  return `${lockPath}/${stanza ?? 'all'}.stop`;
}

/** Commands that must not run after `stop` (backup, archive-push, stanza-create, ...) call this first. */
export function checkStop(lockPath: string, stanza?: string): void {
  if (existsSync(stopFilePath(lockPath))) throw err('StopError', 'stop file exists for all stanzas');
  if (stanza !== undefined && existsSync(stopFilePath(lockPath, stanza))) {
    throw err('StopError', `stop file exists for stanza ${stanza}`);
  }
}
