import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file runs in its own child process, so the children it spawns
    // and the signal handlers it installs cannot leak into another file.
    pool: 'forks',
    // End-to-end tests start real apps (Node startup, preload, framework
    // boot) and wait for exporters to flush: seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The CI machine has 2 cores, and every test file also spawns apps that
    // need CPU of their own; more than 2 parallel files only adds contention.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
