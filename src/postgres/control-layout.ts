/**
 * Byte offsets inside pg_control (ControlFileData) per PostgreSQL major, computed from the struct
 * declarations in PostgreSQL's pg_control.h with x86-64/aarch64 C alignment rules (each field aligned
 * to its size, structs to their largest member). Only the fields we read get named offsets.
 */
import { PG_VERSION_10, PG_VERSION_11, PG_VERSION_12 } from './version.js';

type Scalar = 'bool' | 'u32' | 'u64' | 'f64' | 'nonce';
type Field = [name: string, type: Scalar | Field[]];

const SIZE: Record<Scalar, number> = { bool: 1, u32: 4, u64: 8, f64: 8, nonce: 32 };
const ALIGN: Record<Scalar, number> = { bool: 1, u32: 4, u64: 8, f64: 8, nonce: 1 };

/** CheckPoint, the copy of the last checkpoint record kept in pg_control. */
function checkPointFields(num: number): Field[] {
  const xid: Field[] =
    num >= 170000
      ? [['wal_level', 'u32'], ['nextXid', 'u64']]
      : num >= PG_VERSION_12
        ? [['nextFullXid', 'u64']]
        : [['nextXidEpoch', 'u32'], ['nextXid', 'u32']];
  const commitTs: Field[] = num >= 90500 ? [['oldestCommitTsXid', 'u32'], ['newestCommitTsXid', 'u32']] : [];
  return [
    ['redo', 'u64'], ['ThisTimeLineID', 'u32'], ['PrevTimeLineID', 'u32'], ['fullPageWrites', 'bool'], ...xid,
    ['nextOid', 'u32'], ['nextMulti', 'u32'], ['nextMultiOffset', 'u32'], ['oldestXid', 'u32'], ['oldestXidDB', 'u32'],
    ['oldestMulti', 'u32'], ['oldestMultiDB', 'u32'], ['time', 'u64'], ...commitTs, ['oldestActiveXid', 'u32'],
  ];
}

function controlFields(num: number): Field[] {
  const when = (cond: boolean, fields: Field[]): Field[] => (cond ? fields : []);
  return [
    ['system_identifier', 'u64'], ['pg_control_version', 'u32'], ['catalog_version_no', 'u32'], ['state', 'u32'],
    ['time', 'u64'], ['checkPoint', 'u64'],
    ...when(num < PG_VERSION_11, [['prevCheckPoint', 'u64']]),
    ['checkPointCopy', checkPointFields(num)],
    ['unloggedLSN', 'u64'], ['minRecoveryPoint', 'u64'], ['minRecoveryPointTLI', 'u32'], ['backupStartPoint', 'u64'],
    ['backupEndPoint', 'u64'], ['backupEndRequired', 'bool'], ['wal_level', 'u32'], ['wal_log_hints', 'bool'],
    ['MaxConnections', 'u32'], ['max_worker_processes', 'u32'],
    ...when(num >= PG_VERSION_12, [['max_wal_senders', 'u32']]),
    ['max_prepared_xacts', 'u32'], ['max_locks_per_xact', 'u32'],
    ...when(num >= 90500, [['track_commit_timestamp', 'bool']]),
    ['maxAlign', 'u32'], ['floatFormat', 'f64'], ['blcksz', 'u32'], ['relseg_size', 'u32'], ['xlog_blcksz', 'u32'],
    ['xlog_seg_size', 'u32'], ['nameDataLen', 'u32'], ['indexMaxKeys', 'u32'], ['toast_max_chunk_size', 'u32'],
    ['loblksize', 'u32'],
    ...when(num < PG_VERSION_10, [['enableIntTimes', 'bool']]),
    ...when(num < 130000, [['float4ByVal', 'bool']]),
    ['float8ByVal', 'bool'], ['data_checksum_version', 'u32'],
    ...when(num >= 180000, [['default_char_signedness', 'bool']]),
    ...when(num >= PG_VERSION_10, [['mock_authentication_nonce', 'nonce']]),
    ['crc', 'u32'],
  ];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Lays out a struct; returns its size, alignment and the offset of every (dotted) field name. */
function layout(fields: Field[], prefix = ''): { size: number; align: number; offsets: Map<string, number> } {
  const offsets = new Map<string, number>();
  let pos = 0;
  let maxAlign = 1;
  for (const [name, type] of fields) {
    if (Array.isArray(type)) {
      const inner = layout(type, `${prefix}${name}.`);
      pos = alignUp(pos, inner.align);
      for (const [k, v] of inner.offsets) offsets.set(k, pos + v);
      pos += inner.size;
      maxAlign = Math.max(maxAlign, inner.align);
    } else {
      pos = alignUp(pos, ALIGN[type]);
      offsets.set(prefix + name, pos);
      pos += SIZE[type];
      maxAlign = Math.max(maxAlign, ALIGN[type]);
    }
  }
  return { size: alignUp(pos, maxAlign), align: maxAlign, offsets };
}

export interface ControlLayout {
  checkPoint: number;
  timeline: number;
  blcksz: number;
  xlogBlcksz: number;
  xlogSegSize: number;
  dataChecksumVersion: number;
  crc: number;
}

const cache = new Map<number, ControlLayout>();

/** Offsets of the fields we read, for a major given as server_version_num style (150000). */
export function controlLayout(num: number): ControlLayout {
  let result = cache.get(num);
  if (result === undefined) {
    const { offsets } = layout(controlFields(num));
    const at = (name: string): number => offsets.get(name)!;
    result = {
      checkPoint: at('checkPoint'),
      timeline: at('checkPointCopy.ThisTimeLineID'),
      blcksz: at('blcksz'),
      xlogBlcksz: at('xlog_blcksz'),
      xlogSegSize: at('xlog_seg_size'),
      dataChecksumVersion: at('data_checksum_version'),
      crc: at('crc'),
    };
    cache.set(num, result);
  }
  return result;
}
