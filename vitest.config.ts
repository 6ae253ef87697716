import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the wasm kernels and dist/ when they are missing or older than their sources.
    globalSetup: ['test/setup/build-wasm.ts', 'test/setup/build-dist.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
