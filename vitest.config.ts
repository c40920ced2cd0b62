import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/stack-setup.ts'],
    // Tests start real servers (PostgreSQL clusters, dynalite, s3rver, cognito-local): give them time,
    // and keep parallelism to what a 2-core machine can carry.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
