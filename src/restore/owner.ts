/**
 * Manifest owner names → ids for restore. Only root can give files away, so as any other user
 * ownership is left to the process (what pgBackRest does too). Unknown names fall back to the
 * running user/group, with one warning per name.
 */
import { idsByName } from '../util/account-file.js';
import type { Logger } from '../log/logger.js';
import type { Owner } from '../repo/manifest.js';

export interface OwnerIds {
  enabled: boolean;
  uid(user: Owner): number;
  gid(group: Owner): number;
}

export function ownerIds(log: Logger): OwnerIds {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  let users: Map<string, number> | undefined;
  let groups: Map<string, number> | undefined;
  const warned = new Set<string>();
  const resolve = (kind: 'user' | 'group', name: Owner, table: Map<string, number>, fallback: number): number => {
    const id = name === false ? undefined : table.get(name);
    if (id !== undefined) return id;
    const key = `${kind}:${String(name)}`;
    if (!warned.has(key)) {
      warned.add(key);
      log.warn(`unknown ${kind} '${name === false ? '' : name}' in backup manifest mapped to current ${kind}`);
    }
    return fallback;
  };
  return {
    enabled: root,
    uid: (user) => resolve('user', user, (users ??= idsByName('/etc/passwd')), process.getuid?.() ?? 0),
    gid: (group) => resolve('group', group, (groups ??= idsByName('/etc/group')), process.getgid?.() ?? 0),
  };
}
