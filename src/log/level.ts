/** pgBackRest's log levels, least to most verbose. `off` disables a destination. */
export const LOG_LEVELS = ['off', 'assert', 'error', 'warn', 'info', 'detail', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function levelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}

/** Right-aligned in 6 characters as in `P00   INFO: `. */
export function levelLabel(level: LogLevel): string {
  return level.toUpperCase().padStart(6);
}
