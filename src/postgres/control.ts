/**
 * Reads PostgreSQL's global/pg_control: which major made it (from the control and catalog
 * versions, as pgBackRest's pgControlFromBuffer does), the system identifier, page and WAL sizes,
 * checksum version and the last checkpoint.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { err } from '../error/error.js';
import { openReadError } from './file-error.js';
import { controlLayout } from './control-layout.js';
import { crc32c } from './crc32c.js';
import { formatLsn } from './lsn.js';
import { PAGE_SIZE_DEFAULT, PG_VERSIONS, PG_VERSION_11, WAL_SEGMENT_SIZE_DEFAULT, pgVersionToStr } from './version.js';

/** pgBackRest reads only the first 512 bytes: PostgreSQL keeps the live data in one disk sector. */
export const PG_CONTROL_DATA_SIZE = 512;
export const PG_CONTROL_PATH = 'global/pg_control';

export interface PgControl {
  /** server_version_num style major: 150000. */
  versionNum: number;
  /** As written in info files: "15", "9.6". */
  version: string;
  systemId: bigint;
  controlVersion: number;
  catalogVersion: number;
  pageSize: number;
  walPageSize: number;
  walSegmentSize: number;
  /** 0 when data checksums are off. */
  dataChecksumVersion: number;
  pageChecksum: boolean;
  /** LSN of the last checkpoint record, and its timeline. */
  checkpoint: bigint;
  checkpointLsn: string;
  timeline: number;
  /** CRC-32C stored in the file matches its contents (always true before 9.5, which is not checked). */
  crcValid: boolean;
}

/** Errors unless the WAL segment size is the fixed 16 MiB on majors before 11 (pgWalSegmentSizeCheck). */
export function checkWalSegmentSize(versionNum: number, walSegmentSize: number): void {
  if (versionNum < PG_VERSION_11 && walSegmentSize !== WAL_SEGMENT_SIZE_DEFAULT) {
    throw err(
      'FormatError',
      `wal segment size is ${walSegmentSize} but must be ${WAL_SEGMENT_SIZE_DEFAULT} for PostgreSQL <= 10`,
    );
  }
}

export function parsePgControl(buf: Buffer): PgControl {
  if (buf.length < PG_CONTROL_DATA_SIZE) {
    throw err('FormatError', `pg_control is ${buf.length} byte(s) but must be at least ${PG_CONTROL_DATA_SIZE}`);
  }
  const controlVersion = buf.readUInt32LE(8);
  const catalogVersion = buf.readUInt32LE(12);
  const info = PG_VERSIONS.find((v) => v.controlVersion === controlVersion && v.catalogVersion === catalogVersion);
  if (info === undefined) {
    throw err('VersionNotSupportedError', `unexpected control version = ${controlVersion} and catalog version = ${catalogVersion}`, {
      hints: ['is this version of PostgreSQL supported?'],
    });
  }

  const at = controlLayout(info.num);
  const checkpoint = buf.readBigUInt64LE(at.checkPoint);
  const dataChecksumVersion = buf.readUInt32LE(at.dataChecksumVersion);
  const result: PgControl = {
    versionNum: info.num,
    version: pgVersionToStr(info.num),
    systemId: buf.readBigUInt64LE(0),
    controlVersion,
    catalogVersion,
    pageSize: buf.readUInt32LE(at.blcksz),
    walPageSize: buf.readUInt32LE(at.xlogBlcksz),
    walSegmentSize: buf.readUInt32LE(at.xlogSegSize),
    dataChecksumVersion,
    pageChecksum: dataChecksumVersion !== 0,
    checkpoint,
    checkpointLsn: formatLsn(checkpoint),
    timeline: buf.readUInt32LE(at.timeline),
    crcValid: info.num < 90500 || crc32c(buf.subarray(0, at.crc)) === buf.readUInt32LE(at.crc),
  };

  checkWalSegmentSize(result.versionNum, result.walSegmentSize);
  if (result.pageSize !== PAGE_SIZE_DEFAULT) {
    throw err('FormatError', `page size is ${result.pageSize} but must be ${PAGE_SIZE_DEFAULT}`);
  }
  return result;
}

/** Reads and parses `<pgPath>/global/pg_control` with pgBackRest's errors for a missing or short file. */
export async function readPgControl(pgPath: string): Promise<PgControl> {
  const path = join(pgPath, PG_CONTROL_PATH);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw openReadError(path, e);
  }
  if (buf.length < PG_CONTROL_DATA_SIZE) {
    throw err('FileReadError', `unable to read ${PG_CONTROL_DATA_SIZE} byte(s) from '${path}'`);
  }
  return parsePgControl(buf);
}
