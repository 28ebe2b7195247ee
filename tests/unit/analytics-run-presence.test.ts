// runMarts' presence stages: presence_daily sums the visits of the presence_visits run the request made, by its
// id; the view of presence_visits shows the latest run of a date that has rows, so a run that found no visit would
// show an older run's (found by an adversarial review; this failed when presence_daily read the view)
import { readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import type { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { type RunManifest, runMarts } from '../../functions/core/analytics/run.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { requestRuns } from '../helpers/request-runs.ts'
import { SAMPLES, sampleLake } from '../helpers/sample-lake.ts'

describe('runMarts: presence_daily after a presence_visits run of no rows', () => {
  let root: string
  let lake: string
  let store: FsObjectStore

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-presence-runs-'))
    lake = path.join(root, 'lake')
    store = await sampleLake(lake, ['patrol_pings'])
  }, 120_000)

  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  async function presence(
    at: string,
  ): Promise<{ manifest: RunManifest; visits: number; dailyVisits: number }> {
    const engine = await DuckDbLake.open(lake, { stagingCache: false })
    try {
      const manifest = await runMarts({
        store,
        engine,
        clock: fixedClock(at),
        asOf: '2026-03-03',
        marts: ['presence_visits', 'presence_daily'],
      })
      const runs = requestRuns(lake, manifest)
      const visitsRun = runs.find((run) => run.marts.some((m) => m.mart === 'presence_visits')) as RunManifest
      await engine.refresh()
      const daily = await engine.rows(
        `select coalesce(sum(visits), 0) as n from presence_daily where as_of = date '2026-03-03'`,
      )
      return {
        manifest,
        visits: visitsRun.marts.find((m) => m.mart === 'presence_visits')?.rows ?? -1,
        dailyVisits: Number((daily.rows[0] as { n: unknown }).n),
      }
    } finally {
      engine.close()
    }
  }

  it('sums the visits its own presence_visits run measured', async () => {
    const first = await presence('2026-03-05T03:30:00Z')
    expect(first.visits).toBeGreaterThan(0)
    expect(first.dailyVisits).toBeGreaterThan(0)
    // the register reloaded with every hotspot moved ~3.5 km east: no ping is inside one any more
    const register = JSON.parse(readFileSync(path.join(SAMPLES, 'register.geojson'), 'utf8'))
    const shift = (c: unknown): unknown =>
      Array.isArray(c) && typeof c[0] === 'number'
        ? [(c[0] as number) + 0.05, c[1]]
        : (c as unknown[]).map(shift)
    for (const f of register.features) f.geometry.coordinates = shift(f.geometry.coordinates)
    const moved = path.join(root, 'register-moved.geojson')
    writeFileSync(moved, JSON.stringify(register))
    await loadReference(store, 'register', moved, fixedClock('2026-03-06T06:00:00Z'))
    const second = await presence('2026-03-07T03:30:00Z')
    expect(second.manifest.register_version).not.toBe(first.manifest.register_version)
    expect(second.visits).toBe(0)
    expect(second.dailyVisits).toBe(0)
  })
})
