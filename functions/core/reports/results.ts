import type { MartName } from '../analytics/marts.ts'
import type { RunManifest } from '../analytics/run.ts'
import { readParquetRows } from '../parquet/reader.ts'
import type { ObjectStore } from '../ports.ts'
import type { MartRow } from './model.ts'

export class NoResultsError extends Error {
  override name = 'NoResultsError'
}

/**
 * The latest complete run as of a date that has every mart asked for. Result files are named by their run id,
 * and run ids start with the time the run started, so the first mart's folder for that date lists the candidate
 * runs newest first; a run's manifest (written last) says whether it completed. Only those manifests are read:
 * not every run the lake ever kept.
 */
export async function latestRun(
  store: ObjectStore,
  asOf: string,
  marts: readonly MartName[],
): Promise<RunManifest> {
  const [first] = marts
  const candidates: string[] = []
  for await (const { key } of store.list(`results/${first}/as_of=${asOf}/`)) {
    const runId = /([^/]+)\.parquet$/.exec(key)?.[1]
    if (runId) candidates.push(runId)
  }
  for (const runId of candidates.sort().reverse()) {
    const key = `manifests/runs/${runId}.json`
    if (!(await store.exists(key))) continue
    const manifest = JSON.parse((await store.getBytes(key)).toString('utf8')) as RunManifest
    if (manifest.as_of === asOf && marts.every((m) => manifest.marts.some((r) => r.mart === m)))
      return manifest
  }
  throw new NoResultsError(
    `no completed run as of ${asOf}: run the marts first (hotspot run --as-of ${asOf})`,
  )
}

/**
 * A mart's rows from one run, read straight from its Parquet result (no SQL engine needed, so the reports
 * Lambda reads S3 only). Dates come back as YYYY-MM-DD and timestamps as ISO-8601.
 */
export async function readMart(store: ObjectStore, run: RunManifest, mart: MartName): Promise<MartRow[]> {
  const entry = run.marts.find((m) => m.mart === mart)
  if (!entry) throw new NoResultsError(`run ${run.run_id} has no ${mart} results`)
  return readParquetRows(await store.getBytes(entry.result_key))
}

/** The rows of several marts from the latest run as of a date. */
export async function readResults(
  store: ObjectStore,
  asOf: string,
  marts: readonly MartName[],
): Promise<{ run: RunManifest; rows: Partial<Record<MartName, MartRow[]>> }> {
  const run = await latestRun(store, asOf, marts)
  const rows: Partial<Record<MartName, MartRow[]>> = {}
  for (const mart of marts) rows[mart] = await readMart(store, run, mart)
  return { run, rows }
}
