/**
 * The writer thread of `ThreadedParquetSink` (threaded-sink.ts): opens one Parquet file, writes the chunks of
 * rows it is sent, in order, noting the keys they repeat, and finishes the file.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { ParquetFileWriter, useParquetWasm } from '../parquet/writer.ts'
import { RepeatedKeys } from './key-set.ts'
import type { SinkReply, SinkRequest } from './threaded-sink.ts'

const port = parentPort
if (!port) throw new Error('parquet-worker.ts runs as a worker thread (see threaded-sink.ts)')
useParquetWasm((workerData as { parquetWasm: string | undefined }).parquetWasm)

let writer: ParquetFileWriter | undefined
let keys: RepeatedKeys | undefined
let failed = false

const reply = (message: SinkReply) => port.postMessage(message)

function fail(error: unknown): void {
  if (failed) return
  failed = true
  reply({
    kind: 'failed',
    message: error instanceof Error ? error.message : String(error),
    code: (error as NodeJS.ErrnoException | undefined)?.code,
  })
}

port.on('message', (request: SinkRequest) => {
  if (failed) return
  try {
    if (request.kind === 'open') {
      const { file, columns, kvMetadata } = request
      writer = new ParquetFileWriter(file, columns, kvMetadata, {
        uniqueColumns: new Set(request.uniqueColumns),
        fd: request.fd,
        onTaken: (rows) => reply({ kind: 'written', rows }),
        // at once, so the reading thread stops rather than waiting for room that will never come
        onFailed: fail,
      })
      if (request.keyColumns.length) keys = new RepeatedKeys(columns, request.keyColumns)
    } else if (!writer) {
      throw new Error(`${request.kind} before open`)
    } else if (request.kind === 'rows') {
      keys?.observe(request.chunk)
      writer.write(request.chunk)
    } else {
      writer.finish().then(() => reply({ kind: 'finished', repeats: [...(keys?.repeats ?? [])] }), fail)
    }
  } catch (error) {
    fail(error)
  }
})
