import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Table as ArrowTable, type Schema, tableToIPC } from 'apache-arrow'
import { parquetMetadata } from 'hyparquet'
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
  writeParquet,
} from 'parquet-wasm/esm'
import type { Column } from '../contracts/columns.ts'
import { arrowSchema, type PackedRows, packedBytes, RowChunkBuilder, recordBatchOf } from './row-group.ts'

export type { Value } from './row-group.ts'

/** Row groups of 50,000 rows keep the writer's working set (and a Lambda's memory) small. */
export const ROW_GROUP_ROWS = 50_000

export const CREATED_BY = 'hotspot'

/**
 * The Parquet writer is Apache Arrow's Rust writer, built to WebAssembly (parquet-wasm). Its module is read
 * once per thread: from the package, unless the edge names where a bundle ships it beside itself (the Lambdas'
 * PARQUET_WASM); a writer thread is handed the same file (parquetWasmFile) when it starts.
 */
let wasmFile: string | undefined
let wasmReady = false

export function parquetWasmFile(): string | undefined {
  return wasmFile
}

/** Called once at cold start, before any Parquet is written; undefined: the package's. */
export function useParquetWasm(file: string | undefined): void {
  wasmFile = file
}

function loadParquetWasm(): void {
  if (wasmReady) return
  initSync({
    module: readFileSync(
      wasmFile ?? createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm'),
    ),
  })
  wasmReady = true
}

/**
 * Rows held to be written in one call (`parquetBytes`) stop at this many bytes, though they fill no row group:
 * the Parquet writer holds a copy of them in its WebAssembly memory while it encodes, beside the file it makes.
 */
export const MAX_HELD_BYTES = 32 * 1024 * 1024

/**
 * The chunks of a table kept until they outgrow a row group or `MAX_HELD_BYTES`: a table that never does is
 * written in one call (`parquetBytes`); a larger one is handed, held chunks first, to a stream writer.
 */
export class HeldChunks {
  private chunks: PackedRows[] = []
  private rows = 0
  private bytes = 0

  /** Keeps the chunk; answers whether the chunks kept are now too many to write in one call. */
  add(chunk: PackedRows): boolean {
    this.chunks.push(chunk)
    this.rows += chunk.rows
    this.bytes += packedBytes(chunk)
    return this.rows >= ROW_GROUP_ROWS || this.bytes >= MAX_HELD_BYTES
  }

  /** The chunks kept, which are kept no longer. */
  take(): PackedRows[] {
    const chunks = this.chunks
    this.chunks = []
    this.rows = 0
    this.bytes = 0
    return chunks
  }
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

export interface ParquetFileWriterOptions {
  /** Columns whose values rarely repeat (ids, line numbers): stored as deltas, never in a dictionary. */
  uniqueColumns?: ReadonlySet<string>
  /**
   * The file, opened for reading and writing by its owner, who closes it once the writer is done (a writer
   * thread given its parent's file); by default the writer opens and closes `file` itself.
   */
  fd?: number
  /** The Parquet writer took a chunk: that many more rows may be sent. */
  onTaken?: (rows: number) => void
  /** The writer failed: `write` and `finish` throw the same error from now on. */
  onFailed?: (error: Error) => void
}

/**
 * Writes chunks of rows to a Parquet file, one row group per `ROW_GROUP_ROWS` rows. Every writer of the
 * pipeline goes through here, on whichever thread, and is given the same chunks (row-group.ts), so the same
 * rows always give the same bytes.
 *
 * `write` takes a chunk the caller no longer changes and returns at once; the chunk is encoded when the
 * Parquet writer asks for it (`onTaken` then says so), while the caller awaits something. `finish` writes the
 * rest, checks the rows the file's footer counts against the rows given, and closes the file. parquet-wasm's
 * stream writer drops a batch it cannot take and still closes the file as whole, so that count is what stands
 * between a failure and a file that silently lacks rows.
 */
export class ParquetFileWriter {
  private readonly schema: Schema
  private readonly queue: PackedRows[] = []
  private wake: (() => void) | undefined
  private closed = false
  private batches = 0
  private rowsGiven = 0
  private failure: Error | undefined
  private readonly done: Promise<void>

  constructor(
    readonly file: string,
    private readonly columns: Column[],
    kvMetadata: Record<string, string>,
    private readonly options: ParquetFileWriterOptions = {},
  ) {
    loadParquetWasm()
    this.schema = arrowSchema(columns)
    const properties = writerProperties(columns, options.uniqueColumns ?? new Set(), kvMetadata)
    const owned = options.fd === undefined
    const fd = options.fd ?? openSync(file, 'w+')
    this.done = this.pump(fd, properties)
      .then(() => this.checkRowCount(fd))
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        if (owned) closeSync(fd)
      })
  }

  write(chunk: PackedRows): void {
    if (this.failure) throw this.failure
    if (this.closed) throw new Error(`${this.file}: write after finish`)
    if (chunk.rows === 0) return
    this.queue.push(chunk)
    this.wake?.()
  }

  async finish(): Promise<void> {
    this.closed = true
    this.wake?.()
    await this.done
    if (this.failure) throw this.failure
  }

  /** Gives up: nothing more is written, and the file (left for the caller to remove) is closed. */
  abort(): void {
    this.fail(new Error(`${this.file}: writing was stopped`))
    this.closed = true
    this.wake?.()
  }

  private fail(error: unknown): void {
    if (this.failure) return
    const cause = error instanceof Error ? error : new Error(String(error))
    // a failed write (a full disk) says how, not where; its system code (ENOSPC) is kept
    this.failure = cause.message.startsWith(this.file)
      ? cause
      : Object.assign(new Error(`${this.file}: ${cause.message}`, { cause }), {
          code: (cause as NodeJS.ErrnoException).code,
        })
    this.options.onFailed?.(this.failure)
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
    try {
      while (this.queue.length === 0 && !this.closed) {
        await new Promise<void>((resolve) => {
          this.wake = resolve
        })
        this.wake = undefined
      }
      if (this.failure) throw this.failure
      const chunk = this.queue.shift()
      // a file of no rows still carries its schema, given by a batch of none
      const rows = chunk ?? (this.batches > 0 ? undefined : new RowChunkBuilder(this.columns, 0).packed())
      if (!rows) {
        controller.close()
        return
      }
      const ipc = tableToIPC(new ArrowTable(recordBatchOf(this.columns, this.schema, rows)), 'stream')
      const table = ParquetTable.fromIPCStream(ipc)
      controller.enqueue(table.recordBatch(0) as ParquetBatch)
      table.free()
      this.batches++
      this.rowsGiven += rows.rows
      if (chunk) this.options.onTaken?.(chunk.rows)
    } catch (error) {
      this.fail(error)
      controller.error(error)
    }
  }

  /** Throws unless the footer just written counts every row the writer was given. */
  private checkRowCount(fd: number): void {
    const { size } = fstatSync(fd)
    const tail = Buffer.alloc(8)
    readSync(fd, tail, 0, 8, size - 8)
    const footerLength = tail.readUInt32LE(0)
    const footer = Buffer.alloc(footerLength + 8)
    readSync(fd, footer, 0, footer.length, size - footer.length)
    assertRowsStored(this.file, footer.buffer.slice(0, footer.length), this.rowsGiven)
  }
}

/** Throws unless a Parquet file's footer (the file's last bytes, or the whole file) counts `rows` rows. */
function assertRowsStored(name: string, footer: ArrayBuffer, rows: number): void {
  const stored = Number(parquetMetadata(footer).num_rows)
  if (stored !== rows)
    throw new Error(`${name}: the Parquet writer stored ${stored} of the ${rows} rows it was given`)
}

/**
 * The Parquet file of chunks that are all at hand (a daily drop, a mart's result: a row group or so), made in
 * one call to the same writer: the bytes `ParquetFileWriter` gives the same chunks, without its stream, whose
 * machinery cost a small file more than its encoding (a demo drop of 6 rows took 2.1 ms, 1.4 ms of it the
 * stream's; npm start writes 10,500 such files). `name` names the file in an error.
 */
export function parquetBytes(
  name: string,
  columns: Column[],
  chunks: readonly PackedRows[],
  kvMetadata: Record<string, string>,
  uniqueColumns: ReadonlySet<string> = new Set(),
): Uint8Array {
  const given = chunks.filter((chunk) => chunk.rows > 0)
  const rows = given.reduce((total, chunk) => total + chunk.rows, 0)
  loadParquetWasm()
  const schema = arrowSchema(columns)
  // a file of no rows still carries its schema, given by a batch of none
  const batches = (given.length > 0 ? given : [new RowChunkBuilder(columns, 0).packed()]).map((chunk) =>
    recordBatchOf(columns, schema, chunk),
  )
  const table = ParquetTable.fromIPCStream(tableToIPC(new ArrowTable(schema, batches), 'stream'))
  // the writer takes the table (its WebAssembly memory is freed with the call)
  const bytes = writeParquet(table, writerProperties(columns, uniqueColumns, kvMetadata))
  assertRowsStored(
    name,
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
    rows,
  )
  return bytes
}

/** `parquetBytes`, written to `file`. */
export function writeParquetChunks(
  file: string,
  columns: Column[],
  chunks: readonly PackedRows[],
  kvMetadata: Record<string, string>,
  uniqueColumns: ReadonlySet<string> = new Set(),
): void {
  const bytes = parquetBytes(file, columns, chunks, kvMetadata, uniqueColumns)
  try {
    writeFileSync(file, bytes)
  } catch (error) {
    // as ParquetFileWriter: a failed write (a full disk) says how, not where; its system code is kept
    const cause = error as NodeJS.ErrnoException
    throw Object.assign(new Error(`${file}: ${cause.message}`, { cause }), { code: cause.code })
  }
}

/**
 * Writes a table built in memory to a Parquet file: every row `rows` yields, then the file is finished. When a
 * row cannot be produced or stored (the iterable or the sink throws), the writer is stopped and the file closed
 * before the error goes on.
 */
export async function writeParquetTable(
  file: string,
  columns: Column[],
  rows: Iterable<Record<string, unknown>>,
  kvMetadata: Record<string, string> = {},
): Promise<void> {
  const sink = new ParquetSink(file, columns, kvMetadata)
  try {
    for (const row of rows) sink.append(row)
  } catch (error) {
    sink.abort()
    throw error
  }
  await sink.finish()
}

/**
 * Writes rows to a Parquet file on this thread: for tables built in memory (reference data, mart results).
 * Ingest writes through `ThreadedParquetSink`. Rows are held (`HeldChunks`): a table of a row group or so is
 * written in one call, a larger one goes through the stream writer.
 */
export class ParquetSink {
  private writer: ParquetFileWriter | undefined
  private readonly chunk: RowChunkBuilder
  private readonly held = new HeldChunks()
  rows = 0

  constructor(
    readonly file: string,
    readonly columns: Column[],
    private readonly kvMetadata: Record<string, string> = {},
    private readonly uniqueColumns: ReadonlySet<string> = new Set(),
  ) {
    this.chunk = new RowChunkBuilder(columns)
  }

  /** Adds a row, its values read by column name (absent: null). */
  append(row: Record<string, unknown>): void {
    this.rows++
    if (this.chunk.append(row, [])) this.handOver()
  }

  async finish(): Promise<void> {
    if (!this.writer) {
      writeParquetChunks(
        this.file,
        this.columns,
        [...this.held.take(), this.chunk.copy()],
        this.kvMetadata,
        this.uniqueColumns,
      )
      return
    }
    this.writer.write(this.chunk.copy())
    this.chunk.clear()
    await this.writer.finish()
  }

  /** Gives up on the file (left for the caller to remove), closing it. */
  abort(): void {
    this.writer?.abort()
    this.held.take()
  }

  private handOver(): void {
    if (this.writer) this.writer.write(this.chunk.copy())
    else {
      if (this.held.add(this.chunk.copy())) {
        this.writer = new ParquetFileWriter(this.file, this.columns, this.kvMetadata, {
          uniqueColumns: this.uniqueColumns,
        })
        for (const chunk of this.held.take()) this.writer.write(chunk)
      }
    }
    this.chunk.clear()
  }
}
