import { defineConfig } from 'vitest/config';

// Two cores: test files run one after another, because tests that start spinning
// worker threads stall each other (and the runner) when more threads are busy than cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
