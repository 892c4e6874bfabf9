import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real processes and sockets: keep parallelism to the machine's 2 cores.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
