import { DuckDbLake } from '../adapters/duckdb-lake.ts'
import type { StagingPreparation } from '../adapters/duckdb-staging-cache.ts'
import { FsObjectStore } from '../adapters/fs-object-store.ts'
import { type MartName, PRESENCE_MARTS } from '../core/analytics/marts.ts'
import { type RunManifest, runMarts } from '../core/analytics/run.ts'
import { PRESENCE } from '../core/contracts/presence.ts'
import { type Clock, type ObjectStore, systemClock } from '../core/ports.ts'
import { latestRun, NoResultsError } from '../core/reports/results.ts'
import { formatDay, parseDate } from '../core/time/days.ts'

export interface RunCommandOptions {
  lake: string
  asOf: string
  marts?: MartName[]
  /** Default: the latest loaded (the population: none when none is loaded). */
  weightsVersion?: string
  registerVersion?: string
  populationVersion?: string
  clock?: Clock
  /** DuckDB's memory limit (engineSettings); default the lake's. */
  duckdbMemoryLimit?: string
  /** One line per mart as it finishes (e.g. process.stderr on a TTY). */
  progress?: NodeJS.WriteStream
}

/** `hotspot run`: every mart for one as-of date on DuckDB over the local lake. */
export async function runRunCommand(options: RunCommandOptions): Promise<RunManifest> {
  const engine = await DuckDbLake.open(options.lake, { memoryLimit: options.duckdbMemoryLimit })
  let first = true
  try {
    return await runMarts({
      store: new FsObjectStore(options.lake),
      engine,
      clock: options.clock ?? systemClock,
      asOf: options.asOf,
      marts: options.marts,
      weightsVersion: options.weightsVersion,
      registerVersion: options.registerVersion,
      populationVersion: options.populationVersion,
      onMart: (mart, rows, ms) => {
        if (first)
          options.progress?.write(
            `  ${describeStaging(engine.stagingPreparations(), engine.stagingCacheUnavailable)}\n`,
          )
        first = false
        options.progress?.write(`  ${mart.padEnd(28)} ${String(rows).padStart(7)} rows  ${ms} ms\n`)
      },
    })
  } finally {
    engine.close()
  }
}

/**
 * Measures the GPS presence of every day from `from` to `to`, as the nightly runs would have: a run of the
 * presence marts as of every PRESENCE.windowDays-th day (each measures the window ending on its as-of date), the
 * last as of `to`; an as-of date with a finished presence run already is skipped. For a lake whose pings began
 * before its nightly runs did (the demo city's). Returns the as-of dates it ran.
 */
export async function runPresenceBackfill(options: {
  lake: string
  from: string
  to: string
  clock?: Clock
  duckdbMemoryLimit?: string
}): Promise<string[]> {
  const store = new FsObjectStore(options.lake)
  const first = parseDate(options.from)
  const last = parseDate(options.to)
  if (first === undefined || last === undefined || first > last)
    throw new Error(`presence from ${options.from} to ${options.to} is not a range of dates`)
  const ran: string[] = []
  // one engine for every run (runMarts refreshes its views between the presence marts' runs)
  let engine: DuckDbLake | undefined
  try {
    for (let day = first + PRESENCE.windowDays - 1; ; day += PRESENCE.windowDays) {
      const asOf = formatDay(Math.min(day, last))
      if (!(await hasFinishedPresenceRun(store, asOf))) {
        engine ??= await DuckDbLake.open(options.lake, { memoryLimit: options.duckdbMemoryLimit })
        await runMarts({
          store,
          engine,
          clock: options.clock ?? systemClock,
          asOf,
          marts: [...PRESENCE_MARTS],
        })
        ran.push(asOf)
      }
      if (day >= last) return ran
    }
  } finally {
    engine?.close()
  }
}

/** Whether the last presence mart has a finished run as of the date (its presence runs all finished then). */
function hasFinishedPresenceRun(store: ObjectStore, asOf: string): Promise<boolean> {
  return latestRun(store, asOf, [PRESENCE_MARTS.at(-1) as MartName]).then(
    () => true,
    (error: unknown) => {
      if (error instanceof NoResultsError) return false
      throw error
    },
  )
}

export function describeRun(manifest: RunManifest): string {
  const rows = manifest.marts.map(
    (m) => `  ${m.mart.padEnd(28)} ${String(m.rows).padStart(7)} rows  ${m.elapsed_ms} ms`,
  )
  return [
    `run ${manifest.run_id} as of ${manifest.as_of} (weights ${manifest.weights_version}, register ${manifest.register_version}, population ${manifest.population_version ?? 'none'})`,
    ...manifest.earlier_runs.map((run) => `  after run ${run} (a presence mart, which these read)`),
    ...rows,
  ].join('\n')
}

/** How the staging cache served the run: "staging: 6 reused, 2 updated with new drops", or why it was not used. */
export function describeStaging(
  preparations: ReadonlyMap<string, StagingPreparation>,
  unavailable: string | undefined,
): string {
  if (unavailable !== undefined) return `staging: built in memory (${unavailable})`
  const count = (how: StagingPreparation) => [...preparations.values()].filter((h) => h === how).length
  const parts = [
    [count('reused'), 'reused'],
    [count('incremental'), 'updated with new drops'],
    [count('rebuilt'), 'rebuilt'],
  ] as const
  return `staging: ${parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ')}`
}
