import { beforeAll, describe, expect, it } from 'vitest'
import { heatmapChart } from '../../../functions/core/reports/charts/heatmap.ts'
import { chartSvg, padSvgToWidth, renderChart } from '../../../functions/core/reports/charts/render.ts'
import { measureText } from '../../../functions/core/reports/charts/text.ts'
import { weeklyHarmChart } from '../../../functions/core/reports/charts/weekly-harm.ts'
import type { InlineImage, MartRow } from '../../../functions/core/reports/model.ts'
import { HEATMAP, SIX_MONTHS, weeks } from '../../fixtures/chart-rows.ts'
import { expectedHeight, pngSize, rasterise, save } from '../helpers/charts.ts'

const harmImage = (rows: MartRow[], name: string) => renderChart(weeklyHarmChart(rows, name), rasterise)

describe('charts: weekly harm against the seasonal baseline band', () => {
  let image: InlineImage
  beforeAll(async () => {
    image = await harmImage(SIX_MONTHS, 'Market Square')
    save('weekly-harm', image)
  })

  it('is a 1200 px PNG of the 26 weeks, named for the hotspot', async () => {
    const { spec } = weeklyHarmChart(SIX_MONTHS, 'Market Square')
    const warnings: string[] = []
    const svg = await chartSvg(spec, warnings)
    expect(warnings).toEqual([])
    expect(pngSize(image.content)).toEqual({ width: 1200, height: expectedHeight(svg) })
    expect(image.cid).toBe('harm-HS-01@hotspot')
    expect(svg).toContain('Market Square: weekly harm')
    expect(svg).toContain('Latest week 9 Nov to 15 Nov 2026: 200 harm days, above the usual range.')
  })

  it('says the latest week in words: its harm, its crimes, and where it stands against the band', () => {
    // band: 100 ± 2 x 20 = 60 .. 140; the weeks range from 80 (the first) to 200 (the last)
    expect(image.alt).toBe(
      'Line chart of weekly harm (crime harm index days) at Market Square, 26 weeks from 18 May 2026 to ' +
        '15 Nov 2026, ranging from 80 to 200. Latest week (9 Nov to 15 Nov 2026): 200 harm days from 7 crimes, ' +
        'above the usual range for the time of year (seasonal baseline 60 to 140, mean 100).',
    )
    const latest = (harm: number, mean: number | null, sd: number | null) =>
      weeklyHarmChart(
        weeks([
          { harm: 10, mean, sd },
          { harm, mean, sd, crimes: 1 },
        ]),
        'X',
      ).alt
    expect(latest(140, 100, 20)).toContain('140 harm days from 1 crime, within the usual range')
    expect(latest(59.5, 100, 20)).toContain('59.5 harm days from 1 crime, below the usual range')
    // the band is floored at 0: 5 ± 2 x 10 is 0 .. 25, and nothing is below it
    expect(latest(0, 5, 10)).toContain(
      'within the usual range for the time of year (seasonal baseline 0 to 25, mean 5)',
    )
    expect(latest(12, null, null)).toContain('12 harm days from 1 crime, no seasonal baseline for that week')
  })

  it('shades the band only where a week has a baseline, and renders without one at all', async () => {
    const partial = weeks([{ harm: 5 }, { harm: 8, mean: 6, sd: 1 }, { harm: 7, mean: 6, sd: 1 }])
    expect(pngSize((await harmImage(partial, 'New Town')).content).width).toBe(1200)
    const none = await harmImage(weeks([{ harm: 0 }]), 'Quiet Lane')
    expect(none.alt).toContain('1 week from 18 May 2026 to 24 May 2026')
    expect(pngSize(none.content).width).toBe(1200)
    const empty = await harmImage([], 'Not Started')
    expect(empty.alt).toBe('Weekly harm at Not Started: no complete week to show yet.')
    expect(pngSize(empty.content).width).toBe(1200)
    save('weekly-harm-empty', empty)
  })

  it('wraps a title too long for the width instead of shrinking the chart', async () => {
    const name = 'The Very Long Named Neighbourhood Shopping Parade and Transport Interchange'
    const { spec } = weeklyHarmChart(SIX_MONTHS, name)
    const svg = await chartSvg(spec)
    expect(/^<svg\b[^>]*\swidth="600"/.test(svg)).toBe(true)
    // drawn as two lines (the full title is only in the aria-label)
    const firstLine = />(The Very Long[^<]*)</.exec(svg)?.[1]
    expect(firstLine).toBeDefined()
    expect(firstLine).not.toContain('weekly harm')
    expect(measureText(firstLine ?? '', 20, true)).toBeLessThanOrEqual(568)
    const map = await chartSvg(heatmapChart(HEATMAP, { H1: name, H2: 'B' }).spec)
    expect(/^<svg\b[^>]*\swidth="600"/.test(padSvgToWidth(map))).toBe(true)
  })

  it('gives the same PNG bytes for the same rows, whatever their order', async () => {
    const again = await harmImage([...SIX_MONTHS].reverse(), 'Market Square')
    expect(again.content.equals(image.content)).toBe(true)
  })
})
