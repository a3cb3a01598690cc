import { levelLabel, type LogLevel } from './level.js';

/** Local time as `YYYY-MM-DD HH:MM:SS.mmm`, pgBackRest's log timestamp. */
export function logTimestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
  );
}

/** `P00`, three digits once more than 99 processes can exist. */
export function processLabel(processId: number, processMax: number): string {
  return `P${String(processId).padStart(processMax > 99 ? 3 : 2, '0')}`;
}

/** Prefix for error messages: `[045]: `; empty for other levels. */
function codePrefix(code: number | undefined): string {
  return code === undefined ? '' : `[${String(code).padStart(3, '0')}]: `;
}

/** Lines after the first are indented to line up with the first line's message text. */
function indentContinuation(prefix: string, message: string): string {
  const lines = message.split('\n');
  const pad = ' '.repeat(prefix.length);
  return prefix + lines.map((l, i) => (i === 0 ? l : pad + l)).join('\n');
}

export interface LogRecord {
  level: LogLevel;
  message: string;
  code?: number;
  processId: number;
  time: Date;
}

/** Long form for stdout and the log file: `[timestamp ]P00   INFO: message`. */
export function formatLong(rec: LogRecord, opts: { timestamp: boolean; processMax: number }): string {
  const ts = opts.timestamp ? logTimestamp(rec.time) + ' ' : '';
  const prefix = `${ts}${processLabel(rec.processId, opts.processMax)} ${levelLabel(rec.level)}: `;
  return indentContinuation(prefix, codePrefix(rec.code) + rec.message);
}

/** Short form for stderr: `LEVEL: message` with continuation lines under the message. */
export function formatShort(rec: LogRecord): string {
  const prefix = `${rec.level.toUpperCase()}: `;
  return indentContinuation(prefix, codePrefix(rec.code) + rec.message);
}
