import { buildsStaging, type QueryEngine, type StagingTable } from '../ports.ts'
import { composeMart, MART_NAMES, type MartParameters, stagingSql } from './marts.ts'

/**
 * Where a run's staging goes. `tables`: an engine that can keep tables for the length of a run (a
 * StagingBuilder, such as the local DuckDB with its staging cache) builds it once before the marts, and each
 * mart reads it by name. `inlined`: each mart carries its staging as CTEs, for an engine that keeps nothing
 * between the queries of a run (Athena).
 */
export type StagingPlacement = 'tables' | 'inlined'

export function stagingPlacement(engine: QueryEngine): StagingPlacement {
  return buildsStaging(engine) ? 'tables' : 'inlined'
}

/**
 * The staging built as tables before the marts of a run (StagingBuilder.prepareStaging), in the order it is
 * built; empty when staging is inlined in each mart.
 */
export function runStaging(
  placement: StagingPlacement,
  marts: readonly string[] = MART_NAMES,
): Map<string, StagingTable> {
  return placement === 'tables' ? stagingSql(marts) : new Map()
}

/**
 * The SQL sent for `mart` in a run of `marts` with the staging placed as given, exactly as sent: what runMarts
 * sends and what `hotspot sql` prints. The staging of the run (runStaging) is left out of the mart's SQL; the
 * rest is inlined. Which marts run with it does not change a mart's SQL (each run builds at least the staging
 * its marts read).
 */
export function martSql(
  placement: StagingPlacement,
  mart: string,
  parameters: MartParameters,
  marts: readonly string[] = MART_NAMES,
): string {
  return composeMart(mart, parameters, { prepared: new Set(runStaging(placement, marts).keys()) })
}
