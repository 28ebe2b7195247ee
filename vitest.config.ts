import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // tests/aws runs with `npm run test:aws` (vitest.aws.config.ts)
    exclude: [...configDefaults.exclude, 'tests/aws/**'],
    globalSetup: ['tests/engines/trino-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
