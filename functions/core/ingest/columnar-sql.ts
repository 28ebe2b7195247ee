import {
  DOUBLE,
  type DuckDBConnection,
  type DuckDBDoubleVector,
  DuckDBScalarFunction,
} from '@duckdb/node-api'
import { type Column, type ColumnRule, columnRulesOf, columnsOf, EARLIEST_MS } from '../contracts/columns.ts'
import type { FeedContract } from '../contracts/feeds.ts'
import { toGrid } from '../geo.ts'

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

/** The field `f` of one column, typed as `typed`: absent ('') or a value its rule accepts. */
function columnSql(f: string, typed: string, rule: ColumnRule): ColumnSql {
  switch (rule.type) {
    case 'text':
      // ASCII: as many UTF-16 units as bytes
      return { check: `strlen(${f}) <= ${rule.max}`, value: `nullif(${f}, '')` }
    case 'number': {
      const limits = [`${typed} >= ${double(rule.min)}`, `${typed} <= ${double(rule.max)}`]
      if (rule.below !== undefined) limits.push(`${typed} < ${double(rule.below)}`)
      // -0 is left to the row path
      return {
        check: `(${typed} is null or (${limits.join(' and ')} and not (${f}[1] = '-' and ${typed} = 0)))`,
        value: `case when ${f} = '' then null else try_cast(${f} as double) end`,
      }
    }
    case 'timestamp':
      return {
        check: `(${f} = '' or ${typed} is not null)`,
        value: `case when ${f} = '' then null else ${timestampMs(f)} end`,
      }
    case 'opaque':
      throw new Error('an opaque column has no SQL')
  }
}

/**
 * Epoch milliseconds of a timestamp its pattern matched, as parseTimestamp computes them (time/instants.ts):
 * the fraction's milliseconds are floor(0.<digits> * 1000) in doubles, as there, and 0.<digits> is the double
 * nearest <microseconds> / 10^6, which is what DuckDB divides. Null for a day the month does not have.
 */
function timestampMs(f: string): string {
  const us = `epoch_us(try_cast(${f} as timestamptz))`
  const seconds = `(${us} // 1000000)`
  return `(${seconds} * 1000 + floor((${us} - ${seconds} * 1000000) / 1000000 * 1000)::bigint)`
}

export interface ScreenSql {
  /**
   * Selects from `source` (one row per line in the file's order, its text as `text`): ok, the line's text when
   * not ok, then the contract columns' values (of ok rows).
   */
  select: string
  /** The contract columns, in the order `select` gives them. */
  columns: string[]
}

/**
 * The screen: each data line split at commas (a drop without quotes, checked before), its fields checked by
 * their columns' rules and the row's by the contract's (timestamps not in the future nor after the drop date,
 * a location given and in Great Britain: `grid_of`, the row path's projection registered as a function).
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
  const columns: ScreenSql['columns'] = []
  for (const column of columnsOf(contract.schema)) {
    const rule = rules.get(column.name) as ColumnRule
    const sql = columnSql(field(column.name), quoted(column.name), rule)
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
  const typed = `select text, f, ${values.join(', ')} from split`
  let placed = 'typed'
  if (contract.location === 'required') {
    // lat/lon only (checked before): both given, not null island, projected into Great Britain
    checks.push('lat is not null and lon is not null and not (lat = 0 and lon = 0) and grid is not null')
    placed = `(select *, case when lat is not null and lon is not null then grid_of(lat, lon) end as grid from typed)`
  }
  const outputs = columns.map((name) =>
    name === 'easting' || name === 'northing'
      ? `case when ok then ${name === 'easting' ? 'floor(grid / 8388608) - 4194304' : 'grid - floor(grid / 8388608) * 8388608 - 4194304'} end::integer as ${name}`
      : quoted(name),
  )
  const flag = contract.accuracyFlag
  if (flag) {
    outputs.push(
      `coalesce(${quoted(flag.column)} > ${double(context.accuracyLimitM)}, false) as ${quoted(flag.flag)}`,
    )
  }
  const select = `
    with split as (select text, string_split(text, ',') as f from (${source})),
    typed as (${typed}),
    checked as (select *, coalesce(${checks.join(' and ')}, false) as ok from ${placed})
    select ok, case when not ok then text end as text, ${outputs.join(', ')} from checked`
  return { select, columns }
}

/** A grid position packed into one double for `grid_of`: easting and northing each offset into 23 bits. */
function packGrid(easting: number, northing: number): number {
  return (easting + 4_194_304) * 8_388_608 + northing + 4_194_304
}

/**
 * `grid_of(lat, lon)`, which the screen calls: the row path's projection (geo.ts toGrid) over a chunk of rows,
 * the grid position packed (packGrid); null outside Great Britain.
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
