import { createHash } from 'node:crypto'
import path from 'node:path'
import type { Column } from '../contracts/columns.ts'
import { FEED_NAMES } from '../contracts/feeds.ts'
import { type Value, writeParquetTable } from '../parquet/writer.ts'
import {
  buildsStaging,
  type Clock,
  type ObjectStore,
  type QueryEngine,
  refreshesViews,
  type StagingBuilder,
} from '../ports.ts'
import { latestReference } from '../reference/manifest.ts'
import { isDay, parseDate } from '../time/days.ts'
import { londonDayOf } from '../time/london.ts'
import { makeWorkFolder, removeWorkFolder } from '../work-folder.ts'
import { assertGrain } from './data-tests.ts'
import { martSql, runStaging, stagingPlacement } from './mart-sql.ts'
import {
  MART_NAMES,
  type MartName,
  type MartParameters,
  martParameterLiterals,
  martQuery,
  martStages,
  PRESENCE_MARTS,
} from './marts.ts'

export const RUN_MANIFEST_VERSION = 1

export interface RunRequest {
  store: ObjectStore
  /** One that can build staging as tables (a StagingBuilder) does so for the run; the others get it inlined. */
  engine: QueryEngine | (QueryEngine & StagingBuilder)
  clock: Clock
  asOf: string
  /** Default: every mart, in MART_NAMES order. */
  marts?: readonly MartName[]
  /** Default: the latest loaded version. */
  weightsVersion?: string
  registerVersion?: string
  /** Default: the latest loaded, or none when no population is loaded. */
  populationVersion?: string
  onMart?: (mart: MartName, rows: number, elapsedMs: number) => void
  /**
   * Milliseconds the run may still wait on queries, asked before each mart: that mart's query gets it as its
   * timeout (QueryOptions.timeoutMs), so the deadline holds for the whole run, whichever mart is running; at
   * or below zero the run stops before the next mart (RunOutOfTimeError). Default: the engine's own limit.
   */
  timeLeftMs?: () => number
}

export interface MartRun {
  mart: MartName
  /** sha256 of the SQL exactly as sent (parameters written in, staging included). */
  query_sha256: string
  /** sha256 of the mart's file in queries/marts. */
  file_sha256: string
  parameters: string[]
  rows: number
  result_key: string
  elapsed_ms: number
  bytes_scanned: number | null
  execution_id: string | null
}

export interface RunManifest {
  manifest_version: number
  run_id: string
  as_of: string
  /** The engine's name (QueryEngine.name). */
  engine: string
  started_at: string
  finished_at: string
  weights_version: string
  register_version: string
  /** The population stop_search_monthly's disproportionality used; null when none was loaded. */
  population_version: string | null
  /** The drops a run as of this date can see, per feed: the curated files with a drop date on or before it. */
  inputs: Record<string, { drop_id: string; drop_date: string }[]>
  /**
   * The runs made first for the same request, in order (one per presence mart: PRESENCE_MARTS), finished before
   * this one began: its marts read their results. Empty for the first.
   */
  earlier_runs: string[]
  marts: MartRun[]
  bytes_scanned: number | null
}

export class MartSchemaError extends Error {
  override name = 'MartSchemaError'
}
export class MissingReferenceError extends Error {
  override name = 'MissingReferenceError'
}
export class RunOutOfTimeError extends Error {
  override name = 'RunOutOfTimeError'
}
export class FutureAsOfError extends Error {
  override name = 'FutureAsOfError'
}

/**
 * Runs the marts for one as-of date: `results/<mart>/as_of=<date>/<run_id>.parquet` for each, then the run's
 * manifest at `manifests/runs/<run_id>.json` (written last: its presence means the run completed). Every mart
 * reads only record versions with a drop date on or before `as_of`, so a rerun for a past date gives the
 * same rows. A request with presence marts is several runs, one after another (martStages): the manifest
 * returned is the last one's, and names the others in `earlier_runs`.
 */
export async function runMarts(request: RunRequest): Promise<RunManifest> {
  const { store, clock, asOf } = request
  const today = londonDayOf(clock.now())
  // a day that has not ended has no complete drops yet: its results would be partial, and a report would use them
  if (isDay(asOf) && asOf > today) {
    throw new FutureAsOfError(
      `as of ${asOf} is after today (${today} in London): results as of a day not yet over would be partial`,
    )
  }
  // settled once for every stage: each reads the same reference versions and names the same inputs, even if a
  // register is loaded or a drop lands meanwhile (and the lake is listed once, not once per stage)
  const inputs = await listInputs(store, asOf)
  const bound = await martParameters(store, asOf, request)
  const earlier: string[] = []
  let manifest: RunManifest | undefined
  // each stage reads the results of those before it through the views of finished runs: they finish first
  for (const stage of martStages(request.marts ?? MART_NAMES)) {
    if (manifest && refreshesViews(request.engine)) await request.engine.refresh()
    manifest = await runStage(request, { marts: stage, earlierRuns: [...earlier], bound, inputs })
    earlier.push(manifest.run_id)
  }
  if (!manifest) throw new Error('a run of no marts')
  return manifest
}

async function runStage(
  request: RunRequest,
  stage: {
    marts: readonly MartName[]
    earlierRuns: string[]
    bound: MartParameters
    inputs: RunManifest['inputs']
  },
): Promise<RunManifest> {
  const { store, engine, clock, asOf } = request
  const { marts, earlierRuns, bound, inputs } = stage
  const startedAt = clock.now()
  const {
    weights_version: weightsVersion,
    register_version: registerVersion,
    population_version: populationVersion,
  } = bound
  const parameters = [asOf, weightsVersion, registerVersion]
  const runId = runIdOf(startedAt, asOf, [...parameters, populationVersion], inputs, marts)
  const inputsDigest = createHash('sha256').update(JSON.stringify(inputs)).digest('hex')
  const work = await makeWorkFolder('run')
  const martRuns: MartRun[] = []
  try {
    await prepareStaging(engine, marts)
    // presence_daily sums the visits of the presence_visits run this request made before it
    const stageParameters = {
      ...bound,
      presence_visits_run: earlierRuns[PRESENCE_MARTS.indexOf('presence_visits')] ?? null,
    }
    for (const mart of marts) {
      const definition = martQuery(mart)
      const sql = martSql(stagingPlacement(engine), mart, stageParameters, marts)
      const timeoutMs = request.timeLeftMs?.()
      if (timeoutMs !== undefined && !(timeoutMs > 0)) {
        throw new RunOutOfTimeError(
          `no time left to run ${mart} (${martRuns.length} of ${marts.length} marts done, ${Math.round(timeoutMs)} ms left): ` +
            'the run is incomplete and writes no manifest',
        )
      }
      const result = await engine.query(sql, [], {
        label: mart,
        asOf,
        inputs: inputsDigest,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      })
      const declared = definition.columns.map((c) => c.name)
      const returned = result.columns.map((c) => c.name)
      if (declared.join() !== returned.join()) {
        throw new MartSchemaError(
          `${mart}: the query returned columns (${returned.join(', ')}) but its header declares (${declared.join(', ')})`,
        )
      }
      const rows = result.rows.map((row) => typedRow(mart, definition.columns, row))
      // a result that breaks its grain would double a figure in a report: it is never written
      assertGrain(mart, definition.grainKey, rows)
      const file = path.join(work, `${mart}.parquet`)
      await writeParquetTable(file, definition.columns, rows, { run_id: runId, as_of: asOf })
      const resultKey = `results/${mart}/as_of=${asOf}/${runId}.parquet`
      await store.create(resultKey, { file }, { contentType: 'application/vnd.apache.parquet' })
      martRuns.push({
        mart,
        query_sha256: createHash('sha256').update(sql).digest('hex'),
        file_sha256: definition.sha256,
        parameters,
        rows: result.rows.length,
        result_key: resultKey,
        elapsed_ms: result.stats.elapsed_ms,
        bytes_scanned: result.stats.bytes_scanned ?? null,
        execution_id: result.stats.execution_id ?? null,
      })
      request.onMart?.(mart, result.rows.length, result.stats.elapsed_ms)
    }
  } finally {
    await removeWorkFolder(work)
  }
  const scanned = martRuns.map((m) => m.bytes_scanned)
  const manifest: RunManifest = {
    manifest_version: RUN_MANIFEST_VERSION,
    run_id: runId,
    as_of: asOf,
    engine: engine.name,
    started_at: startedAt.toISOString(),
    finished_at: clock.now().toISOString(),
    weights_version: weightsVersion,
    register_version: registerVersion,
    population_version: populationVersion,
    inputs,
    earlier_runs: earlierRuns,
    marts: martRuns,
    bytes_scanned: scanned.every((b) => b === null)
      ? null
      : scanned.reduce<number>((sum, b) => sum + (b ?? 0), 0),
  }
  await store.create(`manifests/runs/${runId}.json`, `${JSON.stringify(manifest, null, 2)}\n`, {
    contentType: 'application/json',
  })
  return manifest
}

/**
 * A run's parameters: the as-of date, and the reference versions given or else the latest loaded into the
 * store (as `hotspot run` and `hotspot sql` take them). A population is optional: with none loaded, its version
 * is null (the disproportionality is then null).
 */
export async function martParameters(
  store: ObjectStore,
  asOf: string,
  versions: { weightsVersion?: string; registerVersion?: string; populationVersion?: string } = {},
): Promise<MartParameters> {
  if (!isDay(asOf)) throw new Error(`--as-of ${JSON.stringify(asOf)} is not a date (YYYY-MM-DD)`)
  const parameters = {
    as_of: asOf,
    weights_version: versions.weightsVersion ?? (await latestVersion(store, 'weights')),
    register_version: versions.registerVersion ?? (await latestVersion(store, 'register')),
    population_version:
      versions.populationVersion ?? (await latestReference(store, 'population'))?.version ?? null,
  }
  // the values go into the SQL as literals: refuse what cannot be one now, before any work
  martParameterLiterals(parameters)
  return parameters
}

/**
 * Builds the run's staging as tables on an engine that can (a StagingBuilder), all of it: the marts' SQL
 * (martSql) then leaves every one of those tables out, so an engine that built fewer would fail on a missing table.
 */
async function prepareStaging(engine: QueryEngine, marts: readonly MartName[]): Promise<void> {
  if (!buildsStaging(engine)) return
  const staging = runStaging('tables', marts)
  const built = await engine.prepareStaging(staging)
  const missing = [...staging.keys()].filter((name) => !built.has(name))
  if (missing.length > 0)
    throw new Error(`the ${engine.name} engine did not build the staging tables ${missing.join(', ')}`)
}

async function latestVersion(store: ObjectStore, kind: 'weights' | 'register'): Promise<string> {
  const latest = await latestReference(store, kind)
  if (!latest) {
    throw new MissingReferenceError(
      `no ${kind === 'weights' ? 'harm weights' : 'hotspot register'} loaded: run hotspot load ${kind} FILE`,
    )
  }
  return latest.version
}

/** The curated drops visible as of a date, from the keys alone (`curated/<feed>/dt=<date>/<drop_id>.parquet`). */
async function listInputs(store: ObjectStore, asOf: string): Promise<RunManifest['inputs']> {
  const inputs: RunManifest['inputs'] = {}
  for (const feed of FEED_NAMES) {
    const drops: { drop_id: string; drop_date: string }[] = []
    for await (const { key } of store.list(`curated/${feed}/`)) {
      const m = /^curated\/[a-z_]+\/dt=(\d{4}-\d{2}-\d{2})\/(.+)\.parquet$/.exec(key)
      if (m && (m[1] as string) <= asOf) drops.push({ drop_id: m[2] as string, drop_date: m[1] as string })
    }
    inputs[feed] = drops
  }
  return inputs
}

/**
 * `r<UTC start, compact>-<8 hex>`: runs of the same as-of date sort by when they started, so the latest is the
 * greatest; the hash (of the date, parameters, inputs and marts) tells two runs started in the same second apart.
 */
function runIdOf(
  startedAt: Date,
  asOf: string,
  parameters: (string | null)[],
  inputs: RunManifest['inputs'],
  marts: readonly string[],
): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')
  const digest = createHash('sha256')
    .update(JSON.stringify({ asOf, parameters, inputs, marts, at: startedAt.toISOString() }))
    .digest('hex')
  return `r${stamp}-${digest.slice(0, 8)}`
}

/** A result row as the engines give it (text) typed by the mart's declared columns. */
export function typedRow(mart: string, columns: Column[], row: (string | null)[]): Record<string, Value> {
  const typed: Record<string, Value> = {}
  columns.forEach((column, i) => {
    const text = row[i]
    typed[column.name] = text === null || text === undefined ? null : typedValue(mart, column, text)
  })
  return typed
}

function typedValue(mart: string, column: Column, text: string): Value {
  switch (column.kind) {
    case 'string':
      return text
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true'
      break
    case 'int': {
      const n = Number(text)
      if (Number.isSafeInteger(n)) return n
      break
    }
    case 'double': {
      const n = Number(text)
      if (!Number.isNaN(n)) return n
      if (text.toLowerCase() === 'nan') return null
      break
    }
    case 'date': {
      const day = parseDate(text.slice(0, 10))
      if (day !== undefined) return day
      break
    }
    case 'timestamp': {
      const ms = Date.parse(`${text.replace(' ', 'T').replace(/Z?$/, 'Z')}`)
      if (!Number.isNaN(ms)) return ms
      break
    }
  }
  throw new MartSchemaError(`${mart}.${column.name}: ${JSON.stringify(text)} is not a ${column.kind}`)
}
