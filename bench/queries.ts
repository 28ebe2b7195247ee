/**
 * `npm run bench:queries`: builds (or reuses) the `london` lake under bench/.london/, times the whole suite on
 * DuckDB (every mart, staging prepared once, results written: what `hotspot run` does) two ways, and estimates
 * what Athena would scan per mart.
 * - nightly: what the nightly run does on a local lake. The staging cache is as the previous night's run left
 *   it (built with the last drop date's files moved aside), then the last day's drops arrive and the run brings
 *   the cache up to date before the marts run. The cache is restored before each run, so every run does the
 *   same update.
 * - cold: no cache; staging computed in memory over every stored row (a first run, or `stagingCache: false`).
 * The Athena estimate is the compressed bytes of the Parquet column chunks each query reads, from DuckDB's own
 * plan (the columns it projects and filters on, per file group), with staging inlined as Athena runs it.
 * Figures go to bench/results/queries.json. Targets (2 cores): the whole suite in at most 5 s; no mart reading
 * more than 100 MB.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDbLake } from '../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../functions/cli/ingest-command.ts'
import {
  composeMart,
  MART_NAMES,
  type MartParameters,
  stagingSql,
} from '../functions/core/analytics/marts.ts'
import { runMarts } from '../functions/core/analytics/run.ts'
import { FEED_NAMES } from '../functions/core/contracts/feeds.ts'
import { generateCity } from '../functions/core/generate/generate.ts'
import {
  type QueryEngine,
  type StagingBuilder,
  systemClock,
  type ViewRefresher,
} from '../functions/core/ports.ts'
import { loadReference } from '../functions/core/reference/load.ts'
import { athenaScanEstimate, type Scan } from './athena-scans.ts'
import { BENCH_INGEST_SETTINGS } from './ingest-settings.ts'
import { median } from './median.ts'

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
    const { failures } = await runIngestCommand([path.join(CITY, 'drops', feed)], {
      lake: LAKE,
      feed,
      settings: BENCH_INGEST_SETTINGS,
    })
    if (failures.length > 0)
      throw new Error(`${failures.length} ${feed} drops failed: ${failures[0]?.message}`)
  }
  return {
    asOf: truth.dates.end as string,
    generatedSeconds,
    ingestSeconds: (performance.now() - started) / 1000,
  }
}

/** The last drop date's curated files moved aside and back: the lake as it was the night before. */
const ASIDE = path.join(path.dirname(LAKE), 'aside')

function moveLastDropDate(lastDate: string, direction: 'aside' | 'back'): void {
  for (const feed of FEED_NAMES) {
    const inLake = path.join(LAKE, 'curated', feed, `dt=${lastDate}`)
    const aside = path.join(ASIDE, feed, `dt=${lastDate}`)
    const [from, to] = direction === 'aside' ? [inLake, aside] : [aside, inLake]
    if (!existsSync(from)) continue
    mkdirSync(path.dirname(to), { recursive: true })
    renameSync(from, to)
  }
}

interface SuiteRun {
  total_seconds: number
  staging_seconds: number
  marts: Record<string, { ms: number; rows: number }>
  staging: Record<string, string>
  parameters: MartParameters
}

async function timeSuite(store: FsObjectStore, asOf: string, stagingCache: boolean): Promise<SuiteRun> {
  const lake = await DuckDbLake.open(LAKE, { stagingCache })
  let stagingSeconds = 0
  const started = performance.now()
  try {
    const engine: QueryEngine & StagingBuilder & ViewRefresher = {
      name: lake.name,
      query: (sql, parameters, options) => lake.query(sql, parameters, options),
      // the views of the runs each presence stage made, for the stages after it
      refresh: () => lake.refresh(),
      prepareStaging: async (staging) => {
        const begun = performance.now()
        const prepared = await lake.prepareStaging(staging)
        stagingSeconds = (performance.now() - begun) / 1000
        return prepared
      },
    }
    const manifest = await runMarts({
      store,
      engine,
      clock: systemClock,
      asOf,
    })
    return {
      total_seconds: (performance.now() - started) / 1000,
      staging_seconds: stagingSeconds,
      marts: Object.fromEntries(manifest.marts.map((m) => [m.mart, { ms: m.elapsed_ms, rows: m.rows }])),
      staging: Object.fromEntries(lake.stagingPreparations()),
      parameters: {
        as_of: asOf,
        weights_version: manifest.weights_version,
        register_version: manifest.register_version,
        population_version: manifest.population_version,
        // the presence_visits run whose visits presence_daily summed (runMarts: the first of earlier_runs)
        presence_visits_run: manifest.earlier_runs[0] ?? null,
      },
    }
  } finally {
    lake.close()
  }
}

const seconds = (values: number[]) => Number(median(values).toFixed(3))

async function main(): Promise<void> {
  const built = await buildLake()
  // a bench interrupted while the last day was aside puts it back first
  moveLastDropDate(built.asOf, 'back')
  const store = new FsObjectStore(LAKE)
  const cacheFile = path.join(LAKE, '.cache', 'staging.duckdb')
  const nightBefore = path.join(path.dirname(LAKE), 'staging-night-before.duckdb')

  // cold: no cache, so every staging table is computed over every stored row
  const cold: SuiteRun[] = []
  for (let run = 0; run < RUNS; run++) {
    const suite = await timeSuite(store, built.asOf, false)
    cold.push(suite)
    say(
      `cold run ${run + 1}: whole suite ${suite.total_seconds.toFixed(2)} s (staging ${suite.staging_seconds.toFixed(2)} s)`,
    )
  }

  // nightly: the staging cache as the previous night's run left it, then the last day's drops arrive
  say('building the staging cache as of the night before...')
  rmSync(cacheFile, { force: true })
  moveLastDropDate(built.asOf, 'aside')
  try {
    const lake = await DuckDbLake.open(LAKE)
    await lake.prepareStaging(stagingSql())
    lake.close()
  } finally {
    moveLastDropDate(built.asOf, 'back')
  }
  copyFileSync(cacheFile, nightBefore)
  const nightly: SuiteRun[] = []
  try {
    for (let run = 0; run < RUNS; run++) {
      copyFileSync(nightBefore, cacheFile)
      const suite = await timeSuite(store, built.asOf, true)
      nightly.push(suite)
      say(
        `nightly run ${run + 1}: whole suite ${suite.total_seconds.toFixed(2)} s (staging ${suite.staging_seconds.toFixed(2)} s: ${[...new Set(Object.values(suite.staging))].join(', ')})`,
      )
    }
  } finally {
    rmSync(nightBefore, { force: true })
  }

  const lake = await DuckDbLake.open(LAKE, { stagingCache: false })
  const parameters = (nightly[0] as SuiteRun).parameters
  const marts: Record<
    string,
    {
      nightly_median_ms: number
      cold_median_ms: number
      rows: number
      athena_scan_estimate_mb: number
      scans: Scan[]
    }
  > = {}
  for (const mart of MART_NAMES) {
    const scans = await athenaScanEstimate(lake, LAKE, composeMart(mart, parameters))
    const entry = {
      nightly_median_ms: median(nightly.map((s) => s.marts[mart]?.ms as number)),
      cold_median_ms: median(cold.map((s) => s.marts[mart]?.ms as number)),
      rows: nightly[0]?.marts[mart]?.rows ?? 0,
      athena_scan_estimate_mb: Number((scans.reduce((sum, s) => sum + s.bytes, 0) / 1e6).toFixed(1)),
      scans,
    }
    marts[mart] = entry
    say(
      `${mart.padEnd(28)} ${String(entry.nightly_median_ms).padStart(6)} ms nightly ${String(entry.cold_median_ms).padStart(6)} ms cold  ~${entry.athena_scan_estimate_mb} MB scanned on Athena`,
    )
  }
  const counts = await lake.rows(
    `select ${FEED_NAMES.map((f) => `(select count(*) from ${f}_versions) as ${f}`).join(', ')}`,
  )
  const lastDay = await lake.rows(
    `select ${FEED_NAMES.map((f) => `(select count(*) from ${f}_versions where dt = date '${built.asOf}') as ${f}`).join(', ')}`,
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
      rows_in_the_last_days_drops: lastDay.rows[0],
      generated_seconds: built.generatedSeconds,
      ingest_or_check_seconds: Number(built.ingestSeconds.toFixed(1)),
    },
    runs: RUNS,
    nightly: {
      description:
        "the nightly run: the staging cache as the previous night's run left it, brought up to date with the last day's drops, then every mart, results written",
      whole_suite_median_seconds: seconds(nightly.map((s) => s.total_seconds)),
      whole_suite_each_seconds: nightly.map((s) => Number(s.total_seconds.toFixed(3))),
      staging_median_seconds: seconds(nightly.map((s) => s.staging_seconds)),
    },
    cold: {
      description:
        'no staging cache: staging computed in memory over every stored row, then every mart, results written',
      whole_suite_median_seconds: seconds(cold.map((s) => s.total_seconds)),
      whole_suite_each_seconds: cold.map((s) => Number(s.total_seconds.toFixed(3))),
      staging_median_seconds: seconds(cold.map((s) => s.staging_seconds)),
    },
    largest_athena_scan_estimate_mb: Math.max(...Object.values(marts).map((m) => m.athena_scan_estimate_mb)),
    marts,
    targets: { whole_suite_seconds: 5, max_scan_mb_per_mart: 100 },
  }
  mkdirSync(path.join(here, 'results'), { recursive: true })
  writeFileSync(path.join(here, 'results', 'queries.json'), `${JSON.stringify(result, null, 2)}\n`)
  say(
    `whole suite: nightly median ${result.nightly.whole_suite_median_seconds} s, cold median ${result.cold.whole_suite_median_seconds} s; largest Athena scan estimate ${result.largest_athena_scan_estimate_mb} MB`,
  )
}

await main()
