import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { inject } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { assertGrain } from '../../functions/core/analytics/data-tests.ts'
import { martSql, runStaging } from '../../functions/core/analytics/mart-sql.ts'
import { composeSql, type MartName, martQuery, PRESENCE_MARTS } from '../../functions/core/analytics/marts.ts'
import { typedRow } from '../../functions/core/analytics/run.ts'
import type { Column } from '../../functions/core/contracts/columns.ts'
import { CONTRACTS, curatedColumns, type FeedName } from '../../functions/core/contracts/feeds.ts'
import { toGrid } from '../../functions/core/geo.ts'
import { type Value, writeParquetTable } from '../../functions/core/parquet/writer.ts'
import { POPULATION_COLUMNS } from '../../functions/core/reference/population.ts'
import { AREA_CELL_COLUMNS, HOTSPOT_COLUMNS } from '../../functions/core/reference/register.ts'
import { HARM_WEIGHT_COLUMNS } from '../../functions/core/reference/weights.ts'
import { formatDay, parseDate } from '../../functions/core/time/days.ts'
import { martRunsTable } from '../../lib/glue-schema.ts'
import { martDifferences } from '../engines/compare.ts'
import { TrinoLake } from '../engines/trino-lake.ts'

/** The run id of a mart's run that TestLake.mart stores for a date (a presence mart's, read by the next). */
const runIdOf = (asOf: string, mart: MartName) => `run-${asOf}-${mart}`

/** A row as a test writes it: timestamps as ISO-8601 text, dates as YYYY-MM-DD, the rest as plain values. */
export type GivenRow = Record<string, string | number | boolean | null | undefined>

/** A feed row, with optional lineage: drop_date (default the day of its first timestamp), drop_id, ingested_at. */
export interface Given {
  feeds?: Partial<Record<FeedName, GivenRow[]>>
  area_cells?: GivenRow[]
  hotspots?: GivenRow[]
  harm_weights?: GivenRow[]
  /** Residents by area and group; population_version and loaded_at default to POPULATION_VERSION and 2026-01-01. */
  population?: GivenRow[]
  /**
   * Results of earlier runs that marts read (the presence marts' views): each a finished run (its manifest
   * written) of one mart as of a date, with the mart's declared columns. run_id defaults to `run-<as_of>-<mart>`.
   */
  results?: { mart: MartName; as_of: string; run_id?: string; rows: GivenRow[] }[]
}

export const WEIGHTS_VERSION = 'w-test'
export const REGISTER_VERSION = 'r-test'
export const POPULATION_VERSION = 'p-test'

/**
 * The cells of a rectangle of 25 m cells: `width` x `height` cells from (x0, y0). A cell (x, y) covers easting
 * 25x .. 25x + 25 and northing 25y .. 25y + 25, so an event at `cellCentre(x, y)` falls in it.
 */
export function rectangle(
  areaId: string,
  role: 'hotspot' | 'buffer' | 'control',
  x0: number,
  y0: number,
  width: number,
  height: number,
): GivenRow[] {
  const rows: GivenRow[] = []
  for (let x = x0; x < x0 + width; x++) {
    for (let y = y0; y < y0 + height; y++)
      rows.push({ area_id: areaId, role, cell_x: x, cell_y: y, register_version: REGISTER_VERSION })
  }
  return rows
}

/** Easting and northing of the centre of a 25 m cell. */
export function cellCentre(x: number, y: number): { easting: number; northing: number } {
  return { easting: x * 25 + 12, northing: y * 25 + 12 }
}

/** Harm weights for the given categories (every other category 0): `{ Burglary: 10 }`. */
export function weights(days: Record<string, number>, version = WEIGHTS_VERSION): GivenRow[] {
  return Object.entries(days).map(([crime_type, d]) => ({
    crime_type,
    offence_code: null,
    days: d,
    weights_version: version,
  }))
}

function toStored(columns: Column[], row: GivenRow): Record<string, Value> {
  const stored: Record<string, Value> = {}
  for (const column of columns) {
    const value = row[column.name]
    if (value === undefined || value === null) {
      stored[column.name] = null
      continue
    }
    if (column.kind === 'timestamp') {
      const ms = typeof value === 'number' ? value : Date.parse(String(value))
      if (Number.isNaN(ms)) throw new Error(`given ${column.name}: ${value} is not a timestamp`)
      stored[column.name] = ms
    } else if (column.kind === 'date') {
      const day = typeof value === 'number' ? value : parseDate(String(value))
      if (day === undefined) throw new Error(`given ${column.name}: ${value} is not a date`)
      stored[column.name] = day
    } else stored[column.name] = value as Value
  }
  return stored
}

let warned = false
function warnOnce(message: string): void {
  if (warned) return
  warned = true
  console.warn(message)
}

export class TestLake {
  private trino: TrinoLake | null | undefined

  private constructor(
    readonly root: string,
    readonly engine: DuckDbLake,
  ) {}

  static async create(given: Given): Promise<TestLake> {
    const root = await mkdtemp(path.join(tmpdir(), 'hotspot-sql-'))
    for (const [feed, rows] of Object.entries(given.feeds ?? {}) as [FeedName, GivenRow[]][]) {
      const contract = CONTRACTS[feed]
      const columns = curatedColumns(contract)
      const timeColumns = columns
        .filter((c) => c.kind === 'timestamp' || c.kind === 'date')
        .map((c) => c.name)
      const drops = new Map<string, GivenRow[]>()
      rows.forEach((row, i) => {
        const firstTime = timeColumns.map((c) => row[c]).find((v) => v !== undefined && v !== null)
        const dropDate = String(row.drop_date ?? String(firstTime).slice(0, 10))
        const dropId = String(row.drop_id ?? `${feed}-${dropDate}-given`)
        const located =
          row.lat !== undefined && row.easting === undefined
            ? toGrid({ lat: Number(row.lat), lon: Number(row.lon) })
            : undefined
        const complete: GivenRow = {
          ...row,
          ...(located?.ok ? { easting: located.easting, northing: located.northing } : {}),
          drop_id: dropId,
          drop_date: dropDate,
          source_line: row.source_line ?? i + 2,
          ingested_at: row.ingested_at ?? `${dropDate}T06:00:00Z`,
          key_derived: row.key_derived ?? false,
        }
        const key = `${dropDate}/${dropId}`
        drops.set(key, [...(drops.get(key) ?? []), complete])
      })
      for (const [key, dropRows] of drops) {
        const [dropDate, dropId] = key.split('/') as [string, string]
        await writeParquet(
          path.join(root, 'curated', feed, `dt=${dropDate}`, `${dropId}.parquet`),
          columns,
          dropRows,
        )
      }
    }
    const reference: [string, Column[], GivenRow[] | undefined, string][] = [
      ['area_cells', AREA_CELL_COLUMNS, given.area_cells, REGISTER_VERSION],
      ['hotspots', HOTSPOT_COLUMNS, given.hotspots, REGISTER_VERSION],
      ['harm_weights', HARM_WEIGHT_COLUMNS, given.harm_weights, WEIGHTS_VERSION],
    ]
    for (const [table, columns, rows, version] of reference) {
      if (!rows) continue
      const versioned = rows.map((r) => ({
        [table === 'harm_weights' ? 'weights_version' : 'register_version']: version,
        ...r,
      }))
      await writeParquet(path.join(root, 'reference', table, `${version}.parquet`), columns, versioned)
    }
    if (given.population) {
      await writeParquet(
        path.join(root, 'reference', 'population', `${POPULATION_VERSION}.parquet`),
        POPULATION_COLUMNS,
        given.population.map((r) => ({
          population_version: POPULATION_VERSION,
          loaded_at: '2026-01-01T00:00:00Z',
          ...r,
        })),
      )
    }
    for (const result of given.results ?? []) {
      const runId = result.run_id ?? `run-${result.as_of}-${result.mart}`
      await writeParquet(
        path.join(root, 'results', result.mart, `as_of=${result.as_of}`, `${runId}.parquet`),
        martQuery(result.mart).columns,
        result.rows,
      )
      await mkdir(path.join(root, 'manifests', 'runs'), { recursive: true })
      await writeFile(path.join(root, 'manifests', 'runs', `${runId}.json`), '{}\n')
    }
    return new TestLake(root, await DuckDbLake.open(root))
  }

  /**
   * Runs a mart exactly as the nightly run does (the same parameters, typed by the declared columns) and
   * returns its rows with dates as YYYY-MM-DD. It runs three ways, which must agree: on DuckDB as Athena gets it
   * (staging inlined as CTEs) and as the DuckDB runner sends it (staging built as tables), and on a real Trino
   * over the same files, as the Athena adapter sends it (DESIGN section 11). A presence mart that reads those
   * before it (PRESENCE_MARTS) has them run first, each checked the same way and stored as a finished run, as
   * runMarts runs them.
   */
  async mart(
    name: MartName,
    asOf: string,
    versions: { weights?: string; register?: string; population?: string | null } = {},
  ): Promise<Record<string, unknown>[]> {
    const definition = martQuery(name)
    for (const earlier of PRESENCE_MARTS.slice(0, Math.max(0, PRESENCE_MARTS.indexOf(name))))
      await this.storeRun(earlier, asOf, await this.checkedRows(earlier, asOf, versions))
    return (await this.checkedRows(name, asOf, versions)).map((typed) => {
      const friendly: Record<string, unknown> = {}
      for (const column of definition.columns) {
        const value = typed[column.name]
        friendly[column.name] =
          column.kind === 'date' && typeof value === 'number'
            ? formatDay(value)
            : column.kind === 'timestamp' && typeof value === 'number'
              ? new Date(value).toISOString()
              : value
      }
      return friendly
    })
  }

  /** A mart's rows as runMarts stores them, after the three ways agree and the grain holds. */
  private async checkedRows(
    name: MartName,
    asOf: string,
    versions: { weights?: string; register?: string; population?: string | null },
  ): Promise<Record<string, Value>[]> {
    const definition = martQuery(name)
    const parameters = {
      as_of: asOf,
      weights_version: versions.weights ?? WEIGHTS_VERSION,
      register_version: versions.register ?? REGISTER_VERSION,
      // null: a run without a population
      population_version: versions.population === undefined ? POPULATION_VERSION : versions.population,
      // the presence_visits run storeRun wrote for this date (mart: those a presence mart reads run first)
      presence_visits_run: runIdOf(asOf, 'presence_visits'),
    }
    // martSql: the SQL runMarts sends each engine (Athena inlines staging, DuckDB builds it as tables)
    const athenaSql = martSql('inlined', name, parameters, [name])
    const inlined = await this.engine.query(athenaSql, [])
    await this.engine.prepareStaging(runStaging('tables', [name]))
    const onTables = await this.engine.query(martSql('tables', name, parameters, [name]), [])
    const names = inlined.columns.map((c) => c.name)
    const declared = definition.columns.map((c) => c.name)
    if (names.join() !== declared.join()) {
      throw new Error(`${name} returned (${names.join(', ')}), declared (${declared.join(', ')})`)
    }
    if (JSON.stringify(inlined.rows) !== JSON.stringify(onTables.rows)) {
      throw new Error(`${name}: staging inlined and staging as tables gave different rows`)
    }
    const trino = await this.trinoLake()
    if (trino) {
      const onTrino = await trino.query(athenaSql)
      const differences = martDifferences(
        name,
        definition.columns,
        { engine: 'duckdb', rows: inlined.rows },
        { engine: 'trino', rows: onTrino.rows },
      )
      if (differences.length > 0)
        throw new Error(`${name} as of ${asOf}: Trino and DuckDB disagree:\n${differences.join('\n')}`)
    }
    const typedRows = inlined.rows.map((row) => typedRow(name, definition.columns, row))
    // the data test every run makes (runMarts): each hand-worked case also checks the grain
    assertGrain(name, definition.grainKey, typedRows)
    return typedRows
  }

  /** Rows of a mart as a finished run as of `asOf` (its manifest written), which the mart's view then shows. */
  private async storeRun(mart: MartName, asOf: string, rows: Record<string, Value>[]): Promise<void> {
    const runId = runIdOf(asOf, mart)
    const file = path.join(this.root, 'results', mart, `as_of=${asOf}`, `${runId}.parquet`)
    await mkdir(path.dirname(file), { recursive: true })
    await writeParquetTable(file, martQuery(mart).columns, rows)
    await mkdir(path.join(this.root, 'manifests', 'runs'), { recursive: true })
    await writeFile(path.join(this.root, 'manifests', 'runs', `${runId}.json`), '{}\n')
    await this.engine.refresh()
    await (await this.trinoLake())?.syncPartitions(martRunsTable(mart))
  }

  /** SQL over the lake's views; staging queries it names (`stg_incidents`) are composed in as for a mart. */
  async sql(text: string): Promise<Record<string, unknown>[]> {
    return (await this.engine.rows(composeSql(text))).rows
  }

  /** The lake declared on the run's Trino, the first time a mart needs it; undefined without Trino. */
  private async trinoLake(): Promise<TrinoLake | undefined> {
    if (this.trino === undefined) {
      const { url, missing } = inject('trino')
      if (url === null) {
        warnOnce(`Trino not running (${missing}): the SQL tests compare DuckDB's rows with nothing else`)
        this.trino = null
      } else this.trino = await TrinoLake.declare(url, this.root)
    }
    return this.trino ?? undefined
  }

  async close(): Promise<void> {
    await this.trino?.drop()
    this.engine.close()
    await rm(this.root, { recursive: true, force: true })
  }
}

async function writeParquet(file: string, columns: Column[], rows: GivenRow[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeParquetTable(
    file,
    columns,
    rows.map((row) => toStored(columns, row)),
  )
}
