import type { Column, ColumnKind } from '../contracts/columns.ts'
import { ROW_GROUP_ROWS, type Value } from './parquet-sink.ts'

/**
 * Rows are collected in chunks of this many and handed on (to the writer thread) chunk by chunk, not a whole
 * row group at a time: the text of a chunk is let go before V8 would move it to the old generation, which would
 * otherwise grow by a row group's worth of garbage every 50,000 rows.
 */
export const CHUNK_ROWS = 5_000

/**
 * One column of a chunk of rows in flat arrays: numbers in a Float64Array (exact for every int, date and
 * epoch-ms timestamp) beside a presence mask, booleans as codes, text as an array. The typed arrays are
 * allocated once and reused, outside the JavaScript heap, and cross to a worker thread as plain byte copies.
 */
export type PackedColumn =
  | { kind: 'number'; values: Float64Array; present: Uint8Array }
  /** 0: null, 1: false, 2: true */
  | { kind: 'boolean'; codes: Uint8Array }
  | { kind: 'string'; values: (string | null)[] }

export interface PackedRows {
  rows: number
  columns: PackedColumn[]
}

const NUMERIC_KINDS: ReadonlySet<ColumnKind> = new Set(['timestamp', 'date', 'int', 'double'])

function packedColumn(kind: ColumnKind, capacity: number): PackedColumn {
  if (NUMERIC_KINDS.has(kind)) {
    return { kind: 'number', values: new Float64Array(capacity), present: new Uint8Array(capacity) }
  }
  if (kind === 'boolean') return { kind: 'boolean', codes: new Uint8Array(capacity) }
  // filled up front, so V8 keeps the array packed (a holey one is cloned key by key)
  return { kind: 'string', values: Array.from({ length: capacity }, () => null) }
}

/** Collects validated rows into a chunk of `CHUNK_ROWS`; the caller takes it when `append` says it is full. */
export class RowChunkBuilder {
  private readonly chunk: PackedRows

  constructor(
    private readonly columns: Column[],
    private readonly capacity = CHUNK_ROWS,
  ) {
    this.chunk = { rows: 0, columns: columns.map((c) => packedColumn(c.kind, capacity)) }
  }

  get rows(): number {
    return this.chunk.rows
  }

  /**
   * Adds a row and answers whether the chunk is now full: the leading columns are read from `row` by name, the
   * last `trailing.length` columns are taken from `trailing` in order (lineage values).
   */
  append(row: Record<string, unknown>, trailing: readonly Value[]): boolean {
    const { columns } = this
    const packed = this.chunk.columns
    const at = this.chunk.rows
    const named = columns.length - trailing.length
    for (let i = 0; i < columns.length; i++) {
      const value = i < named ? row[(columns[i] as Column).name] : trailing[i - named]
      const column = packed[i] as PackedColumn
      if (column.kind === 'number') {
        if (typeof value === 'number') {
          column.values[at] = value
          column.present[at] = 1
        } else if (value === undefined || value === null) column.present[at] = 0
        else throw mistyped(columns[i] as Column, value)
      } else if (column.kind === 'boolean') {
        if (typeof value === 'boolean') column.codes[at] = value ? 2 : 1
        else if (value === undefined || value === null) column.codes[at] = 0
        else throw mistyped(columns[i] as Column, value)
      } else if (typeof value === 'string') column.values[at] = value
      else if (value === undefined || value === null) column.values[at] = null
      else throw mistyped(columns[i] as Column, value)
    }
    return ++this.chunk.rows >= this.capacity
  }

  /** The chunk, sharing this builder's arrays: valid until the next `append` or `clear`. */
  packed(): PackedRows {
    return this.chunk
  }

  /** A copy of the chunk that outlives the builder's next rows. */
  copy(): PackedRows {
    const { rows, columns } = this.chunk
    return {
      rows,
      columns: columns.map((c): PackedColumn => {
        if (c.kind === 'number')
          return { kind: 'number', values: c.values.slice(0, rows), present: c.present.slice(0, rows) }
        if (c.kind === 'boolean') return { kind: 'boolean', codes: c.codes.slice(0, rows) }
        return { kind: 'string', values: c.values.slice(0, rows) }
      }),
    }
  }

  clear(): void {
    this.chunk.rows = 0
  }
}

function mistyped(column: Column, value: unknown): Error {
  return new TypeError(`column ${column.name} (${column.kind}) was given a ${typeof value}`)
}

/**
 * Joins chunks into row groups of `ROW_GROUP_ROWS`, as the column arrays a Parquet writer takes, and hands each
 * full group to `write`; `flush` hands over the last, partial one.
 */
export class RowGroupAssembler {
  private data: Value[][]
  private rows = 0

  constructor(
    private readonly columnCount: number,
    private readonly write: (data: Value[][], rows: number) => void,
  ) {
    this.data = this.empty()
  }

  add(chunk: PackedRows): void {
    let from = 0
    while (from < chunk.rows) {
      const to = Math.min(chunk.rows, from + ROW_GROUP_ROWS - this.rows)
      for (let i = 0; i < chunk.columns.length; i++) {
        appendValues(this.data[i] as Value[], chunk.columns[i] as PackedColumn, from, to)
      }
      this.rows += to - from
      from = to
      if (this.rows === ROW_GROUP_ROWS) this.flush()
    }
  }

  flush(): void {
    if (this.rows === 0) return
    this.write(this.data, this.rows)
    this.data = this.empty()
    this.rows = 0
  }

  private empty(): Value[][] {
    return Array.from({ length: this.columnCount }, () => [])
  }
}

function appendValues(data: Value[], column: PackedColumn, from: number, to: number): void {
  if (column.kind === 'string') {
    for (let i = from; i < to; i++) data.push(column.values[i] as string | null)
  } else if (column.kind === 'number') {
    for (let i = from; i < to; i++) data.push(column.present[i] ? (column.values[i] as number) : null)
  } else {
    for (let i = from; i < to; i++) {
      const code = column.codes[i]
      data.push(code === 0 ? null : code === 2)
    }
  }
}
