import { defineConfig } from 'vitest/config'

/**
 * `npm run test:aws`: the S3 adapter against a real S3-compatible server (moto, started by the global setup).
 * Kept out of `npm test` (vitest.config.ts), which needs no Python.
 */
export default defineConfig({
  test: {
    include: ['tests/aws/**/*.test.ts'],
    globalSetup: ['tests/aws/moto-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
})
