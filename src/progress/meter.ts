import type { Logger } from '../log/logger.js';
import { writeAllSync } from '../log/write.js';
import { formatProgress, type ProgressState } from './format.js';

/**
 * A live progress line for backup and restore, drawn on the terminal only.
 *
 * - It is shown only when stdout is a terminal and no log destination prints per-file `detail`
 *   lines (those already carry the percent). Piped or redirected output gets nothing new, so it
 *   stays byte-for-byte what pgBackRest prints.
 * - The line lives on stdout, where console log lines go: `\r`, the text cut to the terminal width
 *   (a wrapped line could not be erased with `\r`), then erase-to-end-of-line. The cursor stays at
 *   its end.
 * - Log lines written while it is shown go through `Progress.log`, which erases the line first and
 *   draws it again after, so log lines are never mixed with it. SIGINT/SIGTERM erase it before the
 *   CLI logs the signal. `stop()` erases it for good; call it in a `finally`.
 */
export interface Progress {
  /** One more file finished; `size` of its bytes count as done. */
  fileDone(size: number): void;
  /** The logger to use while the line may be on screen. */
  readonly log: Logger;
  stop(): void;
}

/** Where the line is drawn; process.stdout unless a test gives another. */
export interface ProgressOutput {
  isTTY: boolean;
  /** Terminal width; undefined = unknown. */
  columns?: number;
  write(text: string): void;
}

export interface ProgressOptions {
  label: string;
  filesTotal: number;
  bytesTotal: number;
  log: Logger;
  out?: ProgressOutput;
  now?: () => number;
  /** Least time between two redraws caused by finished files. */
  minRedrawMs?: number;
  /** Redraw this often anyway so rate and ETA move while big files copy; 0 = never. */
  tickMs?: number;
}

const ERASE = '\r\x1b[K';
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function stdoutOutput(): ProgressOutput {
  return {
    isTTY: process.stdout.isTTY === true && process.env.TERM !== 'dumb',
    columns: process.stdout.columns,
    write: (text) => writeAllSync(1, text),
  };
}

/** Shown only on a terminal and when no destination logs per-file lines. */
export function progressWanted(log: Logger, out: ProgressOutput): boolean {
  return out.isTTY && !log.toConsole('detail');
}

export function startProgress(o: ProgressOptions): Progress {
  const out = o.out ?? stdoutOutput();
  if (!progressWanted(o.log, out)) return { fileDone: () => undefined, log: o.log, stop: () => undefined };
  return new TerminalProgress(o, out);
}

class TerminalProgress implements Progress {
  readonly log: Logger;
  private readonly now: () => number;
  private readonly started: number;
  private state: ProgressState;
  private shown = false;
  private stopped = false;
  private lastDraw = -Infinity;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onSignal = (): void => this.erase();

  constructor(private readonly o: ProgressOptions, private readonly out: ProgressOutput) {
    this.now = o.now ?? Date.now;
    this.started = this.now();
    this.state = { label: o.label, filesDone: 0, filesTotal: o.filesTotal, bytesDone: 0, bytesTotal: o.bytesTotal, elapsedMs: 0 };
    this.log = this.wrapLogger(o.log);
    // Before the CLI's own handlers, which log the signal and exit.
    for (const s of SIGNALS) process.prependListener(s, this.onSignal);
    const tick = o.tickMs ?? 1000;
    this.timer = tick > 0 ? setInterval(() => this.draw(), tick) : undefined;
    this.timer?.unref();
    this.draw();
  }

  fileDone(size: number): void {
    this.state.filesDone++;
    this.state.bytesDone += size;
    if (this.now() - this.lastDraw >= (this.o.minRedrawMs ?? 100)) this.draw();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const s of SIGNALS) process.removeListener(s, this.onSignal);
    this.erase();
  }

  private draw(): void {
    if (this.stopped) return;
    this.lastDraw = this.now();
    this.state.elapsedMs = this.lastDraw - this.started;
    let text = formatProgress(this.state);
    const width = this.out.columns;
    if (width !== undefined && width > 1 && text.length >= width) text = text.slice(0, width - 1);
    this.out.write(`\r${text}\x1b[K`);
    this.shown = true;
  }

  private erase(): void {
    if (!this.shown) return;
    this.out.write(ERASE);
    this.shown = false;
  }

  /**
   * The same logger seen through an object whose `write` erases the line first and draws it again
   * after. The level methods (`warn`, `info`, ...) call `this.write`, so they go through it too.
   */
  private wrapLogger(log: Logger): Logger {
    const wrapped = Object.create(log) as Logger;
    wrapped.write = (...args: Parameters<Logger['write']>): void => {
      if (!log.enabled(args[0])) return;
      const wasShown = this.shown;
      this.erase();
      log.write(...args);
      if (wasShown) this.draw();
    };
    return wrapped;
  }
}
