import { configDefaults, defineConfig } from 'vitest/config'

/**
 * `npm test` runs two projects; `npm run test:fast` only the first.
 * - fast: unit and SQL tests (each mart's given/expect on DuckDB and the real Trino), in about a minute;
 * - slow: whole-pipeline, engine, CLI and CDK tests, sharing one generated and ingested demo city.
 * tests/aws runs with `npm run test:aws` (vitest.aws.config.ts).
 */
/** Unit tests of the demo-city generator that generate whole cities: seconds each, so they run with the slow. */
const WHOLE_CITY_UNITS = ['tests/unit/generate-city.test.ts', 'tests/unit/generate-determinism.test.ts']

const shared = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks',
} as const

export default defineConfig({
  test: {
    // one real Trino for both projects (the SQL tests and the two-engine test), and the built command line that
    // tests spawn, built once before they run side by side
    globalSetup: ['tests/engines/trino-setup.ts', 'tests/helpers/build-cli-setup.ts'],
    // vitest's default on 2 cores is one file at a time; much of a file's time is spent waiting (on Trino, a
    // child process, a mail server), which a second file then uses
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: 'fast',
          // the files of a worker share one module registry: each file's fresh process re-imported DuckDB, the
          // AWS SDK and the contracts (51 s of imports in 99 s; 57 s without). Every file restores what it
          // stubs or spies on (env, console, SDK clients) after itself.
          isolate: false,
          include: ['tests/unit/**/*.test.ts', 'tests/sql/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...WHOLE_CITY_UNITS],
        },
      },
      {
        test: {
          ...shared,
          name: 'slow',
          include: [
            'tests/e2e/**/*.test.ts',
            'tests/engines/**/*.test.ts',
            'tests/infra/**/*.test.ts',
            ...WHOLE_CITY_UNITS,
          ],
          globalSetup: ['tests/helpers/demo-city-setup.ts'],
          // whole-city queries on a real Trino take minutes on a busy 2-core machine: the limit catches a hang
          testTimeout: 300_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
})
