/**
 * `npm run bench:queries`: builds (or reuses) the `london` lake under bench/.london/, times the whole nightly
 * suite on DuckDB (every mart, staging built once, results written: what `hotspot run` does), and estimates
 * what Athena would scan per mart: the compressed bytes of the Parquet column chunks each query reads, taken from
 * DuckDB's own plan (the columns it projects and filters on, per file group), with staging inlined as Athena
 * runs it. Figures go to bench/results/queries.json. Targets (2 cores): the whole suite in at most 5 s; no mart
 * reading more than 100 MB.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDbLake } from '../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../functions/cli/ingest-command.ts'
import { composeMart, MART_NAMES } from '../functions/core/analytics/marts.ts'
import { runMarts } from '../functions/core/analytics/run.ts'
import { FEED_NAMES } from '../functions/core/contracts/feeds.ts'
import { generateCity } from '../functions/core/generate/generate.ts'
import { systemClock } from '../functions/core/ports.ts'
import { loadReference } from '../functions/core/reference/load.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const CITY = process.env.BENCH_CITY ?? path.join(here, '.london', 'city')
const LAKE = process.env.BENCH_LAKE ?? path.join(here, '.london', 'lake')
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const say = (text: string) => process.stderr.write(`${text}\n`)

async function buildLake(): Promise<{
  asOf: string
  generatedSeconds: number | null
  ingestSeconds: number
}> {
  let generatedSeconds: number | null = null
  if (!existsSync(path.join(CITY, 'truth.json'))) {
    say(`generating the london city into ${CITY} (once)...`)
    const started = performance.now()
    await generateCity({ scale: 'london', years: 5, seed: 1, out: CITY })
    generatedSeconds = (performance.now() - started) / 1000
  }
  const truth = JSON.parse(readFileSync(path.join(CITY, 'truth.json'), 'utf8'))
  const store = new FsObjectStore(LAKE)
  const started = performance.now()
  for (const [kind, file] of [
    ['weights', 'weights.csv'],
    ['register', 'register.geojson'],
    ['recipients', 'recipients.json'],
  ] as const) {
    await loadReference(store, kind, path.join(CITY, file))
  }
  for (const feed of FEED_NAMES) {
    say(`ingesting ${feed} (drops already in the lake are recognised and skipped)...`)
    const { failures } = await runIngestCommand([path.join(CITY, 'drops', feed)], { lake: LAKE, feed })
    if (failures.length > 0)
      throw new Error(`${failures.length} ${feed} drops failed: ${failures[0]?.message}`)
  }
  return {
    asOf: truth.dates.end as string,
    generatedSeconds,
    ingestSeconds: (performance.now() - started) / 1000,
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

interface Scan {
  files: string
  columns: string[]
  bytes: number
}

/** What a mart reads from Parquet, per DuckDB's plan: each scan's columns and their compressed chunk bytes. */
async function scanEstimate(lake: DuckDbLake, mart: string, parameters: string[]): Promise<Scan[]> {
  let sql = composeMart(mart)
  for (const value of parameters) sql = sql.replace('?', `'${value.replaceAll("'", "''")}'`)
  const { rows } = await lake.rows(`explain (analyze, format json) ${sql}`)
  const plan = JSON.parse(
    String((rows[0] as Record<string, unknown>).explain_value ?? Object.values(rows[0] as object)[1]),
  )
  const scans: Scan[] = []
  const chunkBytes = new Map<string, Map<string, number>>()
  const visit = async (node: {
    operator_name?: string
    extra_info?: Record<string, string>
    children?: unknown[]
  }) => {
    if (node.operator_name === 'READ_PARQUET' && node.extra_info) {
      // a glob, or (for many files) a list cut short with ", ...": the table's folder names its files either way
      const first = (node.extra_info['Filename(s)'] as string).split(', ')[0] as string
      const folder = /^(.*\/(?:curated|results)\/[a-z_]+)\//.exec(first)?.[1]
      const glob = folder ? `${folder}/*/*.parquet` : first
      if (!chunkBytes.has(glob)) {
        const sizes = await lake.rows(
          `select path_in_schema as column_name, sum(total_compressed_size) as bytes from parquet_metadata('${glob}') group by 1`,
        )
        chunkBytes.set(glob, new Map(sizes.rows.map((r) => [String(r.column_name), Number(r.bytes)])))
      }
      const sizes = chunkBytes.get(glob) as Map<string, number>
      const mentioned = `${node.extra_info.Projections ?? ''}\n${node.extra_info.Filters ?? ''}`
      const columns = [...sizes.keys()].filter((c) => new RegExp(`\\b${c}\\b`).test(mentioned))
      scans.push({
        files: path.relative(LAKE, glob),
        columns,
        bytes: columns.reduce((sum, c) => sum + (sizes.get(c) ?? 0), 0),
      })
    }
    for (const child of node.children ?? []) await visit(child as typeof node)
  }
  for (const root of Array.isArray(plan) ? plan : [plan]) await visit(root)
  return scans
}

async function main(): Promise<void> {
  const built = await buildLake()
  const store = new FsObjectStore(LAKE)
  const suites: { total_seconds: number; marts: Record<string, number> }[] = []
  let manifest: Awaited<ReturnType<typeof runMarts>> | undefined
  for (let run = 0; run < RUNS; run++) {
    const lake = await DuckDbLake.open(LAKE)
    const started = performance.now()
    manifest = await runMarts({ store, engine: lake, clock: systemClock, asOf: built.asOf })
    const total = (performance.now() - started) / 1000
    lake.close()
    suites.push({
      total_seconds: total,
      marts: Object.fromEntries(manifest.marts.map((m) => [m.mart, m.elapsed_ms])),
    })
    say(`run ${run + 1}: whole suite ${total.toFixed(2)} s`)
  }
  const lake = await DuckDbLake.open(LAKE)
  const parameters = [built.asOf, manifest?.weights_version as string, manifest?.register_version as string]
  const marts: Record<
    string,
    { median_ms: number; rows: number; athena_scan_estimate_mb: number; scans: Scan[] }
  > = {}
  for (const mart of MART_NAMES) {
    const scans = await scanEstimate(lake, mart, parameters)
    marts[mart] = {
      median_ms: median(suites.map((s) => s.marts[mart] as number)),
      rows: manifest?.marts.find((m) => m.mart === mart)?.rows ?? 0,
      athena_scan_estimate_mb: Number((scans.reduce((sum, s) => sum + s.bytes, 0) / 1e6).toFixed(1)),
      scans,
    }
    say(
      `${mart.padEnd(28)} ${String(marts[mart].median_ms).padStart(6)} ms  ~${marts[mart].athena_scan_estimate_mb} MB scanned on Athena`,
    )
  }
  const counts = await lake.rows(
    `select ${FEED_NAMES.map((f) => `(select count(*) from ${f}_versions) as ${f}`).join(', ')}`,
  )
  lake.close()
  const result = {
    benchmark: 'queries',
    command: 'npm run bench:queries',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, node: process.version },
    lake: {
      as_of: built.asOf,
      stored_rows: counts.rows[0],
      generated_seconds: built.generatedSeconds,
      ingest_or_check_seconds: Number(built.ingestSeconds.toFixed(1)),
    },
    runs: RUNS,
    whole_suite_median_seconds: Number(median(suites.map((s) => s.total_seconds)).toFixed(3)),
    whole_suite_each_seconds: suites.map((s) => Number(s.total_seconds.toFixed(3))),
    largest_athena_scan_estimate_mb: Math.max(...Object.values(marts).map((m) => m.athena_scan_estimate_mb)),
    marts,
    targets: { whole_suite_seconds: 5, max_scan_mb_per_mart: 100 },
  }
  mkdirSync(path.join(here, 'results'), { recursive: true })
  writeFileSync(path.join(here, 'results', 'queries.json'), `${JSON.stringify(result, null, 2)}\n`)
  say(
    `whole suite: median ${result.whole_suite_median_seconds} s; largest Athena scan estimate ${result.largest_athena_scan_estimate_mb} MB`,
  )
}

await main()
