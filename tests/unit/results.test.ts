import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { latestRun, NoResultsError } from '../../functions/core/reports/results.ts'

let root: string
let store: FsObjectStore
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'hotspot-results-'))
  store = new FsObjectStore(root)
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A run's result files, and its manifest unless the run stopped before writing it. */
async function run(runId: string, asOf: string, marts: string[], complete = true): Promise<void> {
  for (const mart of marts) await store.create(`results/${mart}/as_of=${asOf}/${runId}.parquet`, 'x')
  if (complete) {
    const manifest = { run_id: runId, as_of: asOf, marts: marts.map((mart) => ({ mart })) }
    await store.create(`manifests/runs/${runId}.json`, JSON.stringify(manifest))
  }
}

describe('latestRun', () => {
  it('picks the newest completed run of the date that has every mart asked for', async () => {
    await run('r20261116T033000Z-aaaaaaaa', '2026-11-15', ['scorecard_weekly', 'patrol_effect'])
    await run('r20261116T043000Z-bbbbbbbb', '2026-11-15', ['scorecard_weekly']) // a run of one mart only
    await run('r20261116T053000Z-cccccccc', '2026-11-15', ['scorecard_weekly', 'patrol_effect'], false) // crashed
    await run('r20261117T033000Z-dddddddd', '2026-11-16', ['scorecard_weekly', 'patrol_effect']) // another date
    expect((await latestRun(store, '2026-11-15', ['scorecard_weekly', 'patrol_effect'])).run_id).toBe(
      'r20261116T033000Z-aaaaaaaa',
    )
    expect((await latestRun(store, '2026-11-15', ['scorecard_weekly'])).run_id).toBe(
      'r20261116T043000Z-bbbbbbbb',
    )
  })

  it('says so when no completed run has the results', async () => {
    await run('r20261116T053000Z-cccccccc', '2026-11-15', ['scorecard_weekly'], false)
    await expect(latestRun(store, '2026-11-15', ['scorecard_weekly'])).rejects.toThrow(NoResultsError)
    await expect(latestRun(store, '2026-11-14', ['scorecard_weekly'])).rejects.toThrow(
      /hotspot run --as-of 2026-11-14/,
    )
  })
})
