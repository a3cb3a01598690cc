import { s3DetailsFromEnv, s3DetailsToEnv, startS3rver, type S3Server } from './s3.js';

/**
 * Starts one S3 server for the whole test run, unless PGBR_TEST_S3_ENDPOINT names an external
 * one. Its details go into PGBR_TEST_S3_* in this process's environment, which the forked test
 * workers inherit (vitest creates the pool after global setup).
 */
let server: S3Server | undefined;

export async function setup(): Promise<void> {
  if (s3DetailsFromEnv() !== undefined) return;
  server = await startS3rver();
  s3DetailsToEnv(server);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
