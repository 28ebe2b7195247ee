/**
 * `npm run bench:ingest`: ingest a 1,000,000-row canonical incidents CSV and compare with DuckDB's own
 * read_csv -> Parquet conversion of the same file. Each ingest runs in a fresh process so its peak RSS is its own,
 * in two forms: bundled as the Lambda runs it (the figures the targets are read against), and through the built
 * command line as `npx hotspot ingest` runs it (its time and peak RSS from GNU time, /usr/bin/time).
 * Figures go to bench/results/ingest.json. Targets (2 cores): >= 150,000 rows/s, peak RSS <= 400 MB (both forms),
 * at most 8x DuckDB's time. DuckDB's figure is its multithreaded C++ reader and writer (both cores).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { build } from 'esbuild'
import { CRIME_TYPES } from '../functions/core/contracts/feeds.ts'
import { makeWorkFolder, removeWorkFolder } from '../functions/core/work-folder.ts'
import { median } from './median.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const here = path.dirname(fileURLToPath(import.meta.url))

/** Deterministic pseudo-random numbers (mulberry32), so every run ingests the same file. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function generate(file: string): Promise<void> {
  const next = random(42)
  const out = createWriteStream(file)
  out.write(
    'incident_id,reported_at,occurred_at,crime_type,offence_code,lsoa_code,outcome,weapon_flag,domestic,lat,lon\n',
  )
  const start = Date.UTC(2021, 0, 1)
  const span = 5 * 365 * 86_400_000
  const outcomes = [
    'Under investigation',
    'Investigation complete; no suspect identified',
    'Awaiting court outcome',
  ]
  for (let i = 0; i < ROWS; i++) {
    const reported = start + Math.floor(next() * span)
    const occurred = reported - Math.floor(next() * 3 * 86_400_000)
    const type = CRIME_TYPES[Math.floor(next() * CRIME_TYPES.length)] as string
    const lat = (51.28 + next() * 0.41).toFixed(6)
    const lon = (-0.51 + next() * 0.84).toFixed(6)
    const line = `MET-${String(i).padStart(8, '0')},${new Date(reported).toISOString()},${new Date(occurred).toISOString()},${type},${
      10 + Math.floor(next() * 90)
    }A,E01${String(1_000_000 + Math.floor(next() * 35_000)).slice(1)},${outcomes[i % 3]},none,${next() < 0.1},${lat},${lon}\n`
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve) => out.end(resolve))
}

async function duckdbReference(file: string, work: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  const target = path.join(work, `duckdb-${Date.now()}.parquet`)
  const started = performance.now()
  await connection.run(
    `copy (select * from read_csv('${file}', header = true)) to '${target}' (format parquet, compression snappy)`,
  )
  const seconds = (performance.now() - started) / 1000
  connection.closeSync()
  return seconds
}

/** Node's `require` inside an ESM bundle, as lib/lambda.ts bundles the handlers. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);"

/**
 * The ingest as the Lambda runs it: one esbuild ESM bundle, with the Parquet writer thread's bundle beside it
 * (lib/lambda.ts bundles the same way, for the Lambda's newer Node). Returns the entry to run with `node`.
 */
async function bundleIngest(work: string): Promise<string> {
  const outdir = path.join(work, 'bundle')
  await build({
    entryPoints: {
      'ingest-child': path.join(here, 'ingest-child.ts'),
      'parquet-worker': path.join(here, '..', 'functions', 'core', 'ingest', 'parquet-worker.ts'),
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'warning',
  })
  // as the Lambda ships it: the Parquet writer's WebAssembly beside the bundle, named in PARQUET_WASM
  copyFileSync(
    createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm'),
    path.join(outdir, 'parquet.wasm'),
  )
  return path.join(outdir, 'ingest-child.mjs')
}

interface IngestRun {
  seconds: number
  peak_rss_mb: number
  rows_accepted: number
  rows_in: number
}

function ingestOnce(
  args: string[],
  file: string,
  lake: string,
  env: NodeJS.ProcessEnv = process.env,
): IngestRun {
  return JSON.parse(
    execFileSync(process.execPath, [...args, file, lake], { encoding: 'utf8', maxBuffer: 1 << 20, env }),
  )
}

const HOTSPOT = path.join(here, '..', 'bin', 'hotspot.mjs')

/** `hotspot ingest`, as a user runs it: the built command line (bin/hotspot.mjs), timed by GNU time. */
function cliIngestOnce(file: string, lake: string): IngestRun {
  const run = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%e %M',
      process.execPath,
      HOTSPOT,
      'ingest',
      '--json',
      '--feed',
      'incidents',
      '--lake',
      lake,
      file,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  )
  if (run.status !== 0) throw new Error(`hotspot ingest failed (${run.status}):\n${run.stderr}`)
  const [seconds, kilobytes] = (run.stderr.trim().split('\n').at(-1) as string).split(' ').map(Number)
  const [manifest] = JSON.parse(run.stdout) as IngestRun[]
  return {
    seconds: seconds as number,
    peak_rss_mb: (kilobytes as number) / 1024,
    rows_in: manifest?.rows_in as number,
    rows_accepted: manifest?.rows_accepted as number,
  }
}

function summary(runs: IngestRun[]) {
  const seconds = median(runs.map((r) => r.seconds))
  return {
    median_seconds: Number(seconds.toFixed(3)),
    median_rows_per_second: Math.round(ROWS / seconds),
    max_peak_rss_mb: Math.round(Math.max(...runs.map((r) => r.peak_rss_mb))),
    rows_accepted: runs[0]?.rows_accepted,
    each: runs,
  }
}

async function main(): Promise<void> {
  const work = await makeWorkFolder('bench')
  try {
    const file = path.join(work, '2026-01-01.csv')
    process.stderr.write(`generating ${ROWS.toLocaleString('en-GB')} rows...\n`)
    await generate(file)
    const bundle = await bundleIngest(work)
    const bundledEnv = { ...process.env, PARQUET_WASM: path.join(path.dirname(bundle), 'parquet.wasm') }
    const forms = {
      // what the Lambda runs
      bundled: (lake: string) => ingestOnce([bundle], file, lake, bundledEnv),
      // what `npx hotspot ingest` runs
      cli: (lake: string) => cliIngestOnce(file, lake),
    }
    // built now if its sources changed, so that no run below includes the build
    execFileSync(process.execPath, [HOTSPOT, '--help'], { stdio: 'ignore' })
    const runs: Record<keyof typeof forms, IngestRun[]> = { bundled: [], cli: [] }
    const duck: number[] = []
    for (let run = 0; run < RUNS; run++) {
      for (const [form, ingest] of Object.entries(forms) as [
        keyof typeof forms,
        (lake: string) => IngestRun,
      ][]) {
        const lake = path.join(work, `lake-${form}-${run}`)
        const last = ingest(lake)
        runs[form].push(last)
        await rm(lake, { recursive: true, force: true })
        process.stderr.write(
          `run ${run + 1}, ${form}: ingest ${last.seconds.toFixed(2)} s (${Math.round(ROWS / last.seconds).toLocaleString('en-GB')} rows/s, ` +
            `peak RSS ${last.peak_rss_mb.toFixed(0)} MB)\n`,
        )
      }
      duck.push(await duckdbReference(file, work))
      process.stderr.write(`run ${run + 1}: DuckDB ${(duck.at(-1) as number).toFixed(2)} s\n`)
    }
    // V8 collects lazily when memory is plentiful (24 GB here), so the default run's RSS says more about the
    // heap sizing than about what the ingest holds; a run under a 256 MB old-space cap shows the working set
    const capped = ingestOnce(
      ['--max-old-space-size=256', bundle],
      file,
      path.join(work, 'lake-capped'),
      bundledEnv,
    )
    process.stderr.write(
      `capped heap: ingest ${capped.seconds.toFixed(2)} s, peak RSS ${capped.peak_rss_mb.toFixed(0)} MB\n`,
    )
    const bundled = summary(runs.bundled)
    const duckSeconds = median(duck)
    const result = {
      benchmark: 'ingest',
      command: 'npm run bench:ingest',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, node: process.version },
      rows: ROWS,
      runs: RUNS,
      ingest: { form: 'bundled, as the Lambda runs it', ...bundled },
      ingest_through_cli: {
        form: 'the built command line, as npx hotspot ingest runs it',
        ...summary(runs.cli),
      },
      ingest_with_256mb_old_space: {
        seconds: Number(capped.seconds.toFixed(3)),
        rows_per_second: Math.round(ROWS / capped.seconds),
        peak_rss_mb: Math.round(capped.peak_rss_mb),
      },
      duckdb_read_csv_to_parquet: { median_seconds: Number(duckSeconds.toFixed(3)), each: duck },
      ratio_ingest_to_duckdb: Number((bundled.median_seconds / duckSeconds).toFixed(2)),
      targets: { rows_per_second: 150_000, peak_rss_mb: 400, ratio_to_duckdb: 8 },
    }
    mkdirSync(path.join(here, 'results'), { recursive: true })
    writeFileSync(path.join(here, 'results', 'ingest.json'), `${JSON.stringify(result, null, 2)}\n`)
    const brief = (entry: ReturnType<typeof summary>) => ({ ...entry, each: undefined })
    process.stdout.write(
      `${JSON.stringify({ ...result, ingest: brief(result.ingest), ingest_through_cli: brief(result.ingest_through_cli) }, null, 2)}\n`,
    )
  } finally {
    await removeWorkFolder(work)
  }
}

await main()
