import { closeSync, openSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import type { Column } from '../contracts/columns.ts'
import { type PackedRows, RowChunkBuilder, type Value } from '../parquet/row-group.ts'
import { HeldChunks, parquetBytes, parquetWasmFile, ROW_GROUP_ROWS } from '../parquet/writer.ts'
import type { LocalFile } from '../ports.ts'
import { RepeatedKeys } from './key-set.ts'

export type SinkRequest =
  | {
      kind: 'open'
      file: string
      columns: Column[]
      kvMetadata: Record<string, string>
      uniqueColumns: string[]
      keyColumns: string[]
      /** `file`, opened for reading and writing by this thread, which closes it once the writer thread has ended. */
      fd: number
    }
  | { kind: 'rows'; chunk: PackedRows }
  | { kind: 'finish' }

export type SinkReply =
  | { kind: 'written'; rows: number }
  | { kind: 'finished'; repeats: string[] }
  /** `code`: the system's, when a write failed (ENOSPC). */
  | { kind: 'failed'; message: string; code?: string }

/**
 * Rows handed to the writer thread and not yet taken by its Parquet writer: two row groups keep it busy while
 * the next one fills; more would only hold more rows in memory when validating outruns encoding.
 */
export const MAX_ROWS_IN_FLIGHT = 2 * ROW_GROUP_ROWS

/**
 * The writer thread's heap ceiling. Without one a worker sizes its heap like the process's (a quarter of the
 * machine's memory) and lets it grow to some hundreds of MB between collections; it holds at most a few row
 * groups, so 1 GB leaves room for rows of long text while keeping its heap near what it uses.
 */
const WRITER_THREAD_HEAP_MB = 1024

/**
 * The writer thread's module. The Lambda bundle carries it prebuilt as parquet-worker.mjs beside index.mjs
 * (lib/lambda.ts builds it). From source (tsx, vitest) it is TypeScript, which a worker cannot load by itself
 * (Node 20 does not apply `--import tsx` to a worker's entry), so a one-line module registers tsx first.
 */
function writerThreadEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./parquet-worker.mjs', import.meta.url)
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const entry = JSON.stringify(new URL('./parquet-worker.ts', import.meta.url).href)
  const boot = `import { register } from ${tsx}; register(); await import(${entry})`
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`)
}

/**
 * Writes validated rows to a Parquet file like `ParquetSink`, but encodes on a worker thread: this thread reads
 * and validates while the worker encodes. A drop smaller than one row group (most daily drops) is encoded here
 * at `finish`, without starting a thread, and kept in memory: `finish` answers its bytes, and writes no file
 * (unless its text outgrows `MAX_HELD_BYTES` first: `HeldChunks`). Both ways hand the same chunks to the same writer (parquet/writer.ts),
 * so the file is the same.
 *
 * `append` never blocks; the caller awaits `ready()` now and then (between batches), which holds it back while
 * `MAX_ROWS_IN_FLIGHT` rows wait for the writer, and throws once the writer has failed.
 */
export class ThreadedParquetSink {
  rows = 0
  private readonly chunk: RowChunkBuilder
  /** Chunks kept here until the drop proves larger than a row group. */
  private readonly held = new HeldChunks()
  private worker: Worker | undefined
  private fd: number | undefined
  private rowsInFlight = 0
  /** Set when the writer thread has finished the file: the keys its rows repeated. */
  private repeats: Set<string> | undefined
  private failure: Error | undefined
  private waiting: { done: () => boolean; resolve: () => void; reject: (error: Error) => void } | undefined

  constructor(
    readonly file: string,
    private readonly columns: Column[],
    private readonly kvMetadata: Record<string, string> = {},
    /** Columns whose values rarely repeat (ids, line numbers): a dictionary would only be tried and dropped. */
    private readonly uniqueColumns: ReadonlySet<string> = new Set(),
    /** The record key's columns, when `finish` is to answer which keys the rows repeated. */
    private readonly keyColumns: readonly string[] = [],
  ) {
    this.chunk = new RowChunkBuilder(columns)
  }

  /** Adds a row: see `RowChunkBuilder.append`. */
  append(row: Record<string, unknown>, trailing: readonly Value[] = []): void {
    this.rows++
    if (this.chunk.append(row, trailing)) this.handOver()
  }

  /** Undefined while the writer has room for more rows; else a promise of room, or of its failure. */
  ready(): Promise<void> | undefined {
    if (!this.failure && this.rowsInFlight < MAX_ROWS_IN_FLIGHT) return undefined
    return this.until(() => this.rowsInFlight < MAX_ROWS_IN_FLIGHT)
  }

  /**
   * Writes what is left and closes the file; answers the keys that rows repeated (with `keyColumns`), and the
   * Parquet file: its bytes for a drop that never reached a writer thread (no file is written), else the file.
   */
  async finish(): Promise<{ repeats: Set<string>; parquet: Uint8Array | LocalFile }> {
    if (!this.worker) {
      const chunks = [...this.held.take(), this.chunk.copy()]
      const keys = this.keyColumns.length ? new RepeatedKeys(this.columns, this.keyColumns) : undefined
      for (const chunk of chunks) keys?.observe(chunk)
      const parquet = parquetBytes(this.file, this.columns, chunks, this.kvMetadata, this.uniqueColumns)
      return { repeats: keys?.repeats ?? new Set(), parquet }
    }
    this.send(this.chunk.copy())
    this.post({ kind: 'finish' })
    try {
      await this.until(() => this.repeats !== undefined)
    } finally {
      await this.stop()
    }
    return { repeats: this.repeats as Set<string>, parquet: { file: this.file } }
  }

  /** Stops the writer thread, if any; the partial file is left for the caller to remove. */
  abort(): void {
    void this.stop()
  }

  /** Ends the writer thread, then closes the file it was writing (it is this thread's to close). */
  private async stop(): Promise<void> {
    const { worker, fd } = this
    this.worker = undefined
    this.fd = undefined
    await worker?.terminate()
    if (fd !== undefined) closeSync(fd)
  }

  private handOver(): void {
    if (this.worker) this.send(this.chunk.copy())
    else {
      if (this.held.add(this.chunk.copy())) {
        this.start()
        for (const chunk of this.held.take()) this.send(chunk)
      }
    }
    this.chunk.clear()
  }

  /** Hands a chunk of its own to the writer thread; its arrays move there rather than being copied. */
  private send(chunk: PackedRows): void {
    if (chunk.rows === 0) return
    const buffers = chunk.columns.flatMap((c): ArrayBufferLike[] =>
      c.kind === 'number'
        ? [c.values.buffer, c.present.buffer]
        : c.kind === 'boolean'
          ? [c.codes.buffer]
          : [c.bytes.buffer, c.offsets.buffer, c.present.buffer],
    )
    this.post({ kind: 'rows', chunk }, buffers as ArrayBuffer[])
    this.rowsInFlight += chunk.rows
  }

  private post(request: SinkRequest, transfer: ArrayBuffer[] = []): void {
    // a failed writer takes nothing more; the failure is thrown from ready() or finish()
    if (!this.failure) (this.worker as Worker).postMessage(request, transfer)
  }

  private start(): void {
    try {
      this.fd = openSync(this.file, 'w+')
    } catch (error) {
      const failure = new Error(
        `cannot open ${this.file} for the Parquet writer thread: ${(error as Error).message}`,
        { cause: error },
      )
      throw Object.assign(failure, { code: (error as NodeJS.ErrnoException).code })
    }
    const worker = new Worker(writerThreadEntry(), {
      workerData: { parquetWasm: parquetWasmFile() },
      resourceLimits: { maxOldGenerationSizeMb: WRITER_THREAD_HEAP_MB },
    })
    worker.on('message', (reply: SinkReply) => {
      if (reply.kind === 'written') this.rowsInFlight -= reply.rows
      else if (reply.kind === 'finished') this.repeats = new Set(reply.repeats)
      else {
        // the writer's message names the file
        const failure = new Error(`the Parquet writer thread failed: ${reply.message}`)
        this.fail(Object.assign(failure, { code: reply.code }))
      }
      this.settle()
    })
    worker.on('error', (error) => {
      this.fail(
        new Error(`the Parquet writer thread for ${this.file} failed: ${error.message}`, { cause: error }),
      )
      this.settle()
    })
    worker.on('exit', (code) => {
      if (!this.repeats)
        this.fail(new Error(`the Parquet writer thread for ${this.file} exited (code ${code})`))
      this.settle()
    })
    this.worker = worker
    this.post({
      kind: 'open',
      file: this.file,
      columns: this.columns,
      kvMetadata: this.kvMetadata,
      uniqueColumns: [...this.uniqueColumns],
      keyColumns: [...this.keyColumns],
      fd: this.fd,
    })
  }

  private fail(error: Error): void {
    this.failure ??= error
  }

  private until(done: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting = { done, resolve, reject }
      this.settle()
    })
  }

  private settle(): void {
    const waiting = this.waiting
    if (!waiting) return
    if (this.failure) {
      this.waiting = undefined
      waiting.reject(this.failure)
    } else if (waiting.done()) {
      this.waiting = undefined
      waiting.resolve()
    }
  }
}
