import type { Column } from '../contracts/columns.ts'
import { POPULATION_COLUMNS } from './population.ts'
import { AREA_CELL_COLUMNS, HOTSPOT_COLUMNS } from './register.ts'
import { HARM_WEIGHT_COLUMNS } from './weights.ts'

/**
 * The reference tables the marts read, each stored as `reference/<table>/<version>.parquet` with every loaded
 * version in one table: the one list the DuckDB views, the staging cache and the Glue tables are made from.
 */
export const REFERENCE_TABLE_COLUMNS = {
  area_cells: AREA_CELL_COLUMNS,
  hotspots: HOTSPOT_COLUMNS,
  harm_weights: HARM_WEIGHT_COLUMNS,
  population: POPULATION_COLUMNS,
} as const satisfies Record<string, Column[]>

export type ReferenceTable = keyof typeof REFERENCE_TABLE_COLUMNS

export const REFERENCE_TABLES = Object.keys(REFERENCE_TABLE_COLUMNS) as ReferenceTable[]
