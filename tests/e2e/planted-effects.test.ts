import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { grainViolations } from '../../functions/core/analytics/data-tests.ts'
import { MART_NAMES, martQuery } from '../../functions/core/analytics/marts.ts'
import { type RunManifest, runMarts } from '../../functions/core/analytics/run.ts'
import type { Truth } from '../../functions/core/generate/truth.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { copyDemoLake, demoCity } from '../helpers/demo-city.ts'
import { requestRuns } from '../helpers/request-runs.ts'

/**
 * "Enough days" for a hotspot's own patrol effect: at least this many trial days in each arm. The CI comes from
 * the delta method on log(m_a / m_u), which needs each arm's mean to be roughly normal: the quietest demo
 * hotspots see under 0.2 incidents a day on patrol days, so 100 days give them some 16 to 20 per arm. The 2-year city
 * gives every hotspot 103 or more days in each arm, so all of them are checked.
 */
const MIN_DAYS_PER_ARM = 100

interface PatrolEffect {
  scope: string
  outcome: string
  n_assigned_days: number
  n_unassigned_days: number
  effect: number
  effect_ci_low: number
  effect_ci_high: number
}

/**
 * The largest k with P(X >= k) >= probability for X ~ Binomial(n, p): with probability 0.999, at least k of n
 * independent intervals of coverage p cover the truth, so a well-calibrated estimator fails the check once in
 * 1,000 cities. For 20 hotspots x 2 outcomes, n = 40 and p = 0.95: P(X >= 33) = 0.99929 and P(X >= 34) = 0.99661,
 * so k = 33 (at most 7 misses; 2 are expected). A hotspot's count and harm intervals are not independent (harm
 * sums the same incidents), which widens the spread of misses somewhat beyond the binomial's.
 */
function binomialLowerBound(n: number, p: number, probability: number): number {
  let pmf = (1 - p) ** n // P(X = 0)
  const pmfs = [pmf]
  for (let x = 1; x <= n; x++) {
    pmf *= ((n - x + 1) / x) * (p / (1 - p))
    pmfs.push(pmf)
  }
  let atLeast = 0
  for (let k = n; k >= 0; k--) {
    atLeast += pmfs[k] as number
    if (atLeast >= probability) return k
  }
  return 0
}

/**
 * The whole pipeline on the run's shared demo city (generated and every drop ingested once per run; the marts
 * run here on a copy of its lake) must find what the generator planted: the patrol-day reduction in count and harm, and diffusion of benefit into the buffers.
 */
describe('planted effects, recovered by the marts', () => {
  let root: string
  let lake: string
  let truth: Pick<Truth, 'dates' | 'effects' | 'hotspots' | 'stop_search'>
  let manifest: RunManifest
  let duck: DuckDbLake

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-planted-'))
    lake = await copyDemoLake(root)
    truth = JSON.parse(readFileSync(path.join(demoCity().city, 'truth.json'), 'utf8'))
    const store = new FsObjectStore(lake)
    const clock = fixedClock(demoCity().ingestedAt)
    duck = await DuckDbLake.open(lake)
    manifest = await runMarts({
      store,
      engine: duck,
      clock,
      asOf: truth.dates.end,
    })
    await duck.refresh()
  }, 240_000)

  // runMarts refuses a result that breaks its grain (MartGrainError); this reads back what it wrote
  it('keeps every mart to its grain: the grain key columns are never null and tell the rows apart', async () => {
    // each presence mart ran first, as a run of its own (earlier_runs)
    const runs = requestRuns(lake, manifest)
    expect(runs.flatMap((run) => run.marts.map((m) => m.mart))).toEqual([...MART_NAMES])
    for (const mart of MART_NAMES) {
      const { grainKey } = martQuery(mart)
      const run = runs.find((r) => r.marts.some((m) => m.mart === mart)) as RunManifest
      const { rows } = await duck.rows(
        `select ${grainKey.join(', ')} from ${mart} where run_id = '${run.run_id}'`,
      )
      expect(rows.length, mart).toBe(run.marts.find((m) => m.mart === mart)?.rows)
      expect(grainViolations(grainKey, rows), mart).toEqual([])
    }
  })

  /** The generator thins incidents in every hotspot alike on its assigned days (truth.json, effects). */
  const plantedPatrolEffect = (outcome: 'count' | 'harm') =>
    outcome === 'count' ? truth.effects.patrol_effect_count : truth.effects.patrol_effect_harm

  const patrolEffects = async (): Promise<PatrolEffect[]> => {
    const { rows } = await duck.rows(
      `select scope, outcome, n_assigned_days, n_unassigned_days, effect, effect_ci_low, effect_ci_high
       from patrol_effect where run_id = '${manifest.run_id}'`,
    )
    return rows.map((r) => ({
      scope: String(r.scope),
      outcome: String(r.outcome),
      n_assigned_days: Number(r.n_assigned_days),
      n_unassigned_days: Number(r.n_unassigned_days),
      effect: Number(r.effect),
      effect_ci_low: Number(r.effect_ci_low),
      effect_ci_high: Number(r.effect_ci_high),
    }))
  }

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

  it('recovers the planted patrol-day reduction in count and harm, programme-wide: each 95% CI covers it and excludes 0', async () => {
    const effects = await patrolEffects()
    for (const outcome of ['count', 'harm'] as const) {
      const programme = effects.find((e) => e.scope === 'all' && e.outcome === outcome)
      expect(programme, `programme ${outcome}`).toBeDefined()
      const { effect_ci_low: low, effect_ci_high: high } = programme as PatrolEffect
      const planted = plantedPatrolEffect(outcome)
      expect(low, `programme ${outcome}: CI [${low}, ${high}]`).toBeLessThanOrEqual(planted)
      expect(high, `programme ${outcome}: CI [${low}, ${high}]`).toBeGreaterThanOrEqual(planted)
      expect(low, `programme ${outcome}: CI [${low}, ${high}]`).toBeGreaterThan(0)
    }
  })

  it('recovers it in every hotspot with enough trial days, at the rate a 95% interval should', async () => {
    const effects = await patrolEffects()
    const perHotspot = effects.filter(
      (e) =>
        e.scope !== 'all' &&
        (e.outcome === 'count' || e.outcome === 'harm') &&
        e.n_assigned_days >= MIN_DAYS_PER_ARM &&
        e.n_unassigned_days >= MIN_DAYS_PER_ARM,
    )
    // every hotspot of the register is in the trial, and a 2-year city gives each of them enough days
    expect(new Set(perHotspot.map((e) => e.scope)).size).toBe(truth.hotspots.length)
    const missed = perHotspot.filter((e) => {
      const planted = plantedPatrolEffect(e.outcome as 'count' | 'harm')
      return !(e.effect_ci_low <= planted && planted <= e.effect_ci_high)
    })
    const required = binomialLowerBound(perHotspot.length, 0.95, 0.999)
    expect(
      perHotspot.length - missed.length,
      `intervals missing the planted effect: ${missed.map((e) => `${e.scope} ${e.outcome} [${e.effect_ci_low}, ${e.effect_ci_high}]`).join('; ')}`,
    ).toBeGreaterThanOrEqual(required)
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
