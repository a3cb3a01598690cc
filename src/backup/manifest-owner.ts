/**
 * uid/gid → user/group names, as pgBackRest records owners in the manifest (getpwuid/getgrgid).
 * Node has no binding for those calls, so the local account files are read once per lookup
 * object. An id without a name is `false`, the manifest's "unknown owner".
 */
import { namesById } from '../util/account-file.js';
import type { Owner } from '../repo/manifest-types.js';

export interface OwnerLookup {
  user(uid: number): Owner;
  group(gid: number): Owner;
}

export function systemOwnerLookup(passwdFile = '/etc/passwd', groupFile = '/etc/group'): OwnerLookup {
  let users: Map<number, string> | undefined;
  let groups: Map<number, string> | undefined;
  return {
    user(uid) {
      users ??= namesById(passwdFile);
      return users.get(uid) ?? false;
    },
    group(gid) {
      groups ??= namesById(groupFile);
      return groups.get(gid) ?? false;
    },
  };
}
