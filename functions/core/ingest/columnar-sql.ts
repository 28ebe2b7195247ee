import {
  DOUBLE,
  type DuckDBConnection,
  type DuckDBDoubleVector,
  DuckDBScalarFunction,
} from '@duckdb/node-api'
import { type Column, type ColumnRule, columnRulesOf, columnsOf, EARLIEST_MS } from '../contracts/columns.ts'
import type { FeedContract } from '../contracts/feeds.ts'
import { fromWgs84, toGrid } from '../geo.ts'
import { wholeBoxInGreatBritain } from '../great-britain/in-great-britain.ts'
import { FIT_TOLERANCE_M, fitSql, type GridFit } from './grid-fit.ts'

/**
 * The SQL of the columnar ingest (columnar.ts): which rows DuckDB may accept by itself and their stored values.
 * A row these checks pass is one the row path (validate.ts) accepts with the same values; a row they do not pass
 * is not refused here but handed to the row path, which gives its reason. So the checks may be stricter than the
 * contract (plain ASCII text, numbers without exponents, timestamps in the common ISO-8601 form), never looser,
 * and every limit is read from the contract's columns (columns.ts: columnRulesOf).
 */

/** A feed the columnar ingest can take: every column's rule is known as data, and no rule spans columns. */
export function columnarContract(contract: FeedContract): boolean {
  if (contract.rules || contract.redactRefusals || contract.referenceColumns) return false
  if (contract.location !== 'required' && contract.location !== 'none') return false
  const ingestColumns = contract.ingestColumns ?? []
  if (ingestColumns.some((c) => c.name !== contract.accuracyFlag?.flag)) return false
  return [...columnRulesOf(contract.schema).values()].every((rule) => rule.type !== 'opaque')
}

export interface ScreenContext {
  /** The drop's header: contract column names, each once. */
  header: readonly string[]
  notAfterMs: number
  /** Rows of `notAfterDropDate` must be earlier than this instant (London midnight after the drop date). */
  beforeMs: number | undefined
  accuracyLimitM: number
}

/**
 * What each kind of field may hold for DuckDB to take it here, as a regular expression (RE2) of the field: all
 * fields of a line are matched at once, by one expression of the whole line (one pass over its text, where one
 * per field costs most of the screen). Text: printable ASCII other than the comma and the quote, without a space
 * at either end (text cleanText leaves as it is, holding no control character). Numbers: a subset of
 * NUMBER_TEXT (columns.ts), which DuckDB reads to the same double. Timestamps: the ISO-8601 forms with seconds,
 * at most six fraction digits (DuckDB keeps them exactly) and Z or a +hh:mm offset, in 2000-2099.
 */
const TEXT_CHARACTER = '[ !#-+\\--~]'
const TEXT_EDGE = '[!#-+\\--~]'
const FIELD_PATTERNS = {
  text: `${TEXT_EDGE}(${TEXT_CHARACTER}*${TEXT_EDGE})?`,
  integer: '-?[0-9]+',
  number: '-?[0-9]+(\\.[0-9]+)?',
  timestamp:
    '20[0-9]{2}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-8]):[0-5][0-9])',
}

function fieldPattern(rule: ColumnRule, required: boolean): string {
  const pattern =
    rule.type === 'text'
      ? FIELD_PATTERNS.text
      : rule.type === 'timestamp'
        ? FIELD_PATTERNS.timestamp
        : rule.type === 'number'
          ? rule.integer
            ? FIELD_PATTERNS.integer
            : FIELD_PATTERNS.number
          : undefined
  if (pattern === undefined) throw new Error('an opaque column has no SQL')
  return required ? `(${pattern})` : `(${pattern})?`
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
const double = (n: number) => `cast(${literal(String(n))} as double)`
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`

interface ColumnSql {
  /** Given the line matched its pattern: true when the field is one the row path accepts with `value`. */
  check: string
  value: string
}

/**
 * The field `f` of one column, typed as `typed`: absent ('') or a value its rule accepts. A timestamp's field is
 * parsed once, in a select before (screenSql): `us` names its epoch microseconds there.
 */
function columnSql(f: string, typed: string, rule: ColumnRule, us: string): ColumnSql {
  switch (rule.type) {
    case 'text':
      // ASCII: as many UTF-16 units as bytes
      return { check: `strlen(${f}) <= ${rule.max}`, value: `nullif(${f}, '')` }
    case 'number': {
      const limits = [`${typed} >= ${double(rule.min)}`, `${typed} <= ${double(rule.max)}`]
      if (rule.below !== undefined) limits.push(`${typed} < ${double(rule.below)}`)
      // -0 is left to the row path
      return {
        check: `(${typed} is null or (${limits.join(' and ')} and not (${typed} = 0 and ${f}[1] = '-')))`,
        value: `case when ${f} = '' then null else try_cast(${f} as double) end`,
      }
    }
    case 'timestamp':
      return {
        check: `(${f} = '' or ${typed} is not null)`,
        value: `case when ${f} = '' then null else ${timestampMs(us)} end`,
      }
    case 'opaque':
      throw new Error('an opaque column has no SQL')
  }
}

/**
 * Epoch milliseconds of a timestamp its pattern matched, as parseTimestamp computes them (time/instants.ts):
 * the fraction's milliseconds are floor(0.<digits> * 1000) in doubles, as there, and 0.<digits> is the double
 * nearest <microseconds> / 10^6, which is what DuckDB divides. `us` is the epoch microseconds of the field cast
 * to timestamptz: null for a day the month does not have.
 */
function timestampMs(us: string): string {
  const seconds = `(${us} // 1000000)`
  return `(${seconds} * 1000 + floor((${us} - ${seconds} * 1000000) / 1000000 * 1000)::bigint)`
}

export interface ScreenSql {
  /**
   * Selects from `source` (one row per line in the file's order, its text as `text`): ok, the line's text when
   * not ok, then the contract columns' values (of ok rows).
   */
  select: string
  /** The contract columns `select` gives, in its order: all but the grid position (placeSql). */
  columns: string[]
}

/**
 * The screen: each data line split at commas (a drop without quotes, checked before), its fields checked by
 * their columns' rules and the row's by the contract's (timestamps not in the future nor after the drop date,
 * a location given); placeSql then finds the grid positions of its rows, and those not in Great Britain.
 */
export function screenSql(contract: FeedContract, context: ScreenContext, source: string): ScreenSql {
  const rules = columnRulesOf(contract.schema)
  const byName = new Map(columnsOf(contract.schema).map((c) => [c.name, c]))
  const field = (name: string) => {
    const index = context.header.indexOf(name)
    return index === -1 ? `''` : `f[${index + 1}]`
  }
  const line = context.header.map((name) => {
    const column = byName.get(name) as Column
    return fieldPattern(rules.get(name) as ColumnRule, column.required)
  })
  // also refuses a quote, which starts a quoted field this split does not read, and a field too many or too few
  const checks = [`regexp_full_match(text, ${literal(line.join(','))})`]
  const values: string[] = []
  const parsed: string[] = []
  const columns: ScreenSql['columns'] = []
  for (const column of columnsOf(contract.schema)) {
    const rule = rules.get(column.name) as ColumnRule
    const us = `us_${parsed.length}`
    const sql = columnSql(field(column.name), quoted(column.name), rule, us)
    if (rule.type === 'timestamp')
      parsed.push(`epoch_us(try_cast(${field(column.name)} as timestamptz)) as ${us}`)
    checks.push(sql.check)
    values.push(`${sql.value} as ${quoted(column.name)}`)
    columns.push(column.name)
    if (rule.type === 'timestamp') {
      const ms = quoted(column.name)
      checks.push(`(${ms} is null or (${ms} >= ${EARLIEST_MS} and ${ms} <= ${context.notAfterMs}))`)
      if (column.name === contract.notAfterDropDate && context.beforeMs !== undefined) {
        checks.push(`(${ms} is null or ${ms} < ${context.beforeMs})`)
      }
    }
  }
  // each timestamp parsed once (its value names it three times)
  const typed = `select text, f, ${values.join(', ')} from (select *${parsed.map((p) => `, ${p}`).join('')} from split)`
  if (contract.location === 'required') {
    // lat/lon only (checked before): both given and not null island; whether in Great Britain is placeSql's
    checks.push('lat is not null and lon is not null and not (lat = 0 and lon = 0)')
  }
  // the grid position is placeSql's, for the rows the screen passes
  const outputs = columns.filter((name) => name !== 'easting' && name !== 'northing').map(quoted)
  const flag = contract.accuracyFlag
  if (flag) {
    outputs.push(
      `coalesce(${quoted(flag.column)} > ${double(context.accuracyLimitM)}, false) as ${quoted(flag.flag)}`,
    )
  }
  const select = `
    with split as (select text, string_split(text, ',') as f from (${source})),
    typed as (${typed}),
    checked as (select *, coalesce(${checks.join(' and ')}, false) as ok from typed)
    select ok, case when not ok then text end as text, ${outputs.join(', ')} from checked`
  return { select, columns: columns.filter((name) => name !== 'easting' && name !== 'northing') }
}

/** A grid position packed into one double for `grid_of`: easting and northing each offset into 23 bits. */
const GRID_OFFSET = 4_194_304
const GRID_BASE = 8_388_608

function packGrid(easting: number, northing: number): number {
  return (easting + GRID_OFFSET) * GRID_BASE + northing + GRID_OFFSET
}

/**
 * `grid_of(lat, lon)`: the row path's projection (geo.ts toGrid) over a chunk of rows, the grid position packed
 * (packGrid); null outside Great Britain. DuckDB's threads wait while the JavaScript thread projects, a
 * microsecond a row: placeSql and unplacedSql call it only for the rows the fit (grid-fit.ts) or the grid cells
 * cannot settle.
 */
export function registerGridOf(db: DuckDBConnection): void {
  db.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: 'grid_of',
      returnType: DOUBLE,
      parameterTypes: [DOUBLE, DOUBLE],
      mainFunction: (_info, chunk, output) => {
        const lat = chunk.getColumnVector(0) as DuckDBDoubleVector
        const lon = chunk.getColumnVector(1) as DuckDBDoubleVector
        const grid = output as DuckDBDoubleVector
        for (let i = 0; i < chunk.rowCount; i++) {
          const a = lat.getItem(i)
          const b = lon.getItem(i)
          const placed = a === null || b === null ? undefined : toGrid({ lat: a, lon: b })
          grid.setItem(i, placed?.ok ? packGrid(placed.easting, placed.northing) : null)
        }
        grid.flush()
      },
    }),
  )
}

/**
 * Grid cells of 1/1024 degree of latitude by as much of longitude (about 110 by 70 m), which settle at once
 * whether a row is in Great Britain: a power of two, so that a row's cell is exact in doubles, as are its corners.
 */
export const CELLS_PER_DEGREE = 1024

/**
 * A fitted easting or northing (placeSql) this close to a half metre, or closer, is projected by proj4 itself:
 * a hundred times the fit's tolerance (grid-fit.ts), so that a fitted value farther from a half rounds to the
 * metre proj4's rounds to. Four rows in 100,000 are then projected exactly: few enough that most of DuckDB's
 * chunks of 2,048 rows never wait on the JavaScript thread.
 */
export const FIT_MARGIN_M = 100 * FIT_TOLERANCE_M

/** The SQL of a row's cell, from its lat and lon columns. */
export function cellSql(lat: string, lon: string): { cellLat: string; cellLon: string } {
  return {
    cellLat: `floor(${lat} * ${CELLS_PER_DEGREE})::integer`,
    cellLon: `floor(${lon} * ${CELLS_PER_DEGREE})::integer`,
  }
}

/**
 * The table `grid_cells` of the given cells (their cellSql numbers) and whether every point the cell can round to
 * is in Great Britain: its corners' box by proj4 (geo.ts fromWgs84) and a metre round it (the cell's edges bow
 * by far less, rounding moves a point by at most half a metre). Answers how many cells are not wholly in.
 */
export async function loadGridCells(
  db: DuckDBConnection,
  cells: Iterable<[number, number]>,
): Promise<number> {
  await db.run('create or replace table grid_cells (cell_lat integer, cell_lon integer, inside boolean)')
  const corners = new Map<string, { easting: number; northing: number }>()
  const corner = (i: number, j: number) => {
    const key = `${i},${j}`
    let at = corners.get(key)
    if (!at) {
      at = fromWgs84(i / CELLS_PER_DEGREE, j / CELLS_PER_DEGREE)
      corners.set(key, at)
    }
    return at
  }
  const appender = await db.createAppender('grid_cells')
  let unsettled = 0
  for (const [i, j] of cells) {
    const box = [corner(i, j), corner(i + 1, j), corner(i, j + 1), corner(i + 1, j + 1)]
    const eastings = box.map((c) => c.easting)
    const northings = box.map((c) => c.northing)
    const inside = wholeBoxInGreatBritain(
      Math.min(...eastings) - 1,
      Math.min(...northings) - 1,
      Math.max(...eastings) + 1,
      Math.max(...northings) + 1,
    )
    if (!inside) unsettled++
    appender.appendInteger(i)
    appender.appendInteger(j)
    appender.appendBoolean(inside)
    appender.endRow()
  }
  appender.closeSync()
  return unsettled
}

/**
 * The lines of the rows of `source` (a query with line, lat and lon columns, its cells in grid_cells) that are not
 * in Great Britain: only a row of a cell not wholly in it can be outside, and grid_of settles each such row.
 */
export function unplacedSql(source: string): string {
  const { cellLat, cellLon } = cellSql('s.lat', 's.lon')
  // grid_of in a case of the cell's answer, so that it is called after the join, for those rows only; a row
  // whose cell is missing is asked too
  return `select s.line from (${source}) s left join grid_cells c
    on c.cell_lat = ${cellLat} and c.cell_lon = ${cellLon}
    where case when coalesce(c.inside, false) then false else grid_of(s.lat, s.lon) is null end`
}

/**
 * The rows of `source` (a query with lat and lon columns, of rows in Great Britain) with their grid position as
 * toGrid gives it, `easting` and `northing`, and whether the fit gave it (`fitted`). A row in the fit's box is
 * placed by the fit (grid-fit.ts), rounded as toGrid rounds, unless it lies within FIT_MARGIN_M of a half metre;
 * every other row by `grid_of`, proj4 itself (every row, without a fit). An expression of each row alone, no
 * join, so the rows keep their order.
 */
export function placeSql(source: string, fit: GridFit | undefined): string {
  const unpacked = (grid: string) => ({
    easting: `floor(${grid} / ${GRID_BASE})::integer - ${GRID_OFFSET}`,
    northing: `(${grid} - floor(${grid} / ${GRID_BASE}) * ${GRID_BASE})::integer - ${GRID_OFFSET}`,
  })
  if (!fit) {
    const exact = unpacked('grid')
    return `select * exclude (grid), false as fitted, ${exact.easting} as easting, ${exact.northing} as northing
      from (select *, grid_of(lat, lon) as grid from (${source}))`
  }
  const sql = fitSql(fit, 'lat', 'lon')
  const clear = (v: string) => `abs(${v} - floor(${v}) - 0.5) > ${FIT_MARGIN_M}`
  const exact = unpacked('exact')
  return `select * exclude (fit_x, fit_y, e_fit, n_fit, exact),
      case when fitted then floor(e_fit + 0.5)::integer else ${exact.easting} end as easting,
      case when fitted then floor(n_fit + 0.5)::integer else ${exact.northing} end as northing
    from (
      select *, case when fitted then null else grid_of(lat, lon) end as exact
      from (
        select *, fit_x between -1 and 1 and fit_y between -1 and 1 and ${clear('e_fit')} and ${clear('n_fit')} as fitted
        from (
          select *, ${sql.easting('fit_x', 'fit_y')} as e_fit, ${sql.northing('fit_x', 'fit_y')} as n_fit
          from (select *, ${sql.x} as fit_x, ${sql.y} as fit_y from (${source})))))`
}
