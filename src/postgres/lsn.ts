/**
 * LSNs and WAL segment names. An LSN is a 64-bit byte position in the WAL stream (text `%X/%X`);
 * a segment name is `<timeline 8 hex><high 32 bits 8 hex><segment within the 4 GiB "log" 8 hex>`.
 */
import { err } from '../error/error.js';

const SEGMENT_RE = /^[0-9A-F]{24}$/;

/** "0/3000028" → 0x3000028n (hex is case-insensitive, as PostgreSQL accepts). */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (m === null) throw err('FormatError', `invalid lsn '${text}'`);
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

/** PostgreSQL's own text form: upper-case hex, no padding ("0/30002C8"). */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

const hex8 = (n: number | bigint): string => n.toString(16).toUpperCase().padStart(8, '0');

export function isWalSegmentName(name: string): boolean {
  return SEGMENT_RE.test(name);
}

function checkSegment(name: string): void {
  if (!SEGMENT_RE.test(name)) throw err('FormatError', `invalid WAL segment name '${name}'`);
}

/** Segment holding `lsn` (pg_walfile_name, except PostgreSQL's boundary rule: see lsnToStopSegment). */
export function lsnToWalSegment(timeline: number, lsn: bigint, segmentSize: number): string {
  return hex8(timeline) + hex8(lsn >> 32n) + hex8((lsn & 0xffffffffn) / BigInt(segmentSize));
}

/**
 * pg_walfile_name() semantics: an LSN exactly on a segment boundary names the previous segment
 * (the WAL up to that point ends there). Used for backup stop positions.
 */
export function lsnToStopSegment(timeline: number, lsn: bigint, segmentSize: number): string {
  return lsnToWalSegment(timeline, lsn === 0n ? 0n : lsn - 1n, segmentSize);
}

/** First LSN of a segment. */
export function walSegmentToLsn(name: string, segmentSize: number): bigint {
  checkSegment(name);
  return (BigInt(`0x${name.slice(8, 16)}`) << 32n) + BigInt(`0x${name.slice(16, 24)}`) * BigInt(segmentSize);
}

export function timelineFromWalSegment(name: string): number {
  checkSegment(name);
  return Number.parseInt(name.slice(0, 8), 16);
}

/** Parses a timeline id written in hex (as in segment and history file names): "0000000A" → 10. */
export function parseTimeline(text: string): number {
  if (!/^[0-9A-Fa-f]{1,8}$/.test(text)) throw err('FormatError', `invalid timeline '${text}'`);
  return Number.parseInt(text, 16);
}

/** Segments per 4 GiB "log" id; the last one is `0xFFFFFFFF / size` (255 for 16 MiB), as pgBackRest counts. */
function segmentsPerLog(segmentSize: number): number {
  return Math.floor(0xffffffff / segmentSize) + 1;
}

/** The segment after `name` on the same timeline. */
export function nextWalSegment(name: string, segmentSize: number): string {
  checkSegment(name);
  let log = Number.parseInt(name.slice(8, 16), 16);
  let seg = Number.parseInt(name.slice(16, 24), 16) + 1;
  if (seg >= segmentsPerLog(segmentSize)) {
    log++;
    seg = 0;
  }
  return name.slice(0, 8) + hex8(log) + hex8(seg);
}

/** Every segment from the one holding `start` to the one holding `stop`, inclusive (pgLsnRangeToWalSegmentList). */
export function lsnRangeToWalSegments(timeline: number, start: bigint, stop: bigint, segmentSize: number): string[] {
  if (start > stop) throw err('AssertError', 'lsn range start is after stop');
  const last = lsnToWalSegment(timeline, stop, segmentSize);
  const result = [lsnToWalSegment(timeline, start, segmentSize)];
  while (result[result.length - 1] !== last) result.push(nextWalSegment(result[result.length - 1]!, segmentSize));
  return result;
}

/** Every segment name from `first` to `last` inclusive (same timeline). */
export function walSegmentRange(first: string, last: string, segmentSize: number): string[] {
  checkSegment(last);
  if (first.slice(0, 8) !== last.slice(0, 8) || first.slice(8) > last.slice(8)) {
    throw err('AssertError', `invalid WAL segment range '${first}:${last}'`);
  }
  const result = [first];
  while (result[result.length - 1] !== last) result.push(nextWalSegment(result[result.length - 1]!, segmentSize));
  return result;
}
