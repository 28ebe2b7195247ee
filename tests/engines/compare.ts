/**
 * Two engines' answers to the same mart, compared as DESIGN section 11 says: integers, dates, booleans and text
 * exactly; doubles to 1e-9 relative. Both answers are typed first by the mart's declared columns (run.ts
 * typedRow, the code that types results in production), so `1` and `1.0` are the same double.
 */
import { typedRow } from '../../functions/core/analytics/run.ts'
import type { Column } from '../../functions/core/contracts/columns.ts'
import type { Value } from '../../functions/core/parquet/writer.ts'
import { formatDay } from '../../functions/core/time/days.ts'

export const RELATIVE_TOLERANCE = 1e-9

function sameDouble(a: number, b: number): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true
  return Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b))
}

/** The columns a row is identified by in a message: every column that is not a double. */
const keyColumns = (columns: Column[]) => columns.filter((c) => c.kind !== 'double')

const sortKey = (columns: Column[], row: Record<string, Value>) =>
  JSON.stringify(keyColumns(columns).map((c) => row[c.name] ?? null))

const wholeRow = (row: Record<string, Value>) =>
  JSON.stringify(Object.values(row), (_, v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v))

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const show = (value: Value | undefined) => (value === undefined ? 'missing' : JSON.stringify(value))

/**
 * Every difference between two answers, as lines naming the row's key and the columns that differ; empty when
 * they agree. Rows are matched by their non-double columns (the marts' order by is on those too), so a
 * difference in order alone is not one.
 */
export function martDifferences(
  mart: string,
  columns: Column[],
  left: { engine: string; rows: (string | null)[][] },
  right: { engine: string; rows: (string | null)[][] },
): string[] {
  // typedRow reads NaN as null (a result file cannot hold it); here it stays NaN, so NaN and null differ
  const typed = (rows: (string | null)[][]) =>
    rows
      .map((row) => {
        const values = typedRow(mart, columns, row)
        columns.forEach((c, i) => {
          if (c.kind === 'double' && row[i]?.toLowerCase() === 'nan') values[c.name] = Number.NaN
        })
        return values
      })
      // by key, then by the whole row, so rows that share a key are paired the same way on both sides
      .sort(
        (x, y) =>
          compareText(sortKey(columns, x), sortKey(columns, y)) || compareText(wholeRow(x), wholeRow(y)),
      )
  const a = typed(left.rows)
  const b = typed(right.rows)
  const differences: string[] = []
  if (a.length !== b.length)
    differences.push(`${mart}: ${left.engine} gave ${a.length} rows, ${right.engine} ${b.length}`)
  const keyText = (row: Record<string, Value>) =>
    keyColumns(columns)
      .map(
        (c) =>
          `${c.name}=${c.kind === 'date' && typeof row[c.name] === 'number' ? formatDay(row[c.name] as number) : show(row[c.name])}`,
      )
      .join(', ')
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i]
    const y = b[i]
    if (!x || !y) {
      const only = (x ?? y) as Record<string, Value>
      differences.push(`${mart} [${keyText(only)}]: only ${x ? left.engine : right.engine} has this row`)
      continue
    }
    if (sortKey(columns, x) !== sortKey(columns, y)) {
      differences.push(
        `${mart}: row ${i + 1} is [${keyText(x)}] on ${left.engine}, [${keyText(y)}] on ${right.engine}`,
      )
      continue
    }
    const differing = columns.filter((c) => {
      const u = x[c.name] ?? null
      const v = y[c.name] ?? null
      if (u === null || v === null) return u !== v
      return c.kind === 'double' ? !sameDouble(u as number, v as number) : u !== v
    })
    if (differing.length > 0) {
      differences.push(
        `${mart} [${keyText(x)}]: ${differing
          .map((c) => `${c.name} ${left.engine} ${show(x[c.name])} vs ${right.engine} ${show(y[c.name])}`)
          .join('; ')}`,
      )
    }
  }
  return differences
}
