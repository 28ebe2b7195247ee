import { describe, expect, it } from 'vitest'
import { describeEffect, patrolEffectChart } from '../../../functions/core/reports/charts/patrol-effect.ts'
import { chartSvg, renderChart } from '../../../functions/core/reports/charts/render.ts'
import type { MartRow } from '../../../functions/core/reports/model.ts'
import { patrolRows } from '../../fixtures/chart-rows.ts'
import { expectedHeight, pngSize, rasterise, save } from '../helpers/charts.ts'

const patrolImage = (rows: MartRow[], title: string) => renderChart(patrolEffectChart(rows, title), rasterise)

describe('charts: patrol days against other days', () => {
  it('draws the harm outcome: means with 95% intervals, the effect and its CI in words', async () => {
    const rows = patrolRows({})
    const image = await patrolImage(rows, 'Station Road: harm on patrol days')
    save('patrol-effect', image)
    const svg = await chartSvg(patrolEffectChart(rows, 'Station Road: harm on patrol days').spec)
    expect(pngSize(image.content)).toEqual({ width: 1200, height: expectedHeight(svg) })
    expect(image.cid).toBe('patrol-HS-02@hotspot')
    // patrol: 6 ± 1.96 x 4 / sqrt(16) = 6 ± 1.96 -> 4.04 .. 7.96; other: 8 ± 1.96 x 5 / sqrt(25) -> 6.04 .. 9.96
    expect(image.alt).toBe(
      'Bar chart for Station Road: harm on patrol days: mean harm per hotspot-day was 6 on 16 patrol days ' +
        '(95% CI 4 to 8) and 8 on 25 other days (95% CI 6 to 10). ' +
        '25% less harm on patrol days (95% CI 10% to 38%).',
    )
    expect(svg).toContain('25% less harm on patrol days (95% CI 10% to 38%).')
    expect(svg).toContain('6 (95% CI 4 to 8)')
    expect(svg).toContain('Patrol days')
    expect(svg).toContain('Other days')
    const again = await patrolImage(rows, 'Station Road: harm on patrol days')
    expect(again.content.equals(image.content)).toBe(true)
  })

  it('words an increase, and an interval across zero', () => {
    expect(describeEffect(0.25, 0.16, 0.33)).toBe('25% less harm on patrol days (95% CI 16% to 33%)')
    expect(describeEffect(-0.12, -0.2, -0.05)).toBe('12% more harm on patrol days (95% CI 5% to 20%)')
    expect(describeEffect(0.043, -0.375, 0.334)).toBe(
      '4% less harm on patrol days (95% CI 38% more to 33% less): not a clear difference',
    )
  })

  it('says when there is not enough data for an effect, with or without bars', async () => {
    // one patrol day: no SD, no effect; the bars are still drawn (the patrol arm without an interval)
    const oneDay = patrolRows({
      n_assigned_days: 1,
      sd_assigned: null,
      effect: null,
      effect_ci_low: null,
      effect_ci_high: null,
    })
    const image = await patrolImage(oneDay, 'Riverside: harm on patrol days')
    save('patrol-effect-not-enough', image)
    expect(pngSize(image.content).width).toBe(1200)
    expect(image.alt).toContain('6 on 1 patrol day and 8 on 25 other days (95% CI 6 to 10)')
    expect(image.alt).toContain('Not enough data yet to estimate the patrol effect')
    expect(await chartSvg(patrolEffectChart(oneDay, 'Riverside').spec)).toContain('Not enough data yet')
    // nothing at all: a message chart
    const nothing = await patrolImage([], 'All hotspots: harm on patrol days')
    expect(nothing.cid).toBe('patrol-all@hotspot')
    expect(pngSize(nothing.content).width).toBe(1200)
    expect(nothing.alt).toBe(
      'All hotspots: harm on patrol days. No trial days yet: the patrol effect is shown once there are at least 2 patrol days and 2 other days.',
    )
    save('patrol-effect-nothing', nothing)
  })
})
