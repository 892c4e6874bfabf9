import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    // Generous: a test fails on what it waits for (waitFor names it), not on a machine that is
    // slow today (two CPU hogs beside the suite make a CLI call take seconds).
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Real processes and sockets: keep parallelism to the machine's 2 cores.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
