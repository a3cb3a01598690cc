import { readFileSync } from 'node:fs';

/**
 * The `name:x:id:...` entries of /etc/passwd or /etc/group, in file order (Node has no getpwuid or
 * getgrnam). A missing file reads as empty.
 */
export function readAccountFile(path: string): Array<{ name: string; id: number }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Array<{ name: string; id: number }> = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || fields[0] === '' || line.startsWith('#')) continue;
    const id = Number(fields[2]);
    if (Number.isInteger(id)) out.push({ name: fields[0]!, id });
  }
  return out;
}

/** id → the first name that has it. */
export function namesById(path: string): Map<number, string> {
  const ids = new Map<number, string>();
  for (const { name, id } of readAccountFile(path)) if (!ids.has(id)) ids.set(id, name);
  return ids;
}

/** name → its id (the first entry of that name). */
export function idsByName(path: string): Map<string, number> {
  const names = new Map<string, number>();
  for (const { name, id } of readAccountFile(path)) if (!names.has(name)) names.set(name, id);
  return names;
}
