import { formatSize } from '../util/format.js';

/** What a progress line shows: counts so far and the time since the copy started. */
export interface ProgressState {
  label: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  elapsedMs: number;
}

/** Below this much elapsed time a rate (and so an ETA) would be noise. */
const MIN_RATE_MS = 1000;

/**
 * Percent complete in hundredths, truncated like pgBackRest's backup log and lock file
 * (`(unsigned int)(done / total * 10000)`); an empty set is complete.
 */
export function percentHundredths(done: number, total: number): number {
  return total === 0 ? 10000 : Math.floor((done / total) * 10000);
}

/** `12.34` from 1234 hundredths. */
export function percentText(hundredths: number): string {
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`;
}

/** Bytes per second since the start; undefined until there is enough time to say. */
export function rate(s: ProgressState): number | undefined {
  if (s.elapsedMs < MIN_RATE_MS) return undefined;
  return (s.bytesDone * 1000) / s.elapsedMs;
}

/** Seconds left at the average rate so far; undefined while the rate is unknown or zero. */
export function etaSeconds(s: ProgressState): number | undefined {
  const r = rate(s);
  if (r === undefined || r <= 0) return undefined;
  return Math.ceil(Math.max(0, s.bytesTotal - s.bytesDone) / r);
}

/** `0:07`, `12:30`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `backup: 12/980 files, 1.2MB/22.7MB (5.28%), 3.1MB/s, ETA 0:07` */
export function formatProgress(s: ProgressState): string {
  const r = rate(s);
  const eta = etaSeconds(s);
  const pct = percentText(percentHundredths(s.bytesDone, s.bytesTotal));
  return (
    `${s.label}: ${s.filesDone}/${s.filesTotal} files, ${formatSize(s.bytesDone)}/${formatSize(s.bytesTotal)} (${pct}%), ` +
    `${r === undefined ? '--' : `${formatSize(Math.round(r))}/s`}, ETA ${eta === undefined ? '--:--' : formatDuration(eta)}`
  );
}
