import { jsonEncode } from '../../repo/json.js';
import type { StorageInfo } from '../../storage/storage.js';

export type ListSort = 'asc' | 'desc' | 'none';

function compareComponents(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return Buffer.compare(Buffer.from(pa[i]), Buffer.from(pb[i]));
  }
  return pa.length - pb.length;
}

/**
 * pgBackRest sorts each level and, ascending, shows a path before its content; descending is the
 * exact reverse (content first). `none` keeps the storage's order.
 */
export function sortListing(entries: StorageInfo[], sort: ListSort): StorageInfo[] {
  if (sort === 'none') return entries;
  const sorted = [...entries].sort((a, b) => compareComponents(a.name, b.name));
  return sort === 'desc' ? sorted.reverse() : sorted;
}

/**
 * Text: names, one a line, `.` left out unless it is the listed file. JSON: `{"name":{...}}` with
 * size/time for files and destination for links; `.` is shown only as the first entry. Both end
 * with a newline unless nothing at all was printed.
 */
export function renderListing(entries: StorageInfo[], json: boolean): string {
  if (!json) {
    const names = entries.filter((e) => !(e.name === '.' && e.type === 'path')).map((e) => e.name);
    return names.length === 0 ? '' : `${names.join('\n')}\n`;
  }
  const items = entries
    .filter((e, i) => !(e.name === '.' && e.type === 'path' && i !== 0))
    .map((e) => `${jsonEncode(e.name)}:${entryJson(e)}`);
  return `{${items.join(',')}}\n`;
}

function entryJson(e: StorageInfo): string {
  if (e.type === 'file') return `{"type":"file","size":${e.size},"time":${e.timeModified}}`;
  if (e.type === 'link') return `{"type":"link","destination":${jsonEncode(e.linkDestination ?? '')}}`;
  return `{"type":"path"}`;
}
