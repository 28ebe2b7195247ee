import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { RunManifest } from '../../functions/core/analytics/run.ts'

/** A request's runs in the order runMarts made them (those its last manifest names in earlier_runs, then it), read from a local lake. */
export function requestRuns(lake: string, last: RunManifest): RunManifest[] {
  return [
    ...last.earlier_runs.map(
      (runId) =>
        JSON.parse(
          readFileSync(path.join(lake, 'manifests', 'runs', `${runId}.json`), 'utf8'),
        ) as RunManifest,
    ),
    last,
  ]
}
