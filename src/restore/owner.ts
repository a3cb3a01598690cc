/**
 * Manifest owner names → ids for restore. Only root can give files away, so as any other user
 * ownership is left to the process (what pgBackRest does too). Unknown names fall back to the
 * running user/group, with one warning per name.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../log/logger.js';
import type { Owner } from '../repo/manifest.js';

export interface OwnerIds {
  enabled: boolean;
  uid(user: Owner): number;
  gid(group: Owner): number;
}

function namesToIds(path: string): Map<string, number> {
  const out = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[0] !== '' && !line.startsWith('#') && !out.has(f[0]!)) out.set(f[0]!, Number(f[2]));
  }
  return out;
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
    uid: (user) => resolve('user', user, (users ??= namesToIds('/etc/passwd')), process.getuid?.() ?? 0),
    gid: (group) => resolve('group', group, (groups ??= namesToIds('/etc/group')), process.getgid?.() ?? 0),
  };
}
