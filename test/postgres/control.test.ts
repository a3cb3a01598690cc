import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isPgbrError } from '../../src/error/error.js';
import { controlLayout } from '../../src/postgres/control-layout.js';
import { parsePgControl, readPgControl } from '../../src/postgres/control.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'postgres');

interface Meta {
  version_num: number;
  system_identifier: string;
  pg_control_version: number;
  catalog_version_no: number;
  checkpoint_lsn: string;
  timeline_id: number;
  block_size: number;
  wal_block_size: number;
  bytes_per_wal_segment: number;
  data_page_checksum_version: number;
}

const fixture = (name: string): { control: Buffer; meta: Meta } => ({
  control: readFileSync(join(FIXTURES, `${name}.pg_control`)),
  meta: JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Meta,
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('parsePgControl on real pg_control files', () => {
  test.each([
    ['pg15', '15'],
    ['pg17', '17'],
    ['pg18-1mb', '18'],
  ])('%s matches what the server reported', (name, version) => {
    const { control, meta } = fixture(name);
    const pc = parsePgControl(control);
    expect(pc.version).toBe(version);
    expect(pc.versionNum).toBe(Math.floor(meta.version_num / 10000) * 10000);
    expect(pc.systemId).toBe(BigInt(meta.system_identifier));
    expect(pc.controlVersion).toBe(meta.pg_control_version);
    expect(pc.catalogVersion).toBe(meta.catalog_version_no);
    expect(pc.checkpointLsn).toBe(meta.checkpoint_lsn);
    expect(pc.timeline).toBe(meta.timeline_id);
    expect(pc.pageSize).toBe(meta.block_size);
    expect(pc.walPageSize).toBe(meta.wal_block_size);
    expect(pc.walSegmentSize).toBe(meta.bytes_per_wal_segment);
    expect(pc.dataChecksumVersion).toBe(meta.data_page_checksum_version);
    expect(pc.pageChecksum).toBe(meta.data_page_checksum_version !== 0);
    expect(pc.crcValid).toBe(true);
  });

  test('exact values of the PG 15 fixture', () => {
    const pc = parsePgControl(fixture('pg15').control);
    expect(pc.systemId).toBe(7712298184089258389n);
    expect([pc.controlVersion, pc.catalogVersion, pc.walSegmentSize]).toEqual([1300, 202209061, 16777216]);
  });

  test('a flipped byte inside the CRC-covered area is reported', () => {
    const buf = Buffer.from(fixture('pg15').control);
    buf[controlLayout(150000).crc - 40]! ^= 0xff;
    expect(parsePgControl(buf).crcValid).toBe(false);
  });

  test('layout offsets: the CRC follows the data of each format', () => {
    expect(controlLayout(90400).crc).toBe(240);
    expect(controlLayout(90600).crc).toBe(256);
    expect(controlLayout(150000).crc).toBe(288);
    expect(controlLayout(180000).crc).toBe(292);
    expect(controlLayout(110000).timeline).toBe(48);
    expect(controlLayout(100000).timeline).toBe(56);
  });
});

describe('parsePgControl errors', () => {
  test('unknown control/catalog version → VersionNotSupportedError with pgBackRest text', () => {
    const buf = Buffer.from(fixture('pg15').control);
    buf.writeUInt32LE(202209999, 12);
    const e = thrown(() => parsePgControl(buf));
    expect(isPgbrError(e, 'VersionNotSupportedError')).toBe(true);
    if (!isPgbrError(e)) return;
    expect(e.code).toBe(46);
    expect(e.fullMessage).toBe(
      'unexpected control version = 1300 and catalog version = 202209999\nHINT: is this version of PostgreSQL supported?',
    );
  });

  test('page size other than 8192 → FormatError', () => {
    const buf = Buffer.from(fixture('pg15').control);
    buf.writeUInt32LE(16384, controlLayout(150000).blcksz);
    const e = thrown(() => parsePgControl(buf));
    expect(isPgbrError(e, 'FormatError') && e.message).toBe('page size is 16384 but must be 8192');
  });

  test('non-default WAL segment size before PG 11 → FormatError', () => {
    const buf = Buffer.alloc(8192);
    buf.writeUInt32LE(1002, 8);
    buf.writeUInt32LE(201707211, 12);
    const at = controlLayout(100000);
    buf.writeUInt32LE(8192, at.blcksz);
    buf.writeUInt32LE(1048576, at.xlogSegSize);
    const e = thrown(() => parsePgControl(buf));
    expect(isPgbrError(e, 'FormatError') && e.message).toBe('wal segment size is 1048576 but must be 16777216 for PostgreSQL <= 10');
  });

  test('readPgControl: missing and short files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgbr-control-'));
    try {
      await expect(readPgControl(dir)).rejects.toMatchObject({
        type: 'FileMissingError',
        code: 55,
        message: `unable to open missing file '${dir}/global/pg_control' for read`,
      });
      mkdirSync(join(dir, 'global'));
      writeFileSync(join(dir, 'global', 'pg_control'), Buffer.alloc(100));
      await expect(readPgControl(dir)).rejects.toMatchObject({
        type: 'FileReadError',
        message: `unable to read 512 byte(s) from '${dir}/global/pg_control'`,
      });
      writeFileSync(join(dir, 'global', 'pg_control'), fixture('pg17').control);
      expect((await readPgControl(dir)).version).toBe('17');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('openReadError', () => {
  test('pgBackRest wording per errno', async () => {
    const { openReadError } = await import('../../src/postgres/file-error.js');
    const errno = (code: string) => Object.assign(new Error(`${code}: x`), { code });
    expect(openReadError('/p/global/pg_control', errno('EACCES'))).toMatchObject({
      type: 'FileOpenError',
      code: 41,
      message: "unable to open file '/p/global/pg_control' for read: [13] Permission denied",
    });
    expect(openReadError('/p/f', errno('ENOENT')).message).toBe("unable to open missing file '/p/f' for read");
  });
});
