/**
 * The writer thread of `ThreadedParquetSink` (threaded-sink.ts): opens one Parquet file, joins the chunks of
 * rows it is sent into row groups, writes them in order, and finishes the file.
 */
import { parentPort } from 'node:worker_threads'
import type { ParquetWriter } from 'hyparquet-writer'
import { openParquetWriter, writeRowGroup } from './parquet-sink.ts'
import { RowGroupAssembler } from './row-group.ts'
import type { SinkReply, SinkRequest } from './threaded-sink.ts'

const port = parentPort
if (!port) throw new Error('parquet-worker.ts runs as a worker thread (see threaded-sink.ts)')

let target: { writer: ParquetWriter; groups: RowGroupAssembler } | undefined
let failed = false

const reply = (message: SinkReply) => port.postMessage(message)

port.on('message', (request: SinkRequest) => {
  if (failed) return
  try {
    if (request.kind === 'open') {
      const { file, columns, kvMetadata } = request
      const uniqueColumns = new Set(request.uniqueColumns)
      const writer = openParquetWriter(file, columns, kvMetadata)
      const groups = new RowGroupAssembler(columns.length, (data, rows) => {
        writeRowGroup(writer, columns, uniqueColumns, data, rows)
        reply({ kind: 'written', rows })
      })
      target = { writer, groups }
    } else if (!target) {
      throw new Error(`${request.kind} before open`)
    } else if (request.kind === 'rows') {
      target.groups.add(request.chunk)
    } else {
      target.groups.flush()
      target.writer.finish()
      reply({ kind: 'finished' })
    }
  } catch (error) {
    failed = true
    reply({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
  }
})
