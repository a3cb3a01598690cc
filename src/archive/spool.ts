import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { err, type PgbrError } from '../error/error.js';
import type { ErrorType } from '../error/catalogue.js';
import { ERROR_CODES } from '../error/catalogue.js';

/**
 * The async spool: `<spool-path>/archive/<stanza>/{out,in}/` with `<file>.ok` / `<file>.error` /
 * `global.error` status files shared with pgBackRest (same names and contents).
 */
export function spoolQueuePath(spoolPath: string, stanza: string, dir: 'in' | 'out'): string {
  return join(spoolPath, 'archive', stanza, dir);
}

export type SpoolStatus =
  | { kind: 'ok'; warning?: string; skippedError?: { code: number; message: string } }
  | { kind: 'error'; code: number; message: string };

/** Reads `<name>.ok`, else `<name>.error`, else `global.error`; undefined when there is none. */
export async function readStatus(queue: string, name: string): Promise<SpoolStatus | undefined> {
  const ok = await readFile(join(queue, `${name}.ok`), 'utf8').catch(() => undefined);
  if (ok !== undefined) {
    if (ok === '') return { kind: 'ok' };
    const { code, message } = splitStatus(ok);
    return code === 0 ? { kind: 'ok', warning: message } : { kind: 'ok', skippedError: { code, message } };
  }
  for (const file of [`${name}.error`, 'global.error']) {
    const text = await readFile(join(queue, file), 'utf8').catch(() => undefined);
    if (text !== undefined) return { kind: 'error', ...splitStatus(text) };
  }
  return undefined;
}

function splitStatus(text: string): { code: number; message: string } {
  const nl = text.indexOf('\n');
  const code = Number(nl === -1 ? text : text.slice(0, nl));
  return { code: Number.isFinite(code) ? code : ERROR_CODES.FormatError, message: nl === -1 ? '' : text.slice(nl + 1) };
}

/** Status files are written atomically so the foreground never reads half of one. */
export async function writeStatus(queue: string, name: string, status: { ok: true; warning?: string } | { ok: false; error: PgbrError }): Promise<void> {
  await mkdir(queue, { recursive: true, mode: 0o750 });
  const file = status.ok ? `${name}.ok` : `${name}.error`;
  const text = status.ok ? (status.warning ? `0\n${status.warning}` : '') : `${status.error.code}\n${status.error.fullMessage}`;
  const tmp = join(queue, `${file}.pgbackrest.tmp`);
  await writeFile(tmp, text, { mode: 0o640 });
  await rename(tmp, join(queue, file));
  if (status.ok) await rm(join(queue, `${name}.error`), { force: true });
}

/** The error a status file describes, as the foreground command throws it. */
export function statusError(code: number, message: string): PgbrError {
  const type = (Object.entries(ERROR_CODES).find(([, c]) => c === code)?.[0] ?? 'UnknownError') as ErrorType;
  const [first, ...rest] = message.split('\n');
  const hints = rest.filter((l) => l.startsWith('HINT: ')).map((l) => l.slice(6));
  const body = [first, ...rest.filter((l) => !l.startsWith('HINT: '))].join('\n');
  return err(type, body, { hints });
}

/** Error files (per file and global) are cleared before a new async process starts. */
export async function clearErrors(queue: string): Promise<void> {
  const names = await readdir(queue).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.endsWith('.error')).map((n) => rm(join(queue, n), { force: true })));
}
