/**
 * One ingest of the bench file, in a process of its own so that its peak RSS is its own (bench/ingest.ts runs
 * it). Prints the ingest's figures as JSON. Usage: ingest-child FILE LAKE
 */
import { FsObjectStore } from '../functions/adapters/fs-object-store.ts'
import { ingestDrop } from '../functions/core/ingest/ingest.ts'
import { useParquetWasm } from '../functions/core/parquet/writer.ts'
import { systemClock } from '../functions/core/ports.ts'

const [file, lake] = process.argv.slice(2)
if (!file || !lake) throw new Error('usage: ingest-child FILE LAKE')
// the edge, as the ingest Lambda's configuration is: bundled, the writer's WebAssembly is beside the bundle
useParquetWasm(process.env.PARQUET_WASM)
const started = performance.now()
const { manifest } = await ingestDrop({
  store: new FsObjectStore(lake),
  clock: systemClock,
  feed: 'incidents',
  file,
  sourceName: file,
  dropDate: '2026-01-01',
})
const seconds = (performance.now() - started) / 1000
process.stdout.write(
  JSON.stringify({
    seconds,
    rows_in: manifest.rows_in,
    rows_accepted: manifest.rows_accepted,
    rows_quarantined: manifest.rows_quarantined,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    timings_ms: manifest.timings_ms,
  }),
)
