import type { QueryEngine, StagingTable } from '../ports.ts'
import { composeMart, MART_NAMES, type MartParameters, stagingSql } from './marts.ts'

export type EngineName = QueryEngine['name']

export const ENGINE_NAMES = ['athena', 'duckdb'] as const satisfies readonly EngineName[]

/**
 * How each engine gets the staging a mart reads. Athena keeps nothing between the queries of a run, so each
 * mart carries its staging inlined as CTEs; the local engine (DuckDB) builds a run's staging as tables first
 * (its staging cache) and each mart reads them by name. (Decided by Athena's name: the other engine's name
 * must not appear in the code the Lambda bundles, which tests/infra/stack.test.ts checks.)
 */
const INLINES_STAGING: ReadonlySet<EngineName> = new Set(['athena'])

export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name)
}

/**
 * The staging an engine builds as tables before the marts of a run (QueryEngine.prepareStaging), in the order
 * it builds them; empty for an engine that inlines staging in each mart.
 */
export function runStaging(
  engine: EngineName,
  marts: readonly string[] = MART_NAMES,
): Map<string, StagingTable> {
  return INLINES_STAGING.has(engine) ? new Map() : stagingSql(marts)
}

/**
 * The SQL `engine` runs for `mart` in a run of `marts`, exactly as sent: what runMarts sends and what
 * `hotspot sql` prints. The staging of the run (runStaging) is left out of the mart's SQL; the rest is inlined.
 * Which marts run with it does not change a mart's SQL (each run builds at least the staging its marts read).
 */
export function martSql(
  engine: EngineName,
  mart: string,
  parameters: MartParameters,
  marts: readonly string[] = MART_NAMES,
): string {
  return composeMart(mart, parameters, { prepared: new Set(runStaging(engine, marts).keys()) })
}
