import { parquetReadObjects } from 'hyparquet'
import { DAY_MS, formatDay } from '../time/days.ts'

/** A row as plain values: what a report, a CSV or JSON can hold. */
export type PlainRow = Record<string, string | number | boolean | null>

/**
 * The rows of a whole Parquet file held in memory, read by hyparquet (pure JavaScript: no SQL engine and no
 * WebAssembly, so a Lambda that only reads stays small). Integers come back as numbers, DATE values as
 * `YYYY-MM-DD` and TIMESTAMP values as ISO-8601.
 */
export async function readParquetRows(bytes: Uint8Array): Promise<PlainRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[]
  return rows.map((row) => {
    const plain: PlainRow = {}
    for (const [name, value] of Object.entries(row)) plain[name] = plainValue(value)
    return plain
  })
}

function plainValue(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return Number(value)
  if (value instanceof Date) {
    // DATE columns decode to midnight UTC; TIMESTAMP columns keep their instant
    const ms = value.getTime()
    return ms % DAY_MS === 0 ? formatDay(ms / DAY_MS) : value.toISOString()
  }
  return value as string | number | boolean
}
