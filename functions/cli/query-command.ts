import { stringify } from 'csv-stringify/sync'
import { DuckDbLake } from '../adapters/duckdb-lake.ts'

export type QueryFormat = 'table' | 'csv' | 'json'

/** `hotspot query`: one SELECT over the lake, which it can neither leave nor change (DuckDbLake `confined`). */
export async function runQueryCommand(lakeRoot: string, sql: string, format: QueryFormat): Promise<string> {
  const lake = await DuckDbLake.open(lakeRoot, { confined: true })
  try {
    const { columns, rows } = await lake.select(sql)
    switch (format) {
      case 'json':
        return `${JSON.stringify(rows)}\n`
      case 'csv':
        return stringify(
          rows.map((row) => columns.map((c) => cell(row[c]))),
          { header: true, columns },
        )
      case 'table':
        return table(columns, rows)
    }
  } finally {
    lake.close()
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

const MAX_CELL = 60

function table(columns: string[], rows: Record<string, unknown>[]): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const text = cell(row[c]).replace(/[\r\n\t]/g, ' ')
      return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text
    }),
  )
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)))
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  const count = `(${rows.length} row${rows.length === 1 ? '' : 's'})`
  return `${[line(columns), rule, ...cells.map(line), count].join('\n')}\n`
}
