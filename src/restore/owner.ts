/**
 * Manifest owner names → ids for restore, decided and reported as pgBackRest 2.45 does
 * (restoreManifestOwner) before anything is written:
 * - as root, files get their manifest owners; a name this host does not know leaves the file to
 *   root, and an entry without an owner (unknown when backed up) gets PGDATA's owner, with a
 *   warning naming it;
 * - as another user ownership is left to the process (only root can give files away), and every
 *   owner in the manifest that is not the running user or group is reported as mapped to it.
 */
import { statSync } from 'node:fs';
import { idsByName, namesById } from '../util/account-file.js';
import type { Logger } from '../log/logger.js';
import type { Manifest, Owner } from '../repo/manifest.js';

export interface OwnerIds {
  enabled: boolean;
  uid(user: Owner): number;
  gid(group: Owner): number;
}

export function ownerIds(m: Manifest, pgPath: string, log: Logger): OwnerIds {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const users = new Set<string>();
  const groups = new Set<string>();
  let userNull = false;
  let groupNull = false;
  for (const e of [...m.files, ...m.links, ...m.paths]) {
    if (e.user === false) userNull = true;
    else users.add(e.user);
    if (e.group === false) groupNull = true;
    else groups.add(e.group);
  }
  if (uid !== 0) {
    const userName = namesById('/etc/passwd').get(uid);
    const groupName = namesById('/etc/group').get(gid);
    const warn = (kind: string, isNull: boolean, names: Set<string>, current: string | undefined) => {
      if (isNull) log.warn(`unknown ${kind} in backup manifest mapped to current ${kind}`);
      for (const n of names) if (n !== current) log.warn(`unknown ${kind} '${n}' in backup manifest mapped to current ${kind}`);
    };
    warn('user', userNull, users, userName);
    warn('group', groupNull, groups, groupName);
    return { enabled: false, uid: () => uid, gid: () => gid };
  }
  // root: entries without an owner get PGDATA's
  let nullUid = uid;
  let nullGid = gid;
  if (userNull || groupNull) {
    const st = statSync(pgPath, { throwIfNoEntry: false });
    nullUid = st?.uid ?? uid;
    nullGid = st?.gid ?? gid;
    if (userNull) log.warn(`unknown user in backup manifest mapped to '${namesById('/etc/passwd').get(nullUid) ?? nullUid}'`);
    if (groupNull) log.warn(`unknown group in backup manifest mapped to '${namesById('/etc/group').get(nullGid) ?? nullGid}'`);
  }
  let userIds: Map<string, number> | undefined;
  let groupIds: Map<string, number> | undefined;
  return {
    enabled: true,
    uid: (user) => (user === false ? nullUid : (userIds ??= idsByName('/etc/passwd')).get(user) ?? uid),
    gid: (group) => (group === false ? nullGid : (groupIds ??= idsByName('/etc/group')).get(group) ?? gid),
  };
}
