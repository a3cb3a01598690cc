/**
 * The long page header at the start of every WAL segment (XLogLongPageHeaderData): which major
 * wrote it (from xlp_magic), the system identifier and segment size, as archive-push checks them.
 */
import { open } from 'node:fs/promises';
import { err } from '../error/error.js';
import { openReadError } from './file-error.js';
import { checkWalSegmentSize } from './control.js';
import { formatLsn } from './lsn.js';
import { PG_VERSIONS, pgVersionToStr } from './version.js';

/** pgBackRest reads this many bytes: more than the header, but one small read on any system. */
export const PG_WAL_HEADER_SIZE = 512;
const XLP_LONG_HEADER = 0x0002;

export interface PgWalHeader {
  magic: number;
  info: number;
  /** server_version_num style major and the info-file form ("15"). */
  versionNum: number;
  version: string;
  timeline: number;
  pageAddress: bigint;
  pageAddressLsn: string;
  systemId: bigint;
  segmentSize: number;
  walPageSize: number;
}

/** Parses the first page header of a WAL segment (pgWalFromBuffer). */
export function parseWalHeader(buf: Buffer): PgWalHeader {
  if (buf.length < 40) throw err('FormatError', `WAL header is ${buf.length} byte(s) but must be at least 40`);
  const magic = buf.readUInt16LE(0);
  const info = buf.readUInt16LE(2);
  if ((info & XLP_LONG_HEADER) === 0) {
    throw err('FormatError', 'first page header in WAL file is expected to be in long format');
  }
  const pg = PG_VERSIONS.find((v) => v.walMagic === magic);
  if (pg === undefined) {
    throw err('VersionNotSupportedError', `unexpected WAL magic ${magic}`, { hints: ['is this version of PostgreSQL supported?'] });
  }
  // XLogPageHeaderData is 20 bytes padded to 24, then sysid (8), seg_size (4), xlog_blcksz (4).
  const pageAddress = buf.readBigUInt64LE(8);
  const header: PgWalHeader = {
    magic,
    info,
    versionNum: pg.num,
    version: pgVersionToStr(pg.num),
    timeline: buf.readUInt32LE(4),
    pageAddress,
    pageAddressLsn: formatLsn(pageAddress),
    systemId: buf.readBigUInt64LE(24),
    segmentSize: buf.readUInt32LE(32),
    walPageSize: buf.readUInt32LE(36),
  };
  checkWalSegmentSize(header.versionNum, header.segmentSize);
  return header;
}

/** Reads the first PG_WAL_HEADER_SIZE bytes of a WAL file and parses them, with pgBackRest's read errors. */
export async function readWalHeader(path: string): Promise<PgWalHeader> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw openReadError(path, e);
  }
  try {
    const buf = Buffer.alloc(PG_WAL_HEADER_SIZE);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await file.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < PG_WAL_HEADER_SIZE) throw err('FileReadError', `unable to read ${PG_WAL_HEADER_SIZE} byte(s) from '${path}'`);
    return parseWalHeader(buf);
  } finally {
    await file.close();
  }
}
