import { defineConfig } from 'vitest/config'

/**
 * `npm run test:aws`: the AWS adapters against real protocol servers: S3 on moto (started by the global
 * setup), SES v2 on a local endpoint each test file starts (tests/aws/ses-endpoint.ts).
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
