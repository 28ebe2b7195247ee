import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { type RunManifest, runMarts } from '../../functions/core/analytics/run.ts'
import { FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { generateCity } from '../../functions/core/generate/generate.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'

/**
 * The whole pipeline on a generated city (generate, ingest every drop, run the marts) must find what the
 * generator planted: the patrol-day reduction in harm, and diffusion of benefit into the buffers.
 */
describe('planted effects, recovered by the marts', () => {
  let root: string
  let lake: string
  let truth: {
    dates: { end: string }
    effects: { patrol_effect_harm: number; diffusion_buffer: number }
    stop_search: { disproportionality: Record<string, number> }
  }
  let manifest: RunManifest
  let duck: DuckDbLake

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-planted-'))
    const city = path.join(root, 'city')
    lake = path.join(root, 'lake')
    await generateCity({ scale: 'demo', years: 2, seed: 7, out: city })
    truth = JSON.parse(readFileSync(path.join(city, 'truth.json'), 'utf8'))
    const store = new FsObjectStore(lake)
    const clock = fixedClock('2026-11-20T03:30:00Z')
    for (const [kind, file] of [
      ['weights', 'weights.csv'],
      ['register', 'register.geojson'],
      ['population', 'population.csv'],
    ] as const) {
      await loadReference(store, kind, path.join(city, file), clock)
    }
    for (const feed of FEED_NAMES) {
      const { failures } = await runIngestCommand([path.join(city, 'drops', feed)], { lake, feed, clock })
      expect(failures).toEqual([])
    }
    duck = await DuckDbLake.open(lake)
    manifest = await runMarts({
      store,
      engine: duck,
      clock,
      asOf: truth.dates.end,
      marts: ['patrol_effect', 'displacement', 'concentration', 'stop_search_monthly'],
    })
    await duck.refresh()
  }, 240_000)

  afterAll(async () => {
    duck?.close()
    if (root) await rm(root, { recursive: true, force: true })
  })

  it('finds the planted stop-and-search disproportionality: monthly 95% CIs cover it about 95% of the time', async () => {
    const { rows } = await duck.rows(
      `select group_value, disproportionality_ci_low as low, disproportionality_ci_high as high
       from stop_search_monthly
       where run_id = '${manifest.run_id}' and group_type = 'ethnicity' and group_value in ('Black', 'Asian')
         and disproportionality is not null`,
    )
    expect(rows.length).toBeGreaterThan(30)
    const covered = (rows as { group_value: string; low: number; high: number }[]).filter((r) => {
      const planted = truth.stop_search.disproportionality[r.group_value] as number
      return r.low <= planted && planted <= r.high
    })
    // about 48 intervals: 95% coverage gives 40 or more with probability over 0.99
    expect(covered.length / rows.length).toBeGreaterThan(0.85)
  })

  it('finds the patrol-day harm reduction: its 95% CI covers the planted effect and excludes 0', async () => {
    const { rows } = await duck.rows(
      `select effect, effect_ci_low, effect_ci_high from patrol_effect
       where run_id = '${manifest.run_id}' and scope = 'all' and outcome = 'harm'`,
    )
    const { effect, effect_ci_low: low, effect_ci_high: high } = rows[0] as Record<string, number>
    expect(low).toBeLessThanOrEqual(truth.effects.patrol_effect_harm)
    expect(high).toBeGreaterThanOrEqual(truth.effects.patrol_effect_harm)
    expect(low).toBeGreaterThan(0)
    expect(effect).toBeGreaterThan(0)
  })

  it('finds diffusion of benefit, as planted: a positive WDQ, and the buffers falling relative to control', async () => {
    expect(truth.effects.diffusion_buffer).toBeGreaterThan(0)
    const { rows } = await duck.rows(
      `select rb, ra, db, da, cb, ca, wdq from displacement where run_id = '${manifest.run_id}' and hotspot_id = 'all'`,
    )
    const all = rows[0] as Record<'rb' | 'ra' | 'db' | 'da' | 'cb' | 'ca' | 'wdq', number>
    expect(all.wdq).toBeGreaterThan(0)
    // buffers fell by more than the controls moved: Da/Db < Ca/Cb
    expect(all.da / all.db).toBeLessThan(all.ca / all.cb)
    // and the hotspots fell more than the buffers
    expect(all.ra / all.rb).toBeLessThan(all.da / all.db)
  })

  it('finds harm concentrated as generated: the top 1% of 100 m cells hold 10-20% of it', async () => {
    const { rows } = await duck.rows(
      `select top1_share_harm from concentration where run_id = '${manifest.run_id}' and grid_m = 100`,
    )
    const share = (rows[0] as Record<string, number>).top1_share_harm
    expect(share).toBeGreaterThanOrEqual(0.1)
    expect(share).toBeLessThanOrEqual(0.2)
  })
})
