import { closeSync, openSync, fstatSync } from 'node:fs';
import { writeAllSync } from './write.js';
import { formatLong, formatShort, type LogRecord } from './format.js';
import { levelRank, type LogLevel } from './level.js';
import { redactSecrets } from './redact.js';
import { strerror, sysErr } from '../storage/errno.js';

export interface LoggerSettings {
  console: LogLevel;
  stderr: LogLevel;
  file: LogLevel;
  /** Log file path; undefined = no file. */
  filePath?: string;
  timestamp: boolean;
  processMax: number;
}

/**
 * pgBackRest's three destinations: stderr (short form, up to log-level-stderr), stdout (long
 * form, up to log-level-console, minus what already went to stderr) and the log file (long form,
 * up to log-level-file). Writes are synchronous so output survives an immediate process exit and
 * stays in order.
 */
export class Logger {
  private settings: LoggerSettings;
  private fileFd: number | undefined;
  /** Values that must never reach any destination (keys, passes), replaced by <redacted>. */
  private secrets: string[] = [];
  /** Put before every message (`[DRY-RUN] ` for expire --dry-run, as pgBackRest does). */
  private messagePrefix = '';
  /** Set once a write to stdout failed (its reader went away): later lines skip it. */
  private stdoutFailed = false;

  constructor(settings: LoggerSettings, private readonly processId = 0) {
    this.settings = settings;
  }

  configure(settings: LoggerSettings, secrets: string[] = []): void {
    this.closeFile();
    this.settings = settings;
    this.secrets = secrets.filter((s) => s.length >= 4);
    if (settings.filePath && settings.file !== 'off') this.openFile(settings.filePath);
  }

  private openFile(path: string): void {
    try {
      const fd = openSync(path, 'a', 0o640);
      const banner = '-------------------PROCESS START-------------------\n';
      writeAllSync(fd, (fstatSync(fd).size > 0 ? '\n' : '') + banner);
      this.fileFd = fd;
    } catch (e) {
      this.fileFd = undefined;
      const reason = strerror(e);
      this.write('warn', `unable to open log file '${path}': ${reason}\nNOTE: process will continue without log file.`);
    }
  }

  closeFile(): void {
    if (this.fileFd !== undefined) closeSync(this.fileFd);
    this.fileFd = undefined;
  }

  setMessagePrefix(prefix: string): void {
    this.messagePrefix = prefix;
  }

  /** Whether `level` reaches the terminal (stdout or stderr), leaving the log file aside. */
  toConsole(level: LogLevel): boolean {
    const r = levelRank(level);
    return r <= levelRank(this.settings.console) || r <= levelRank(this.settings.stderr);
  }

  enabled(level: LogLevel): boolean {
    const r = levelRank(level);
    const s = this.settings;
    return r <= levelRank(s.console) || r <= levelRank(s.stderr) || (this.fileFd !== undefined && r <= levelRank(s.file));
  }

  error(message: string, code?: number): void { this.write('error', message, code); }
  warn(message: string): void { this.write('warn', message); }
  info(message: string): void { this.write('info', message); }
  detail(message: string): void { this.write('detail', message); }
  debug(message: string): void { this.write('debug', message); }

  /** Log as another process number (P01 … for parallel workers). */
  write(level: LogLevel, message: string, code?: number, processId = this.processId): void {
    if (!this.enabled(level)) return;
    const rec: LogRecord = { level, message: this.redact(this.messagePrefix + message), code, processId, time: new Date() };
    const r = levelRank(level);
    const s = this.settings;
    const opts = { timestamp: s.timestamp, processMax: s.processMax };
    if (r <= levelRank(s.stderr)) writeAllSync(2, formatShort(rec) + '\n');
    else if (r <= levelRank(s.console) && !this.stdoutFailed) this.writeStdout(formatLong(rec, opts) + '\n');
    if (this.fileFd !== undefined && r <= levelRank(s.file)) writeAllSync(this.fileFd, formatLong(rec, opts) + '\n');
  }

  /**
   * A line pgBackRest would print to stdout. When that fails (stdout closed early, as with
   * `| head`) the command stops with pgBackRest's FileWriteError text, once: the error itself and
   * the lines after it go to stderr and the log file only.
   */
  private writeStdout(text: string): void {
    try {
      writeAllSync(1, text);
    } catch (e) {
      this.stdoutFailed = true;
      throw sysErr('FileWriteError', 'unable to write log to stdout', e);
    }
  }

  private redact(message: string): string {
    return this.secrets.length === 0 ? message : redactSecrets(message, this.secrets);
  }
}

/** Defaults before the configuration is read (used for option errors). */
export const DEFAULT_LOGGER_SETTINGS: LoggerSettings = {
  console: 'warn',
  stderr: 'warn',
  file: 'off',
  timestamp: true,
  processMax: 1,
};
