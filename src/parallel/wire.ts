import { PgbrError } from '../error/error.js';
import { ERROR_CODES, type ErrorType } from '../error/catalogue.js';

/**
 * Errors cross the worker boundary as plain data (structured clone drops the class and custom
 * fields). PgbrErrors come back as PgbrErrors of the same type, so exit codes stay right.
 */
export interface WireError {
  type?: string;
  name: string;
  message: string;
  hints?: string[];
  stack?: string;
}

export function errorToWire(e: unknown): WireError {
  if (e instanceof PgbrError) return { type: e.type, name: e.name, message: e.message, hints: [...e.hints], stack: e.stack };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

export function errorFromWire(w: WireError): Error {
  const e =
    w.type !== undefined && Object.prototype.hasOwnProperty.call(ERROR_CODES, w.type)
      ? new PgbrError(w.type as ErrorType, w.message, { hints: w.hints })
      : Object.assign(new Error(w.message), { name: w.name });
  if (w.stack !== undefined) e.stack = w.stack;
  return e;
}

/** Main thread → worker. */
export type ToWorker<J> = { type: 'job'; id: number; job: J } | { type: 'close' };

/** Worker → main thread. */
export type FromWorker<R> = { id: number; ok: true; result: R } | { id: number; ok: false; error: WireError };
