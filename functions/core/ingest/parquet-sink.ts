import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Table as ArrowTable, type Schema, tableToIPC } from 'apache-arrow'
import type { SchemaElement } from 'hyparquet'
import {
  Compression,
  EnabledStatistics,
  Encoding,
  initSync,
  type RecordBatch as ParquetBatch,
  Table as ParquetTable,
  transformParquetStream,
  type WriterProperties,
  WriterPropertiesBuilder,
  WriterVersion,
} from 'parquet-wasm/esm'
import type { Column, ColumnKind } from '../contracts/columns.ts'
import { arrowSchema, type PackedRows, RowChunkBuilder, recordBatchOf } from './row-group.ts'

export type { Value } from './row-group.ts'

const PARQUET_TYPES: Record<ColumnKind, Omit<SchemaElement, 'name'>> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
  date: { type: 'INT32', converted_type: 'DATE' },
  int: { type: 'INT32' },
  double: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
}

/**
 * The Parquet schema the writer gives a list of contract columns (the Arrow types of row-group.ts become these;
 * timestamps are UTC instants, stored without zone). Glue's table types are checked against it.
 */
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

export const CREATED_BY = 'hotspot'

/**
 * The Parquet writer is Apache Arrow's Rust writer, built to WebAssembly (parquet-wasm). Its module is read
 * once per thread: from `PARQUET_WASM` where a bundle ships it beside itself (the Lambdas), else from the package.
 */
let wasmReady = false
function loadParquetWasm(): void {
  if (wasmReady) return
  const file =
    process.env.PARQUET_WASM ??
    createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')
  initSync({ module: readFileSync(file) })
  wasmReady = true
}

/**
 * The file's own metadata (its drop, its run) is one key-value entry: parquet-wasm hands the entries to the
 * writer through a hash map, whose order changes from run to run, and one entry keeps the same rows giving
 * the same bytes. Its value is the metadata as JSON, keys in order.
 */
export const METADATA_KEY = 'hotspot'

export function metadataValue(kvMetadata: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(kvMetadata).sort(([a], [b]) => (a < b ? -1 : 1))))
}

/**
 * Min/max statistics only where queries prune on them (time ranges, grid cells). Encodings that shrink what
 * Athena scans (it bills by the bytes of the column chunks a query reads): numbers, dates and timestamps as
 * deltas (a day's times lie within hours of each other, line numbers climb by one), unique ids as shared
 * prefixes, compressed with gzip rather than Snappy: ids are the largest columns the version windows read, and
 * gzip stores them in a third less. Other text keeps a dictionary, which the writer drops for plain values
 * once it outgrows a page. Trino and DuckDB read all of them.
 */
function writerProperties(
  columns: Column[],
  uniqueColumns: ReadonlySet<string>,
  kvMetadata: Record<string, string>,
): WriterProperties {
  let builder = new WriterPropertiesBuilder()
    .setWriterVersion(WriterVersion.V2)
    .setCompression(Compression.SNAPPY)
    .setCreatedBy(CREATED_BY)
    .setMaxRowGroupSize(ROW_GROUP_ROWS)
    .setStatisticsEnabled(EnabledStatistics.None)
    .setKeyValueMetadata(new Map([[METADATA_KEY, metadataValue(kvMetadata)]]))
  for (const { name, kind } of columns) {
    if (kind === 'int' || kind === 'date' || kind === 'timestamp') {
      builder = builder
        .setColumnDictionaryEnabled(name, false)
        .setColumnEncoding(name, Encoding.DELTA_BINARY_PACKED)
        .setColumnStatisticsEnabled(name, EnabledStatistics.Chunk)
    } else if (kind === 'double') {
      // coordinates: a row group's values are nearly all distinct, and a dictionary of them (which the writer
      // keeps while it fits a page) is a fifth larger than the values themselves
      builder = builder.setColumnDictionaryEnabled(name, false)
    } else if (kind === 'string' && uniqueColumns.has(name)) {
      builder = builder
        .setColumnDictionaryEnabled(name, false)
        .setColumnEncoding(name, Encoding.DELTA_BYTE_ARRAY)
        .setColumnCompression(name, Compression.GZIP)
    }
  }
  return builder.build()
}

/**
 * Writes chunks of rows to a Parquet file, one row group per `ROW_GROUP_ROWS` rows. Every writer of the
 * pipeline goes through here, on whichever thread, and is given the same chunks (row-group.ts), so the same
 * rows always give the same bytes.
 *
 * `write` takes a chunk the caller no longer changes and returns at once; the chunk is encoded when the
 * Parquet writer asks for it (`onTaken` then says so), while the caller awaits something. `finish` writes the
 * rest and closes the file.
 */
export class ParquetFileWriter {
  private readonly schema: Schema
  private readonly queue: PackedRows[] = []
  private wake: (() => void) | undefined
  private closed = false
  private written = false
  private readonly done: Promise<void>

  constructor(
    readonly file: string,
    private readonly columns: Column[],
    kvMetadata: Record<string, string>,
    /** Columns whose values rarely repeat (ids, line numbers): stored as deltas, never in a dictionary. */
    uniqueColumns: ReadonlySet<string>,
    private readonly onTaken: (rows: number) => void = () => {},
  ) {
    loadParquetWasm()
    this.schema = arrowSchema(columns)
    const fd = openSync(file, 'w')
    this.done = this.pump(fd, writerProperties(columns, uniqueColumns, kvMetadata)).finally(() =>
      closeSync(fd),
    )
    // a failure is thrown by finish(); until then it must not count as unhandled
    this.done.catch(() => {})
  }

  write(chunk: PackedRows): void {
    if (this.closed) throw new Error(`${this.file}: write after finish`)
    if (chunk.rows === 0) return
    this.queue.push(chunk)
    this.wake?.()
  }

  async finish(): Promise<void> {
    this.closed = true
    this.wake?.()
    await this.done
  }

  private async pump(fd: number, properties: WriterProperties): Promise<void> {
    const batches = new ReadableStream<ParquetBatch>(
      { pull: (controller) => this.next(controller) },
      { highWaterMark: 0 },
    )
    const output = await transformParquetStream(batches, properties)
    for await (const bytes of output as ReadableStream<Uint8Array>) writeSync(fd, bytes)
  }

  /** Hands the writer its next chunk as a batch in WebAssembly memory, waiting for one if none is queued. */
  private async next(controller: ReadableStreamDefaultController<ParquetBatch>): Promise<void> {
    while (this.queue.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
      this.wake = undefined
    }
    const chunk = this.queue.shift()
    // a file of no rows still carries its schema, given by a batch of none
    const rows = chunk ?? (this.written ? undefined : new RowChunkBuilder(this.columns, 0).packed())
    if (!rows) {
      controller.close()
      return
    }
    this.written = true
    const ipc = tableToIPC(new ArrowTable(recordBatchOf(this.columns, this.schema, rows)), 'stream')
    const table = ParquetTable.fromIPCStream(ipc)
    controller.enqueue(table.recordBatch(0) as ParquetBatch)
    table.free()
    if (chunk) this.onTaken(chunk.rows)
  }
}

/**
 * Writes rows to a Parquet file on this thread: for tables built in memory (reference data, mart results).
 * Ingest writes through `ThreadedParquetSink`.
 */
export class ParquetSink {
  private readonly writer: ParquetFileWriter
  private readonly chunk: RowChunkBuilder
  rows = 0

  constructor(
    readonly file: string,
    readonly columns: Column[],
    kvMetadata: Record<string, string> = {},
    uniqueColumns: ReadonlySet<string> = new Set(),
  ) {
    this.writer = new ParquetFileWriter(file, columns, kvMetadata, uniqueColumns)
    this.chunk = new RowChunkBuilder(columns)
  }

  /** Adds a row, its values read by column name (absent: null). */
  append(row: Record<string, unknown>): void {
    this.rows++
    if (this.chunk.append(row, [])) {
      this.writer.write(this.chunk.copy())
      this.chunk.clear()
    }
  }

  async finish(): Promise<void> {
    this.writer.write(this.chunk.copy())
    this.chunk.clear()
    await this.writer.finish()
  }
}
