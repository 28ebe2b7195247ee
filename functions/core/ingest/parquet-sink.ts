import { gzipSync } from 'node:zlib'
import type { SchemaElement } from 'hyparquet'
import { fileWriter, ParquetWriter } from 'hyparquet-writer'
import type { Column, ColumnKind } from '../contracts/columns.ts'

const PARQUET_TYPES: Record<ColumnKind, Omit<SchemaElement, 'name'>> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
  date: { type: 'INT32', converted_type: 'DATE' },
  int: { type: 'INT32' },
  double: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
}

/** The Parquet schema of a list of contract columns (timestamps are UTC instants, stored without zone). */
export function parquetSchema(columns: Column[]): SchemaElement[] {
  return [
    { name: 'root', num_children: columns.length },
    ...columns.map((c) => ({
      name: c.name,
      ...PARQUET_TYPES[c.kind],
      repetition_type: c.required ? ('REQUIRED' as const) : ('OPTIONAL' as const),
    })),
  ]
}

/** Row groups of 50,000 rows keep the writer's working set (and a Lambda's memory) small. */
export const ROW_GROUP_ROWS = 50_000

/**
 * Min/max statistics only where queries prune on them (time ranges, grid cells): computing them for every text
 * column costs more than a third of the write time and buys nothing.
 */
const WITH_STATISTICS = new Set<ColumnKind>(['timestamp', 'date', 'int'])
export const CREATED_BY = 'hotspot'

/**
 * Encodings that shrink what Athena scans (it bills by the bytes of the column chunks a query reads): numbers,
 * dates and timestamps as deltas (a day's times lie within hours of each other, line numbers climb by one),
 * unique ids as shared prefixes, compressed with gzip rather than Snappy: ids are the largest columns the
 * version windows read, and gzip stores them in a third less (4.2 against 2.8 bytes an incident id), for about
 * 0.1 s a million rows. Other text keeps the writer's dictionary. Trino and DuckDB read all of them.
 */
function encodingOf(
  column: Column,
  unique: boolean,
): { encoding?: 'DELTA_BINARY_PACKED' | 'DELTA_BYTE_ARRAY'; codec?: 'GZIP' } {
  if (column.kind === 'int' || column.kind === 'date' || column.kind === 'timestamp')
    return { encoding: 'DELTA_BINARY_PACKED' }
  if (column.kind === 'string' && unique) return { encoding: 'DELTA_BYTE_ARRAY', codec: 'GZIP' }
  return {}
}

const gzip = (bytes: Uint8Array): Uint8Array => gzipSync(bytes, { level: 6 })

export type Value = string | number | boolean | null

/** A Parquet writer (Snappy, gzip for unique ids) for `columns`; the file is created now and grows one row group at a time. */
export function openParquetWriter(
  file: string,
  columns: Column[],
  kvMetadata: Record<string, string>,
): ParquetWriter {
  return new ParquetWriter({
    writer: fileWriter(file),
    schema: parquetSchema(columns),
    codec: 'SNAPPY',
    compressors: { GZIP: gzip },
    createdBy: CREATED_BY,
    kvMetadata: Object.entries(kvMetadata).map(([key, value]) => ({ key, value })),
  })
}

/**
 * Writes one row group (`data[i]` holds column i's values). Every writer of the pipeline goes through here, on
 * whichever thread, so the same rows always give the same bytes.
 */
export function writeRowGroup(
  writer: ParquetWriter,
  columns: Column[],
  uniqueColumns: ReadonlySet<string>,
  data: Value[][],
  rows: number,
): void {
  const pending = writer.write({
    columnData: columns.map((c, i) => ({
      name: c.name,
      data: data[i] as Value[],
      statistics: WITH_STATISTICS.has(c.kind),
      ...encodingOf(c, uniqueColumns.has(c.name)),
    })),
    rowGroupSize: rows,
  })
  // the file writer is synchronous; a writer that flushes asynchronously would need awaiting here
  if (pending) throw new Error('Parquet row groups need a synchronous writer')
}

/**
 * Writes rows to a Snappy-compressed Parquet file, one row group per `ROW_GROUP_ROWS` rows, on this thread: for
 * tables built in memory (reference data, mart results). Ingest writes through `ThreadedParquetSink`.
 */
export class ParquetSink {
  private readonly writer: ParquetWriter
  private buffers: Value[][]
  private buffered = 0
  rows = 0

  constructor(
    readonly file: string,
    readonly columns: Column[],
    kvMetadata: Record<string, string> = {},
    /** Columns whose values rarely repeat (ids, line numbers): a dictionary would only be tried and dropped. */
    private readonly uniqueColumns: ReadonlySet<string> = new Set(),
  ) {
    this.writer = openParquetWriter(file, columns, kvMetadata)
    this.buffers = columns.map(() => [])
  }

  /** Adds a row, its values read by column name (absent: null). */
  append(row: Record<string, unknown>): void {
    const { columns, buffers } = this
    for (let i = 0; i < columns.length; i++) {
      const value = row[(columns[i] as Column).name]
      ;(buffers[i] as Value[]).push(value === undefined ? null : (value as Value))
    }
    this.rows++
    if (++this.buffered >= ROW_GROUP_ROWS) this.flush()
  }

  finish(): void {
    this.flush()
    this.writer.finish()
  }

  private flush(): void {
    if (this.buffered === 0) return
    writeRowGroup(this.writer, this.columns, this.uniqueColumns, this.buffers, this.buffered)
    this.buffers = this.columns.map(() => [])
    this.buffered = 0
  }
}
