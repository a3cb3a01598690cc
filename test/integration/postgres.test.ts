import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectPg, type PgConnection } from '../../src/postgres/client.js';
import { readPgControl } from '../../src/postgres/control.js';
import { lsnToWalSegment, parseLsn } from '../../src/postgres/lsn.js';
import { currentWal, initSession, switchWal, systemIdentifier } from '../../src/postgres/session.js';
import { pgWalPath } from '../../src/postgres/version.js';
import { readWalHeader } from '../../src/postgres/wal.js';
import { availableVersions, startCluster, type Cluster } from '../harness/pg.js';
import { runCmd } from '../harness/run.js';
import { isRoot } from '../harness/tmp.js';

const otherMajors = availableVersions().filter((v) => v !== 15);

describe.each([
  { version: 15, walSegmentSizeMb: undefined, dataChecksums: true },
  ...otherMajors.map((version) => ({ version, walSegmentSizeMb: 4, dataChecksums: version % 2 === 0 })),
])('PostgreSQL $version', ({ version, walSegmentSizeMb, dataChecksums }) => {
  let cluster: Cluster;
  let db: PgConnection;

  beforeAll(async () => {
    cluster = await startCluster({ version, walSegmentSizeMb, dataChecksums });
    db = await connectPg({ port: cluster.port, socketPath: cluster.socketDir, user: cluster.user, database: 'postgres', command: 'backup' });
  });

  afterAll(async () => {
    await db?.close();
    await cluster?.cleanup();
  });

  test('pg_control matches the server', async () => {
    const pc = await readPgControl(cluster.pgdata);
    expect(pc.version).toBe(String(version));
    expect(pc.systemId).toBe(await systemIdentifier(db));
    const [init] = await cluster.query<{ bytes_per_wal_segment: number; data_page_checksum_version: number }>(
      'select bytes_per_wal_segment, data_page_checksum_version from pg_control_init()',
    );
    expect(pc.walSegmentSize).toBe(init!.bytes_per_wal_segment);
    expect(pc.walSegmentSize).toBe((walSegmentSizeMb ?? 16) * 1024 * 1024);
    expect(pc.pageChecksum).toBe(dataChecksums);
    expect(pc.crcValid).toBe(true);
    const [cp] = await cluster.query<{ lsn: string; tli: number }>('select checkpoint_lsn::text as lsn, timeline_id as tli from pg_control_checkpoint()');
    expect(pc.checkpointLsn).toBe(cp!.lsn);
    expect(pc.timeline).toBe(cp!.tli);
  });

  test('session setup reads settings through the socket', async () => {
    const info = await initSession(db, 'backup');
    expect(info.majorNum).toBe(version * 10000);
    expect(info.dataDirectory).toBe(cluster.pgdata);
    expect(info.inRecovery).toBe(false);
    const [row] = await db.query<{ app: string; search_path: string }>(
      "select current_setting('application_name') as app, current_setting('search_path') as search_path",
    );
    expect(row).toEqual({ app: 'pgBackRest [backup]', search_path: 'pg_catalog' });
    // Confirms the connection really went through the Unix socket (no client address).
    const [addr] = await db.query<{ a: string | null }>('select inet_client_addr()::text as a');
    expect(addr!.a).toBeNull();
  });

  test('a switched WAL segment has a header matching pg_control', async () => {
    const pc = await readPgControl(cluster.pgdata);
    await cluster.query('create table if not exists public.t (i int); insert into public.t select generate_series(1, 100)');
    const before = await currentWal(db, pc.versionNum);
    expect(before.segment).toBe(lsnToWalSegment(pc.timeline, parseLsn(before.lsn), pc.walSegmentSize));
    const segment = await switchWal(db, pc.versionNum);
    expect(segment).toBe(before.segment);
    const header = await readWalHeader(join(cluster.pgdata, pgWalPath(pc.versionNum), segment));
    expect(header.version).toBe(pc.version);
    expect(header.systemId).toBe(pc.systemId);
    expect(header.segmentSize).toBe(pc.walSegmentSize);
    expect(header.timeline).toBe(pc.timeline);
    expect(lsnToWalSegment(header.timeline, header.pageAddress, header.segmentSize)).toBe(segment);
  });

  test('query errors are DbQueryError with the SQL and the server message', async () => {
    await expect(db.query('select * from missing_table')).rejects.toMatchObject({
      type: 'DbQueryError',
      code: 57,
      message: 'unable to execute query \'select * from missing_table\': ERROR:  relation "missing_table" does not exist',
    });
  });
});

describe('connection errors', () => {
  test('no server on the socket → DbConnectError in pgBackRest/libpq wording', async () => {
    await expect(connectPg({ port: 1, socketPath: '/nonexistent-dir', database: 'postgres' })).rejects.toMatchObject({
      type: 'DbConnectError',
      code: 56,
      message:
        "unable to connect to 'dbname='postgres' port=1 host='/nonexistent-dir'': connection to server on socket " +
        '"/nonexistent-dir/.s.PGSQL.1" failed: No such file or directory\n' +
        '\tIs the server running locally and accepting connections on that socket?',
    });
  });
});

describe('harness', () => {
  test('runCmd runs as postgres when root and asked to', async () => {
    const r = await runCmd('id', ['-un'], { asPostgres: true });
    expect(r.code).toBe(0);
    if (isRoot) expect(r.stdout.trim()).toBe('postgres');
    expect(await runCmd('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'abc' })).toEqual({ code: 3, stdout: 'abc', stderr: 'err\n' });
  });
});

describe('connection error text', () => {
  test('user and host appear in conninfo as pgBackRest prints them', async () => {
    const { connInfoText, libpqMessage } = await import('../../src/postgres/client.js');
    expect(connInfoText({ port: 5999, database: 'postgres', user: 'bob', socketPath: '/tmp/pgbrx' })).toBe(
      "dbname='postgres' port=5999 user='bob' host='/tmp/pgbrx'",
    );
    expect(connInfoText({ port: 5432, database: "it's" })).toBe("dbname='it\\'s' port=5432");
    const refused = Object.assign(new Error('x'), { code: 'ECONNREFUSED' });
    expect(libpqMessage(refused, '127.0.0.1', 5)).toBe(
      'connection to server at "127.0.0.1", port 5 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?',
    );
  });
});
