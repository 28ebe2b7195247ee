import { defineConfig } from 'vitest/config'

/** `npm run test:aws`: the AWS adapters against local endpoints of the AWS APIs (tests/aws), no Trino. */
export default defineConfig({
  test: {
    include: ['tests/aws/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
})
