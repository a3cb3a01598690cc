/**
 * uid/gid → user/group names, as pgBackRest records owners in the manifest (getpwuid/getgrgid).
 * Node has no binding for those calls, so the local account files are read once per lookup
 * object. An id without a name is `false`, the manifest's "unknown owner".
 */
import { readFileSync } from 'node:fs';
import type { Owner } from '../repo/manifest-types.js';

export interface OwnerLookup {
  user(uid: number): Owner;
  group(gid: number): Owner;
}

/** `name:x:id:...` lines → id → first name having it. */
function parseIdFile(path: string): Map<number, string> {
  const ids = new Map<number, string>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return ids;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || fields[0] === '' || line.startsWith('#')) continue;
    const id = Number(fields[2]);
    if (Number.isInteger(id) && !ids.has(id)) ids.set(id, fields[0]!);
  }
  return ids;
}

export function systemOwnerLookup(passwdFile = '/etc/passwd', groupFile = '/etc/group'): OwnerLookup {
  let users: Map<number, string> | undefined;
  let groups: Map<number, string> | undefined;
  return {
    user(uid) {
      users ??= parseIdFile(passwdFile);
      return users.get(uid) ?? false;
    },
    group(gid) {
      groups ??= parseIdFile(groupFile);
      return groups.get(gid) ?? false;
    },
  };
}
