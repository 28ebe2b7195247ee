import type { StagingPlacement } from '../core/analytics/mart-sql.ts'

/**
 * The engines `hotspot sql` speaks for, and where each puts a run's staging: `hotspot run`'s DuckDbLake builds
 * it as tables (it is a StagingBuilder), the nightly run's AthenaQueryEngine inlines it. Kept apart so that
 * printing SQL opens no engine, and `hotspot --help` lists them without loading the composer
 * (tests/unit/sql-command.test.ts checks it against the adapters).
 */
export const ENGINE_STAGING = {
  athena: 'inlined',
  duckdb: 'tables',
} as const satisfies Record<string, StagingPlacement>

export type EngineName = keyof typeof ENGINE_STAGING

export const ENGINE_NAMES = Object.keys(ENGINE_STAGING) as EngineName[]
