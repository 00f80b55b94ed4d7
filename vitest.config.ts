import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // every temporary folder of a run under one, removed at its end
    globalSetup: ['test/setup/run-tmpdir.ts', 'test/setup/contract-check.ts'],
    // Suites start real brokers, ptys and child daemons: give them room, and keep
    // the 2-core CI machine from oversubscribing.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
