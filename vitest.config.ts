import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration suites start PostgreSQL clusters and an S3 server; two cores cannot run many at once.
    maxWorkers: 2,
    globalSetup: ['test/harness/global-setup.ts'],
  },
});
