import { ERROR_CODES, type ErrorType } from './catalogue.js';

/**
 * An error the user sees: a stable type from the catalogue (its code is the exit status), a lower
 * case message without a final period, and optional HINT lines printed after it.
 */
export class PgbrError extends Error {
  readonly type: ErrorType;
  readonly code: number;
  readonly hints: readonly string[];

  constructor(type: ErrorType, message: string, opts: { hints?: string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = type;
    this.type = type;
    this.code = ERROR_CODES[type];
    this.hints = opts.hints ?? [];
  }

  /** Message with HINT lines, as pgBackRest prints it after `ERROR: [NNN]: `. */
  get fullMessage(): string {
    return [this.message, ...this.hints.map((h) => `HINT: ${h}`)].join('\n');
  }
}

/** Shorthand constructor: `err('FormatError', 'expected format 5 but found 4')`. */
export function err(type: ErrorType, message: string, opts?: { hints?: string[]; cause?: unknown }): PgbrError {
  return new PgbrError(type, message, opts);
}

export function isPgbrError(e: unknown, type?: ErrorType): e is PgbrError {
  return e instanceof PgbrError && (type === undefined || e.type === type);
}

/** Turns any thrown value into a PgbrError so the CLI can always print a code and exit with it. */
export function toPgbrError(e: unknown): PgbrError {
  if (e instanceof PgbrError) return e;
  if (e instanceof Error) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'EACCES' || errno === 'EPERM') return new PgbrError('AccessError', e.message, { cause: e });
    return new PgbrError('UnhandledError', e.message, { cause: e });
  }
  return new PgbrError('UnknownError', String(e));
}

/** `[045]` */
export function formatCode(code: number): string {
  return `[${String(code).padStart(3, '0')}]`;
}
