import {
  Bool,
  type DataType,
  DateDay,
  Field,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
} from 'apache-arrow'
import type { Column, ColumnKind } from '../contracts/columns.ts'

/**
 * Rows are collected in chunks of this many and handed on (to the writer thread, then to the Parquet writer)
 * chunk by chunk. Every writer is given the same chunks, so the same rows always give the same file.
 */
export const CHUNK_ROWS = 5_000

export type Value = string | number | boolean | null

/**
 * One column of a chunk of rows in flat typed arrays: numbers in a Float64Array (exact for every int, date and
 * epoch-ms timestamp) beside a presence mask, booleans as codes, text as UTF-8 bytes with offsets (the layout
 * Arrow and Parquet take). A chunk holds no JavaScript value per row, so it costs the garbage collector nothing
 * and moves to a worker thread whole, its buffers transferred rather than copied.
 */
export type PackedColumn =
  | { kind: 'number'; values: Float64Array; present: Uint8Array }
  /** 0: null, 1: false, 2: true */
  | { kind: 'boolean'; codes: Uint8Array }
  /** Row i's text is `bytes[offsets[i]..offsets[i + 1]]`; `bytes` may be longer than what is used. */
  | { kind: 'string'; bytes: Uint8Array; offsets: Int32Array; present: Uint8Array }

export interface PackedRows {
  rows: number
  columns: PackedColumn[]
}

/** The bytes a chunk's arrays take. */
export function packedBytes(chunk: PackedRows): number {
  let bytes = 0
  for (const column of chunk.columns) {
    if (column.kind === 'number') bytes += column.values.byteLength + column.present.byteLength
    else if (column.kind === 'boolean') bytes += column.codes.byteLength
    else bytes += column.bytes.byteLength + column.offsets.byteLength + column.present.byteLength
  }
  return bytes
}

const NUMERIC_KINDS: ReadonlySet<ColumnKind> = new Set(['timestamp', 'date', 'int', 'double'])

/** A chunk's text starts with this much room per row and doubles when a row needs more. */
const TEXT_BYTES_PER_ROW = 32

function packedColumn(kind: ColumnKind, capacity: number): PackedColumn {
  if (NUMERIC_KINDS.has(kind)) {
    return { kind: 'number', values: new Float64Array(capacity), present: new Uint8Array(capacity) }
  }
  if (kind === 'boolean') return { kind: 'boolean', codes: new Uint8Array(capacity) }
  return {
    kind: 'string',
    bytes: new Uint8Array(capacity * TEXT_BYTES_PER_ROW),
    offsets: new Int32Array(capacity + 1),
    present: new Uint8Array(capacity),
  }
}

const utf8 = new TextEncoder()

/** Appends `text` as UTF-8 at `at`, growing the column's buffer when needed; answers where it ends. */
function appendText(column: Extract<PackedColumn, { kind: 'string' }>, text: string, at: number): number {
  // UTF-8 takes at most 3 bytes per UTF-16 unit
  if (at + 3 * text.length > column.bytes.length) {
    const grown = new Uint8Array(Math.max(2 * column.bytes.length, at + 3 * text.length))
    grown.set(column.bytes.subarray(0, at))
    column.bytes = grown
  }
  const { bytes } = column
  // most text is ASCII, copied here unit by unit; the encoder takes the rest (a call costs more than a short copy)
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit > 0x7f) return at + utf8.encodeInto(text, bytes.subarray(at)).written
    bytes[at + i] = unit
  }
  return at + text.length
}

/**
 * A chunk's arrays start with room for this many rows and double as rows come, up to the chunk's capacity: most
 * daily drops hold a few hundred rows, and arrays sized for a whole chunk (megabytes, zeroed) for each of them
 * kept the garbage collector busy for a fifth of `npm start`.
 */
const INITIAL_ROOM = 256

/** Copies a column's arrays into ones with room for `room` rows. */
function grown(column: PackedColumn, rows: number, room: number): PackedColumn {
  const widened = <T extends Uint8Array | Int32Array | Float64Array>(array: T, length: number): T => {
    const wider = new (array.constructor as new (length: number) => T)(length)
    wider.set(array.subarray(0, Math.min(array.length, length)))
    return wider
  }
  if (column.kind === 'number')
    return { kind: 'number', values: widened(column.values, room), present: widened(column.present, room) }
  if (column.kind === 'boolean') return { kind: 'boolean', codes: widened(column.codes, room) }
  // the text bytes grow as text needs (appendText)
  return {
    kind: 'string',
    bytes: column.bytes,
    offsets: widened(column.offsets.subarray(0, rows + 1), room + 1),
    present: widened(column.present, room),
  }
}

/** Collects validated rows into a chunk of `capacity` rows; the caller takes it when `append` says it is full. */
export class RowChunkBuilder {
  private readonly chunk: PackedRows
  /** Rows the arrays have room for: grows to `capacity`. */
  private room: number

  constructor(
    private readonly columns: Column[],
    private readonly capacity = CHUNK_ROWS,
  ) {
    this.room = Math.min(capacity, INITIAL_ROOM)
    this.chunk = { rows: 0, columns: columns.map((c) => packedColumn(c.kind, this.room)) }
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
    const at = this.chunk.rows
    if (at === this.room) this.grow()
    const packed = this.chunk.columns
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
      } else {
        const start = column.offsets[at] as number
        if (typeof value === 'string') {
          column.offsets[at + 1] = appendText(column, value, start)
          column.present[at] = 1
        } else if (value === undefined || value === null) {
          column.offsets[at + 1] = start
          column.present[at] = 0
        } else throw mistyped(columns[i] as Column, value)
      }
    }
    return ++this.chunk.rows >= this.capacity
  }

  private grow(): void {
    const { rows } = this.chunk
    this.room = Math.min(this.capacity, 2 * this.room)
    this.chunk.columns = this.chunk.columns.map((column) => grown(column, rows, this.room))
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
        return {
          kind: 'string',
          bytes: c.bytes.slice(0, c.offsets[rows]),
          offsets: c.offsets.slice(0, rows + 1),
          present: c.present.slice(0, rows),
        }
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

/** The Arrow type each storage kind is written as (writer.ts gives the Parquet types they become). */
function arrowType(kind: ColumnKind): DataType {
  switch (kind) {
    case 'string':
      return new Utf8()
    case 'timestamp':
      // no time zone: stored as UTC instants without one (Parquet isAdjustedToUTC=false, DuckDB's TIMESTAMP)
      return new TimestampMillisecond()
    case 'date':
      return new DateDay()
    case 'int':
      return new Int32()
    case 'double':
      return new Float64()
    case 'boolean':
      return new Bool()
  }
}

/** The Arrow schema of a list of contract columns: a required column is not nullable. */
export function arrowSchema(columns: Column[]): Schema {
  return new Schema(columns.map((c) => new Field(c.name, arrowType(c.kind), !c.required)))
}

/** A bit per row, set where `isSet(i)`, and how many rows are not set. */
function bitmap(rows: number, isSet: (i: number) => boolean): { bits: Uint8Array; unset: number } {
  const bits = new Uint8Array(Math.ceil(rows / 8))
  let unset = 0
  for (let i = 0; i < rows; i++) {
    if (isSet(i)) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7))
    else unset++
  }
  return { bits, unset }
}

/** Epoch milliseconds as the int64 values of a BigInt64Array, built from 32-bit halves (no BigInt per value). */
function int64Of(values: Float64Array, rows: number): BigInt64Array {
  const halves = new Int32Array(2 * rows)
  for (let i = 0; i < rows; i++) {
    const value = values[i] as number
    const high = Math.floor(value / 4_294_967_296)
    halves[2 * i] = value - high * 4_294_967_296
    halves[2 * i + 1] = high
  }
  return new BigInt64Array(halves.buffer)
}

/** Whole numbers as 32-bit ints, refusing any that would not survive the conversion. */
function int32Of(name: string, values: Float64Array, present: Uint8Array): Int32Array {
  const ints = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    if (!present[i]) continue
    const value = values[i] as number
    ints[i] = value
    if (ints[i] !== value) throw new RangeError(`column ${name}: ${value} is not a 32-bit integer`)
  }
  return ints
}

function arrowData(name: string, kind: ColumnKind, column: PackedColumn, rows: number) {
  const type = arrowType(kind)
  if (column.kind === 'boolean') {
    const validity = bitmap(rows, (i) => column.codes[i] !== 0)
    const values = bitmap(rows, (i) => column.codes[i] === 2)
    return makeData({
      type: type as Bool,
      length: rows,
      nullCount: validity.unset,
      nullBitmap: validity.unset ? validity.bits : null,
      data: values.bits,
    })
  }
  const validity = bitmap(rows, (i) => column.present[i] === 1)
  const nulls = { nullCount: validity.unset, nullBitmap: validity.unset ? validity.bits : null }
  if (column.kind === 'string') {
    const offsets = column.offsets.subarray(0, rows + 1)
    const bytes = column.bytes.subarray(0, offsets[rows])
    return makeData({ type: type as Utf8, length: rows, ...nulls, valueOffsets: offsets, data: bytes })
  }
  const values = column.values.subarray(0, rows)
  if (kind === 'timestamp')
    return makeData({
      type: type as TimestampMillisecond,
      length: rows,
      ...nulls,
      data: int64Of(values, rows),
    })
  if (kind === 'date' || kind === 'int')
    return makeData({
      type: type as Int32,
      length: rows,
      ...nulls,
      data: int32Of(name, values, column.present),
    })
  return makeData({ type: type as Float64, length: rows, ...nulls, data: values })
}

/** A chunk as an Arrow record batch of `schema` (`arrowSchema(columns)`), sharing its arrays where it can. */
export function recordBatchOf(columns: Column[], schema: Schema, chunk: PackedRows): RecordBatch {
  const children = columns.map((c, i) =>
    arrowData(c.name, c.kind, chunk.columns[i] as PackedColumn, chunk.rows),
  )
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: chunk.rows, nullCount: 0, children }),
  )
}
