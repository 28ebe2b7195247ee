/**
 * `npm run bench:pings`: a day of a large force's GPS pings (BENCH_PINGS, default 10,000,000: 1,000 devices on
 * shift at any time, three shifts, each device reporting every 5-30 s) ingested and turned into presence.
 * - The day is one drop, one CSV file: the feed takes one drop per London day, and the command line ingests the
 *   files of a drop one after another, so splitting the day would not make its ingest faster.
 * - The ingest runs through the built command line (`hotspot ingest`) in a child under GNU time (wall time, peak
 *   RSS), alternating with DuckDB's own read_csv -> Parquet of the same file, BENCH_RUNS times (default 3); the
 *   figures say which path read the drop (the manifest's scan_path: columnar for the bench's plain CSV).
 * - BENCH_INGEST_ONLY=1 stops there (no presence, no profile, no result file): for trying ingest changes.
 * - Presence: `hotspot run --mart presence_visits presence_daily` in a child under GNU time, the lake's staging
 *   cache removed first, so that each run stages the day's pings as the nightly run does when the day's drop has
 *   arrived, at DuckDB's default memory limit and, alternating with it, a limit no day reaches (what spilling
 *   costs); and the two marts' queries alone in-process (DuckDbLake, staging inlined, no lake-opening work).
 * - The Athena scan estimate of the two presence marts (athena-scans.ts), measured on the bench lake's one day.
 * - A CPU profile (node --cpu-prof) of one ingest of PROFILE_PINGS pings: where the ingest's time goes.
 * Figures go to bench/results/pings.json. Targets (2 cores): ingest at most 4x DuckDB's time; presence for a day
 * within 10 s; peak RSS at most 1 GB; the presence marts' Athena scan at most 1 GB per night.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { DEFAULT_DUCKDB_MEMORY_LIMIT, DuckDbLake } from '../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../functions/adapters/fs-object-store.ts'
import { composeMart, type MartParameters, PRESENCE_MARTS } from '../functions/core/analytics/marts.ts'
import { PRESENCE } from '../functions/core/contracts/presence.ts'
import { toWgs84 } from '../functions/core/geo.ts'
import { loadReference } from '../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../functions/core/reference/weights.ts'
import { makeWorkFolder, removeWorkFolder } from '../functions/core/work-folder.ts'
import { athenaScanEstimate } from './athena-scans.ts'
import { median } from './median.ts'

const PINGS = Number(process.env.BENCH_PINGS ?? 10_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const PROFILE_PINGS = Math.min(PINGS, 1_000_000)
const INGEST_ONLY = process.env.BENCH_INGEST_ONLY === '1'
/** A limit no day of pings reaches here: presence without spilling. */
const ROOMY_MEMORY_LIMIT = '16GB'
/** A Monday in November: London time is UTC, so the day's pings are the UTC day's. */
const DAY = '2026-11-16'
const DEVICES_ON_SHIFT = 1000
const SHIFT_HOURS = 8
const SHIFTS = 24 / SHIFT_HOURS
const here = path.dirname(fileURLToPath(import.meta.url))
const HOTSPOT = path.join(here, '..', 'bin', 'hotspot.mjs')
const say = (text: string) => process.stderr.write(`${text}\n`)

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

// The patrolled area: 6 km square around Westminster and the City, in British National Grid metres.
const AREA = { west: 527_000, south: 178_500, size: 6_000 }
const HOTSPOT_COUNT = 20
const HOTSPOT_SIZE_M = 150

interface Hotspot {
  id: string
  east: number
  north: number
}

/** 20 hotspots of 150 m, on a jittered 5 x 4 grid over the area, their corners on the 25 m cells. */
function hotspotsOf(next: () => number): Hotspot[] {
  const hotspots: Hotspot[] = []
  for (let i = 0; i < HOTSPOT_COUNT; i++) {
    const x = AREA.west + ((i % 5) + 0.2 + next() * 0.5) * (AREA.size / 5)
    const y = AREA.south + (Math.floor(i / 5) + 0.2 + next() * 0.5) * (AREA.size / 4)
    hotspots.push({
      id: `HS-${String(i + 1).padStart(2, '0')}`,
      east: Math.round(x / 25) * 25,
      north: Math.round(y / 25) * 25,
    })
  }
  return hotspots
}

function registerOf(hotspots: Hotspot[]) {
  const corner = (e: number, n: number) => {
    const { lat, lon } = toWgs84(e, n)
    return [Number(lon.toFixed(7)), Number(lat.toFixed(7))]
  }
  return {
    type: 'FeatureCollection',
    features: hotspots.map((h, i) => {
      const [e, n, s] = [h.east, h.north, HOTSPOT_SIZE_M]
      return {
        type: 'Feature',
        properties: {
          hotspot_id: h.id,
          name: `Bench hotspot ${i + 1}`,
          borough: i < 10 ? 'Westminster' : 'City of London',
          commander_id: `CMD-${'ABCD'[i % 4]}`,
          phases: [{ phase: 'hold', from: '2026-09-07' }],
          buffer_m: 100,
        },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [corner(e, n), corner(e + s, n), corner(e + s, n + s), corner(e, n + s), corner(e, n)],
          ],
        },
      }
    }),
  }
}

/**
 * Latitude and longitude of a grid position by a linear fit at the area's centre: within a metre or two over
 * 6 km, far inside GPS error, and much faster than the exact transform for 10 million pings (the ingest does
 * the exact one back).
 */
function wgs84Fit(): (east: number, north: number) => [number, number] {
  const e0 = AREA.west + AREA.size / 2
  const n0 = AREA.south + AREA.size / 2
  const origin = toWgs84(e0, n0)
  const east = toWgs84(e0 + 1000, n0)
  const north = toWgs84(e0, n0 + 1000)
  const [latE, lonE] = [(east.lat - origin.lat) / 1000, (east.lon - origin.lon) / 1000]
  const [latN, lonN] = [(north.lat - origin.lat) / 1000, (north.lon - origin.lon) / 1000]
  return (e, n) => [
    origin.lat + (e - e0) * latE + (n - n0) * latN,
    origin.lon + (e - e0) * lonE + (n - n0) * lonN,
  ]
}

/** What a device is doing: moving on a heading, heading for a hotspot, or staying in one until a time. */
type Activity =
  | { kind: 'move'; until: number; speed: number; heading: number }
  | { kind: 'approach'; hotspot: Hotspot; speed: number }
  | { kind: 'stay'; hotspot: Hotspot; until: number }

/** A normally distributed number (Box-Muller), mean 0, standard deviation 1. */
function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
}

/**
 * Writes the day's pings: for each of 1,000 slots, three 8-hour shifts, each a device of its own reporting
 * every 5-30 s (mostly 5-10 s: a mean of 8 s) until its share of `count` is written. One device in six is a
 * foot officer sent to hotspots, where it stays 5-40 minutes; the others drive (8-15 m/s, stopping now and
 * then) or walk elsewhere, and drive through hotspots on their way. Accuracy is 3-20 m mostly, 20-50 m
 * sometimes, over 50 m for one ping in twenty (flagged at ingest); the reported position scatters by it.
 * Returns the pings written.
 */
async function generate(file: string, count: number, hotspots: Hotspot[]): Promise<number> {
  const next = random(15)
  const latLon = wgs84Fit()
  const out = createWriteStream(file, { highWaterMark: 1 << 20 })
  out.write('device_id,recorded_at,lat,lon,accuracy_m,speed_mps,heading,team,shift_id\n')
  const dayStart = Date.parse(`${DAY}T00:00:00Z`)
  const dayEnd = dayStart + 86_400_000
  const deviceShifts = DEVICES_ON_SHIFT * SHIFTS
  let written = 0
  let lines: string[] = []
  const flush = async () => {
    if (!out.write(lines.join(''))) await new Promise<void>((resolve) => out.once('drain', resolve))
    lines = []
  }
  for (let d = 0; d < deviceShifts; d++) {
    const slot = d % DEVICES_ON_SHIFT
    const shift = Math.floor(d / DEVICES_ON_SHIFT)
    const quota = Math.floor(((d + 1) * count) / deviceShifts) - Math.floor((d * count) / deviceShifts)
    const device = `AW-${30_000 + d}`
    const team = `Team ${1 + (slot % 40)}`
    const shiftId = `S-${DAY}-${'EDN'[shift]}-${slot}`
    const onFoot = next() < 0.4
    const sentToHotspots = onFoot && next() < 0.4
    let t = dayStart + shift * SHIFT_HOURS * 3_600_000 + Math.floor(next() * 180_000)
    let x = AREA.west + next() * AREA.size
    let y = AREA.south + next() * AREA.size
    let activity: Activity = { kind: 'move', until: t, speed: 0, heading: 0 }
    for (let p = 0; p < quota && t < dayEnd; p++) {
      const dt = 5 + 25 * next() ** 7
      t += Math.round(dt * 1000)
      if (t >= dayEnd) break
      // the next activity, once the last is over
      if (activity.kind !== 'approach' && t >= activity.until) {
        if (sentToHotspots && next() < 0.5) {
          const hotspot = hotspots[Math.floor(next() * hotspots.length)] as Hotspot
          activity = { kind: 'approach', hotspot, speed: 1.2 + next() * 0.4 }
        } else if (onFoot) {
          activity = {
            kind: 'move',
            until: t + (5 + next() * 15) * 60_000,
            speed: 1 + next() * 0.6,
            heading: next() * 360,
          }
        } else {
          const parked = next() < 0.25
          activity = {
            kind: 'move',
            until: t + (parked ? 2 + next() * 8 : 3 + next() * 12) * 60_000,
            speed: parked ? 0 : 8 + next() * 7,
            heading: next() * 360,
          }
        }
      }
      let speed: number
      let heading: number
      if (activity.kind === 'move') {
        speed = activity.speed
        heading = activity.heading
        const radians = (heading * Math.PI) / 180
        x += Math.sin(radians) * speed * dt
        y += Math.cos(radians) * speed * dt
        // turn back at the edge of the area
        if (x < AREA.west || x > AREA.west + AREA.size || y < AREA.south || y > AREA.south + AREA.size) {
          activity.heading = (heading + 180) % 360
          x = Math.min(Math.max(x, AREA.west), AREA.west + AREA.size)
          y = Math.min(Math.max(y, AREA.south), AREA.south + AREA.size)
        }
      } else if (activity.kind === 'approach') {
        const tx = activity.hotspot.east + HOTSPOT_SIZE_M / 2
        const ty = activity.hotspot.north + HOTSPOT_SIZE_M / 2
        const distance = Math.hypot(tx - x, ty - y)
        // foot officers take a car to a far hotspot
        speed = distance > 1500 ? 10 : activity.speed
        heading = ((Math.atan2(tx - x, ty - y) * 180) / Math.PI + 360) % 360
        const step = speed * dt
        if (step >= distance) {
          x = tx
          y = ty
          activity = { kind: 'stay', hotspot: activity.hotspot, until: t + (5 + next() * 35) * 60_000 }
        } else {
          x += ((tx - x) / distance) * step
          y += ((ty - y) / distance) * step
        }
      } else {
        // standing and strolling about inside the hotspot
        speed = next() * 0.8
        heading = next() * 360
        const radians = (heading * Math.PI) / 180
        const h = activity.hotspot
        x = Math.min(Math.max(x + Math.sin(radians) * speed * dt, h.east + 10), h.east + HOTSPOT_SIZE_M - 10)
        y = Math.min(
          Math.max(y + Math.cos(radians) * speed * dt, h.north + 10),
          h.north + HOTSPOT_SIZE_M - 10,
        )
      }
      const roll = next()
      const accuracy =
        roll < 0.05
          ? 51 + Math.floor(next() * 100)
          : roll < 0.15
            ? 20 + Math.floor(next() * 31)
            : 3 + Math.floor(next() * 18)
      const [lat, lon] = latLon(x + gaussian(next) * accuracy * 0.5, y + gaussian(next) * accuracy * 0.5)
      lines.push(
        `${device},${new Date(t).toISOString()},${lat.toFixed(6)},${lon.toFixed(6)},${accuracy},${Math.max(0, speed + gaussian(next) * 0.2).toFixed(1)},${Math.floor(heading) % 360},${team},${shiftId}\n`,
      )
      written++
      if (lines.length === 10_000) await flush()
    }
  }
  await flush()
  await new Promise<void>((resolve) => out.end(resolve))
  return written
}

/** The path the runs' ingests took (one, unless a run fell back). */
function scanPathOf(ingests: { scan_path: string }[]): string {
  return [...new Set(ingests.map((r) => r.scan_path))].join(', ')
}

interface Timed {
  seconds: number
  peak_rss_mb: number
  cpu_percent: number
  stdout: string
}

/** A command line in a child under GNU time (`/usr/bin/time -v`): its wall time, peak RSS and CPU share. */
function timed(args: string[], env: NodeJS.ProcessEnv): Timed {
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env,
  })
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed (${run.status}):\n${run.stderr}`)
  const field = (name: string) => {
    const line = run.stderr.split('\n').find((l) => l.trim().startsWith(name))
    if (!line) throw new Error(`GNU time did not report ${name}:\n${run.stderr}`)
    return line.slice(line.lastIndexOf(': ') + 2).trim()
  }
  // h:mm:ss or m:ss.ss
  const wall = field('Elapsed (wall clock) time')
    .split(':')
    .reduce((sum, part) => sum * 60 + Number(part), 0)
  return {
    seconds: wall,
    peak_rss_mb: Number(field('Maximum resident set size (kbytes)')) / 1024,
    cpu_percent: Number(field('Percent of CPU this job got').replace('%', '')),
    stdout: run.stdout,
  }
}

function ingestArgs(lake: string, file: string): string[] {
  return [HOTSPOT, 'ingest', '--json', '--lake', lake, '--feed', 'patrol_pings', '--drop-date', DAY, file]
}

async function duckdbReference(file: string, work: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  const target = path.join(work, 'duckdb.parquet')
  const started = performance.now()
  await connection.run(
    `copy (select * from read_csv('${file}', header = true)) to '${target}' (format parquet, compression snappy)`,
  )
  const seconds = (performance.now() - started) / 1000
  connection.closeSync()
  await rm(target, { force: true })
  return seconds
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/**
 * The parts of the ingest, by the source file a profiled function comes from (the built command line's chunks
 * mark each bundled module with a `// path` comment; packages keep their own paths).
 */
const PARTS: [RegExp, string][] = [
  [/ingest\/(lines|records)\.ts$/, 'CSV: reading lines and splitting fields (lines.ts, records.ts)'],
  [
    /core\/geo\.ts$|node_modules\/proj4\/|ingest\/grid-fit\.ts$/,
    'location: lat/lon to British National Grid (geo.ts, proj4; the fit of it, grid-fit.ts)',
  ],
  [
    /contracts\/(validate|columns)\.ts$|time\/instants\.ts$|node_modules\/zod\//,
    "validation: the contract's column checks and row rules (columns.ts, validate.ts, instants.ts, zod)",
  ],
  [
    /ingest\/pseudonym\.ts$|node:crypto|internal\/crypto/,
    'pseudonymisation (pseudonym.ts: HMAC, memoised per device)',
  ],
  [
    /ingest\/threaded-sink\.ts$|core\/parquet\/|parquet-wasm|apache-arrow/,
    'Parquet: rows into column batches, and writing them',
  ],
  [/ingest\/key-set\.ts$/, "repeated keys: the writer thread's key set (key-set.ts)"],
  [
    /ingest\/columnar(-sql)?\.ts$|@duckdb\//,
    'the columnar path: waiting on DuckDB, its SQL and results (columnar.ts)',
  ],
  [
    /ingest\/(scan|formats|quarantine-writer|ingest)\.ts$/,
    'the row loop: mapping fields, lineage, flags (scan.ts, formats.ts)',
  ],
]

/** The source file of a profiled frame: the bundled module a chunk's line belongs to, or the package's path. */
function sourceFinder(): (frame: ProfileNode['callFrame']) => string {
  const modules = new Map<string, { line: number; source: string }[]>()
  return ({ url, lineNumber }) => {
    if (!url.startsWith('file://')) return url
    const file = fileURLToPath(url)
    if (!file.includes(`${path.sep}dist${path.sep}`)) return file
    let marks = modules.get(file)
    if (!marks) {
      marks = readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((text, i) =>
          /^\/\/ [\w./-]+\.(ts|js|mjs)$/.test(text) ? [{ line: i, source: text.slice(3) }] : [],
        )
      modules.set(file, marks)
    }
    return marks.findLast((m) => m.line <= lineNumber)?.source ?? file
  }
}

/**
 * Self time by function, and time by part of the ingest, of one thread's profile: a sample counts for the part
 * of the innermost frame of its stack that belongs to one, so builtins (split, an HMAC digest) count for the
 * part that called them; the garbage collector apart (every part allocates).
 */
function analyseProfile(profile: CpuProfile) {
  const sourceOf = sourceFinder()
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<number, number>()
  for (const [i, id] of profile.samples.entries())
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  const functions = new Map<string, number>()
  const parts = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const [id, ms] of self) {
    const frame = (byId.get(id) as ProfileNode).callFrame
    if (frame.functionName === '(idle)') {
      idle += ms
      continue
    }
    total += ms
    const name = `${frame.functionName || '(anonymous)'} ${path.basename(sourceOf(frame))}`
    functions.set(name, (functions.get(name) ?? 0) + ms)
    let part = frame.functionName === '(garbage collector)' ? 'garbage collection' : undefined
    for (let at: number | undefined = id; at !== undefined && part === undefined; at = parent.get(at)) {
      const source = sourceOf((byId.get(at) as ProfileNode).callFrame)
      part = PARTS.find(([pattern]) => pattern.test(source))?.[1]
    }
    part ??= 'other (starting Node, loading modules, the file hash, publishing)'
    parts.set(part, (parts.get(part) ?? 0) + ms)
  }
  const share = (ms: number) => Number(((100 * ms) / total).toFixed(1))
  return {
    busy_ms: Math.round(total),
    idle_ms: Math.round(idle),
    parts_percent: Object.fromEntries(
      [...parts].sort((a, b) => b[1] - a[1]).map(([k, ms]) => [k, share(ms)]),
    ),
    top_self_time: [...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([fn, ms]) => ({ function: fn, ms: Math.round(ms), percent: share(ms) })),
  }
}

/** One ingest of a smaller file under node --cpu-prof: each thread's profile (the main one, the Parquet writer). */
async function profileIngest(work: string, hotspots: Hotspot[], env: NodeJS.ProcessEnv) {
  const file = path.join(work, `${DAY}-profile.csv`)
  await generate(file, PROFILE_PINGS, hotspots)
  const folder = path.join(work, 'cpu-profiles')
  const run = timed(
    ['--cpu-prof', `--cpu-prof-dir=${folder}`, ...ingestArgs(path.join(work, 'lake-profile'), file)],
    env,
  )
  await rm(file)
  // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main one
  const threads = Object.fromEntries(
    readdirSync(folder).map((name) => [
      name.split('.')[4] === '0' ? 'main thread' : 'Parquet writer thread',
      analyseProfile(JSON.parse(readFileSync(path.join(folder, name), 'utf8'))),
    ]),
  )
  return {
    pings: PROFILE_PINGS,
    seconds_under_the_profiler: run.seconds,
    cpu_percent: run.cpu_percent,
    threads,
  }
}

interface PlanNode {
  operator_name?: string
  operator_timing?: number
  operator_cardinality?: number
  extra_info?: Record<string, unknown>
  children?: PlanNode[]
}

/** Where a query's time goes: its operators by their own time in DuckDB's profile (EXPLAIN ANALYZE), slowest first. */
async function slowestOperators(engine: DuckDbLake, sql: string) {
  const { rows } = await engine.rows(`explain (analyze, format json) ${sql}`)
  const plan: PlanNode | PlanNode[] = JSON.parse(String(Object.values(rows[0] as object)[1]))
  const operators: { operator: string; seconds: number; rows: number; detail: string }[] = []
  const visit = (node: PlanNode) => {
    if (node.operator_name)
      operators.push({
        operator: node.operator_name.trim(),
        seconds: Number((node.operator_timing ?? 0).toFixed(2)),
        rows: node.operator_cardinality ?? 0,
        detail: JSON.stringify(node.extra_info ?? {}).slice(0, 300),
      })
    for (const child of node.children ?? []) visit(child)
  }
  for (const root of Array.isArray(plan) ? plan : [plan]) visit(root)
  return operators.sort((a, b) => b.seconds - a.seconds).slice(0, 8)
}

/** What the figures say about the ingest against DuckDB, and where its time goes. */
function notesOn(
  ingestSeconds: number,
  duckSeconds: number,
  pings: number,
  scanPath: string,
  profile: Awaited<ReturnType<typeof profileIngest>>,
): string[] {
  const main = profile.threads['main thread']
  const writer = profile.threads['Parquet writer thread']
  const ratio = ingestSeconds / duckSeconds
  const parts = Object.entries(main?.parts_percent ?? {})
    .map(([part, percent]) => `${part} ${percent}%`)
    .join('; ')
  const how =
    scanPath === 'columnar'
      ? "The columnar path (ingest/columnar.ts): DuckDB reads the lines, checks every field by the contract's rules with one regular expression per line and casts, projects lat/lon to the grid by a polynomial fit of proj4 checked against it for the drop's box (ingest/grid-fit.ts; proj4 itself, grid_of, for the few rows within 0.01 mm of a half metre), and writes the Parquet, on both cores; the main thread takes one HMAC per device."
      : 'The row path (ingest/scan.ts): the ingest validates row by row on one thread, which is its critical path.'
  return [
    `The ingest (${scanPath} path) takes ${ratio.toFixed(1)} times DuckDB's read_csv -> Parquet of the same file (target 4: ${ratio <= 4 ? 'met' : 'not met'}): ${Math.round(pings / ingestSeconds).toLocaleString('en-GB')} pings/s against DuckDB's ${Math.round(pings / duckSeconds).toLocaleString('en-GB')}. ${how}`,
    `Profile of one ingest of ${profile.pings.toLocaleString('en-GB')} pings (node --cpu-prof, ${profile.seconds_under_the_profiler} s, CPU ${profile.cpu_percent}%): the main thread was busy ${main?.busy_ms} ms (idle ${main?.idle_ms} ms)${writer ? `, the Parquet writer thread ${writer.busy_ms} ms (idle ${writer.idle_ms} ms)` : ''}; DuckDB's own threads are not in a JavaScript profile.`,
    `The main thread's time by part (a builtin counts for the part that called it): ${parts}.`,
  ]
}

async function main(): Promise<void> {
  const startLoad = loadavg().map((l) => Number(l.toFixed(2)))
  const work = await makeWorkFolder('bench')
  try {
    const hotspots = hotspotsOf(random(7))
    const register = path.join(work, 'register.geojson')
    writeFileSync(register, `${JSON.stringify(registerOf(hotspots), null, 2)}\n`)
    const file = path.join(work, `${DAY}.csv`)
    say(`generating ${PINGS.toLocaleString('en-GB')} pings...`)
    let started = performance.now()
    const pings = await generate(file, PINGS, hotspots)
    const generateSeconds = (performance.now() - started) / 1000
    const csvBytes = statSync(file).size
    say(`${pings.toLocaleString('en-GB')} pings in ${generateSeconds.toFixed(1)} s`)
    const env: NodeJS.ProcessEnv = { ...process.env, HOTSPOT_PSEUDONYM_KEY: randomBytes(32).toString('hex') }
    delete env.HOTSPOT_PSEUDONYM_KEY_FILE
    // built now if its sources changed, so that no run below includes the build
    execFileSync(process.execPath, [HOTSPOT, '--help'], { stdio: 'ignore' })

    const ingests: (Omit<Timed, 'stdout'> & {
      scan_path: string
      rows_in: number
      rows_accepted: number
    })[] = []
    const duck: number[] = []
    const lake = path.join(work, 'lake')
    for (let run = 0; run < RUNS; run++) {
      await rm(lake, { recursive: true, force: true })
      const { stdout, ...figures } = timed(ingestArgs(lake, file), env)
      const [manifest] = JSON.parse(stdout) as { rows_in: number; rows_accepted: number; scan_path: string }[]
      ingests.push({
        ...figures,
        scan_path: manifest?.scan_path as string,
        rows_in: manifest?.rows_in as number,
        rows_accepted: manifest?.rows_accepted as number,
      })
      say(
        `run ${run + 1}: ingest (${manifest?.scan_path} path) ${figures.seconds.toFixed(1)} s (${Math.round(pings / figures.seconds).toLocaleString('en-GB')} pings/s, peak RSS ${figures.peak_rss_mb.toFixed(0)} MB, CPU ${figures.cpu_percent}%)`,
      )
      duck.push(await duckdbReference(file, work))
      say(`run ${run + 1}: DuckDB read_csv -> Parquet ${(duck.at(-1) as number).toFixed(1)} s`)
    }
    if (INGEST_ONLY) {
      const seconds = median(ingests.map((r) => r.seconds))
      say(
        `ingest median ${seconds.toFixed(1)} s, ${(seconds / median(duck)).toFixed(1)} times DuckDB's; peak RSS ${Math.max(...ingests.map((r) => r.peak_rss_mb)).toFixed(0)} MB`,
      )
      return
    }
    // the last ingest's lake, with the register and the harm weights, for presence
    const store = new FsObjectStore(lake)
    await loadReference(store, 'register', register)
    await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE)
    const presenceArgs = [
      HOTSPOT,
      'run',
      '--json',
      '--lake',
      lake,
      '--as-of',
      DAY,
      '--mart',
      ...PRESENCE_MARTS,
    ]
    const presenceRuns: (Omit<Timed, 'stdout'> & {
      marts_ms: Record<string, number>
      rows: Record<string, number>
    })[] = []
    // the same runs with DuckDB's memory limit raised far above the default: what the default's spilling costs
    const roomyRuns: typeof presenceRuns = []
    let parameters: MartParameters | undefined
    for (let run = 0; run < 2 * RUNS; run++) {
      const roomy = run % 2 === 1
      // as the nightly run finds it when the day's drop has arrived: the day's pings not yet staged
      await rm(path.join(lake, '.cache'), { recursive: true, force: true })
      const { stdout, ...figures } = timed(
        presenceArgs,
        roomy ? { ...env, HOTSPOT_DUCKDB_MEMORY_LIMIT: ROOMY_MEMORY_LIMIT } : env,
      )
      const last = JSON.parse(stdout) as {
        marts: { mart: string; rows: number; elapsed_ms: number }[]
        earlier_runs: string[]
        weights_version: string
        register_version: string
        population_version: string | null
      }
      // each presence mart is a run of its own: the command prints the last, which names those before it
      const earlier = last.earlier_runs.map(
        (runId) =>
          JSON.parse(
            readFileSync(path.join(lake, 'manifests', 'runs', `${runId}.json`), 'utf8'),
          ) as typeof last,
      )
      const manifest = { ...last, marts: [...earlier.flatMap((run) => run.marts), ...last.marts] }
      parameters = {
        as_of: DAY,
        weights_version: manifest.weights_version,
        register_version: manifest.register_version,
        population_version: manifest.population_version,
        presence_visits_run: last.earlier_runs[0] ?? null,
      }
      ;(roomy ? roomyRuns : presenceRuns).push({
        ...figures,
        marts_ms: Object.fromEntries(manifest.marts.map((m) => [m.mart, m.elapsed_ms])),
        rows: Object.fromEntries(manifest.marts.map((m) => [m.mart, m.rows])),
      })
      say(
        `run ${run + 1}${roomy ? ` (memory limit ${ROOMY_MEMORY_LIMIT})` : ''}: presence through the CLI ${figures.seconds.toFixed(1)} s (peak RSS ${figures.peak_rss_mb.toFixed(0)} MB; ${manifest.marts.map((m) => `${m.mart} ${m.rows} rows ${m.elapsed_ms} ms`).join(', ')})`,
      )
    }
    const bound = parameters as MartParameters

    // the two queries alone, in-process: staging inlined as Athena runs it, the lake already open
    const queries: Record<string, number[]> = Object.fromEntries(PRESENCE_MARTS.map((m) => [m, []]))
    const engine = await DuckDbLake.open(lake, { stagingCache: false })
    const scans: Record<string, Awaited<ReturnType<typeof athenaScanEstimate>>> = {}
    const operators: Record<string, Awaited<ReturnType<typeof slowestOperators>>> = {}
    try {
      for (let run = 0; run < RUNS; run++)
        for (const mart of PRESENCE_MARTS) {
          started = performance.now()
          await engine.query(composeMart(mart, bound), [])
          queries[mart]?.push((performance.now() - started) / 1000)
        }
      say(
        `presence queries in-process: ${PRESENCE_MARTS.map((m) => `${m} ${median(queries[m] as number[]).toFixed(2)} s`).join(', ')}`,
      )
      for (const mart of PRESENCE_MARTS) {
        scans[mart] = await athenaScanEstimate(engine, lake, composeMart(mart, bound))
        operators[mart] = await slowestOperators(engine, composeMart(mart, bound))
      }
    } finally {
      engine.close()
    }
    const scanMb = (mart: string) => (scans[mart] ?? []).reduce((sum, s) => sum + s.bytes, 0) / 1e6
    const oneDayMb = PRESENCE_MARTS.reduce((sum, m) => sum + scanMb(m), 0)
    const nightDays = PRESENCE.windowDays + 1

    await rm(file)
    say('profiling one ingest...')
    const profile = await profileIngest(work, hotspots, env)

    const ingestSeconds = median(ingests.map((r) => r.seconds))
    const duckSeconds = median(duck)
    const cliSeconds = median(presenceRuns.map((r) => r.seconds))
    const querySeconds = PRESENCE_MARTS.reduce((sum, m) => sum + median(queries[m] as number[]), 0)
    const result = {
      benchmark: 'pings',
      command: `BENCH_PINGS=${PINGS} BENCH_RUNS=${RUNS} npm run bench:pings`,
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model,
        node: process.version,
        load_average_at_start_and_end: [startLoad, loadavg().map((l) => Number(l.toFixed(2)))],
      },
      day: DAY,
      pings,
      devices: DEVICES_ON_SHIFT * SHIFTS,
      hotspots: HOTSPOT_COUNT,
      runs: RUNS,
      generate_seconds: Number(generateSeconds.toFixed(1)),
      csv_mb: Math.round(csvBytes / 1e6),
      ingest: {
        form: 'the built command line (hotspot ingest --feed patrol_pings) in a child under GNU time',
        scan_path: scanPathOf(ingests),
        median_seconds: Number(ingestSeconds.toFixed(2)),
        median_pings_per_second: Math.round(pings / ingestSeconds),
        max_peak_rss_mb: Math.round(Math.max(...ingests.map((r) => r.peak_rss_mb))),
        each: ingests,
      },
      duckdb_read_csv_to_parquet: {
        median_seconds: Number(duckSeconds.toFixed(2)),
        each: duck.map((s) => Number(s.toFixed(2))),
      },
      ratio_ingest_to_duckdb: Number((ingestSeconds / duckSeconds).toFixed(2)),
      presence: {
        through_cli: {
          form: 'hotspot run --mart presence_visits presence_daily in a child under GNU time: starting Node, opening the lake, staging the day (its staging cache removed first), presence_visits (the runs of pings, measured once), then presence_daily (summing its rows), each a run of its own, results written',
          median_seconds: Number(cliSeconds.toFixed(2)),
          max_peak_rss_mb: Math.round(Math.max(...presenceRuns.map((r) => r.peak_rss_mb))),
          duckdb_memory_limit: DEFAULT_DUCKDB_MEMORY_LIMIT,
          each: presenceRuns,
        },
        through_cli_with_more_memory: {
          form: `the same, alternating with it, with HOTSPOT_DUCKDB_MEMORY_LIMIT=${ROOMY_MEMORY_LIMIT}: what the default limit's spilling costs`,
          median_seconds: Number(median(roomyRuns.map((r) => r.seconds)).toFixed(2)),
          max_peak_rss_mb: Math.round(Math.max(...roomyRuns.map((r) => r.peak_rss_mb))),
          each: roomyRuns,
        },
        queries_in_process: {
          form: "the two marts' queries alone on an open DuckDbLake, staging inlined (presence_visits reads the day's Parquet; presence_daily the latest finished presence_visits run)",
          median_seconds: Object.fromEntries(
            PRESENCE_MARTS.map((m) => [m, Number(median(queries[m] as number[]).toFixed(2))]),
          ),
          both_seconds: Number(querySeconds.toFixed(2)),
          slowest_operators: operators,
        },
      },
      athena_scan_estimate: {
        one_day_mb: Number(oneDayMb.toFixed(1)),
        per_night_mb: Number((oneDayMb * nightDays).toFixed(1)),
        how: `measured on the bench lake's one day of pings; a nightly run reads the window's ${PRESENCE.windowDays} days and the day before, so the night's figure is ${nightDays} times the day's`,
        marts: Object.fromEntries(
          PRESENCE_MARTS.map((m) => [m, { mb: Number(scanMb(m).toFixed(1)), scans: scans[m] }]),
        ),
      },
      ingest_profile: profile,
      targets: {
        ratio_to_duckdb: 4,
        presence_seconds: 10,
        peak_rss_mb: 1024,
        athena_scan_mb_per_night: 1024,
      },
      notes: notesOn(ingestSeconds, duckSeconds, pings, scanPathOf(ingests), profile),
    }
    mkdirSync(path.join(here, 'results'), { recursive: true })
    writeFileSync(path.join(here, 'results', 'pings.json'), `${JSON.stringify(result, null, 2)}\n`)
    say(
      JSON.stringify(
        { ...result, ingest: { ...result.ingest, each: undefined }, ingest_profile: undefined },
        null,
        2,
      ),
    )
  } finally {
    await removeWorkFolder(work)
  }
}

await main()
