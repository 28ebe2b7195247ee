/**
 * `npm run bench:cli`: the everyday commands as a user runs them (the built command line, bin/hotspot.mjs and
 * bin/start.mjs), each against a baseline measured in the same run on the same machine:
 * - `hotspot --help` against `node -e 0` (Node's own start-up). Target: at most 5 times.
 * - `npm start` on a fresh folder (demo city generated, 10,533 drops ingested, marts, reports), its time and peak
 *   RSS, against DuckDB converting each of the same drops to Parquet (read_csv -> copy to, one file each). Targets
 *   (2 cores): at most 30 s, peak RSS at most 600 MB.
 * Times and peak RSS come from GNU time (/usr/bin/time), so a command's child processes count. Figures go to
 * bench/results/cli.json, with the load average: the figures are wall-clock times on a machine that may be busy.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { makeWorkFolder, removeWorkFolder } from '../functions/core/work-folder.ts'
import { median } from './median.ts'

const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const START_RUNS = Number(process.env.BENCH_START_RUNS ?? 1)
const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.join(here, '..')
const HOTSPOT = path.join(ROOT, 'bin', 'hotspot.mjs')
const START = path.join(ROOT, 'bin', 'start.mjs')
const say = (text: string) => process.stderr.write(`${text}\n`)

interface Timed {
  seconds: number
  peak_rss_mb: number
}

/** Runs a command under GNU time: its wall-clock seconds and the peak RSS of it or any of its children. */
function timed(args: string[], cwd = ROOT): Timed {
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed (${run.status}):\n${run.stderr}`)
  const [seconds, kilobytes] = (run.stderr.trim().split('\n').at(-1) as string).split(' ').map(Number)
  return { seconds: seconds as number, peak_rss_mb: Math.round((kilobytes as number) / 1024) }
}

/** `hotspot --help` and `node -e 0`, alternated so that both see the same load. */
function help() {
  // built now if its sources changed, so that no run below includes the build
  execFileSync(process.execPath, [HOTSPOT, '--help'], { cwd: ROOT, stdio: 'ignore' })
  const node: number[] = []
  const hotspot: number[] = []
  let peak = 0
  for (let run = 0; run < RUNS; run++) {
    node.push(timed(['-e', '0']).seconds)
    const last = timed([HOTSPOT, '--help'])
    hotspot.push(last.seconds)
    peak = Math.max(peak, last.peak_rss_mb)
  }
  const ratio = median(hotspot) / median(node)
  say(
    `--help: ${median(hotspot).toFixed(2)} s, node -e 0: ${median(node).toFixed(2)} s (${ratio.toFixed(1)}x)`,
  )
  return {
    median_seconds: median(hotspot),
    peak_rss_mb: peak,
    node_e_0_median_seconds: median(node),
    ratio_to_node_e_0: Number(ratio.toFixed(2)),
    each: { hotspot, node },
  }
}

/** DuckDB converting each drop of the demo city to a Parquet file of its own: the per-drop baseline. */
async function duckdbPerDrop(
  drops: string,
  work: string,
): Promise<{ seconds: number; files: number; unreadable: number }> {
  const files = readdirSync(drops, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  const out = path.join(work, 'duckdb')
  mkdirSync(out)
  const started = performance.now()
  let unreadable = 0
  for (const [i, file] of files.entries()) {
    // the demo's drops include the faults ingest quarantines: DuckDB skips the rows it cannot read
    await connection
      .run(
        `copy (select * from read_csv('${file}', header = true, all_varchar = true, ignore_errors = true))
         to '${path.join(out, `${i}.parquet`)}' (format parquet, compression snappy)`,
      )
      .catch(() => {
        unreadable++
      })
  }
  const seconds = (performance.now() - started) / 1000
  connection.closeSync()
  return { seconds, files: files.length, unreadable }
}

/** `npm start` in a fresh folder, then DuckDB on the drops it generated. */
async function start() {
  const runs: Timed[] = []
  let duckdb = { seconds: 0, files: 0, unreadable: 0 }
  for (let run = 0; run < START_RUNS; run++) {
    const work = await makeWorkFolder('bench')
    try {
      const last = timed([START], work)
      runs.push(last)
      say(`npm start (fresh): ${last.seconds.toFixed(1)} s, peak RSS ${last.peak_rss_mb} MB`)
      if (run === 0) {
        duckdb = await duckdbPerDrop(path.join(work, '.hotspot', 'demo', 'drops'), work)
        say(`DuckDB, ${duckdb.files} drops to Parquet one by one: ${duckdb.seconds.toFixed(1)} s`)
      }
    } finally {
      await removeWorkFolder(work)
    }
  }
  return {
    median_seconds: median(runs.map((r) => r.seconds)),
    max_peak_rss_mb: Math.max(...runs.map((r) => r.peak_rss_mb)),
    each: runs,
    duckdb_each_drop_to_parquet: {
      files: duckdb.files,
      unreadable_by_duckdb: duckdb.unreadable,
      seconds: Number(duckdb.seconds.toFixed(3)),
      ms_per_drop: Number(((1000 * duckdb.seconds) / duckdb.files).toFixed(2)),
    },
  }
}

const loadBefore = loadavg()
const result = {
  benchmark: 'cli',
  command: 'npm run bench:cli',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, node: process.version },
  load_average_before: loadBefore.map((l) => Number(l.toFixed(2))),
  help: help(),
  npm_start_fresh: await start(),
  load_average_after: loadavg().map((l) => Number(l.toFixed(2))),
  targets: { help_ratio_to_node_e_0: 5, npm_start_seconds: 30, npm_start_peak_rss_mb: 600 },
}
mkdirSync(path.join(here, 'results'), { recursive: true })
writeFileSync(path.join(here, 'results', 'cli.json'), `${JSON.stringify(result, null, 2)}\n`)
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
