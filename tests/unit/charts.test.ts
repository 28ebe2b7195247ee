import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Resvg } from '@resvg/resvg-js'
import type { TopLevelSpec } from 'vega-lite'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  CHART_FONT_FILES,
  CHART_PNG_WIDTH,
  chartCid,
  chartFilename,
  chartSvg,
  describeEffect,
  heatmapImage,
  heatmapImageParts,
  measureText,
  outline,
  padSvgToWidth,
  patrolEffectChart,
  patrolEffectChartParts,
  rasterise,
  renderChart,
  weeklyHarmChart,
  weeklyHarmChartParts,
} from '../../functions/core/reports/charts.ts'
import type { InlineImage, MartRow } from '../../functions/core/reports/model.ts'

const ARTIFACTS = fileURLToPath(new URL('../artifacts/charts/', import.meta.url))

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  expect(png.toString('latin1', 12, 16)).toBe('IHDR')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}

/** The PNG height a chart's SVG gives at 1200 px wide (the SVG padded to the 600 px layout first). */
function expectedHeight(svg: string): number {
  const root = /^<svg\b[^>]*>/.exec(padSvgToWidth(svg))?.[0] ?? ''
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1])
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1])
  return Math.round((height * CHART_PNG_WIDTH) / width)
}

async function nonWhitePixels(svg: string): Promise<number> {
  const { pixels } = await rasterise(svg)
  let count = 0
  for (let i = 0; i < pixels.length; i += 4) {
    if ((pixels[i] ?? 255) < 250 || (pixels[i + 1] ?? 255) < 250 || (pixels[i + 2] ?? 255) < 250) count += 1
  }
  return count
}

function save(name: string, image: InlineImage): void {
  mkdirSync(ARTIFACTS, { recursive: true })
  writeFileSync(path.join(ARTIFACTS, `${name}.png`), image.content)
}

// --- fixtures -------------------------------------------------------------------------------------------------

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)
}

/** scorecard_weekly rows of one hotspot: week i starts 18 May 2026 + 7i days. */
function weeks(
  values: { harm: number; mean?: number | null; sd?: number | null; crimes?: number }[],
): MartRow[] {
  return values.map((v, i) => {
    const weekStart = addDays('2026-05-18', 7 * i)
    return {
      hotspot_id: 'HS-01',
      week_start: weekStart,
      week_end: addDays(weekStart, 6),
      crime_count: v.crimes ?? 3,
      harm: v.harm,
      baseline_harm_mean: v.mean ?? null,
      baseline_harm_sd: v.sd ?? null,
    }
  })
}

/** 26 weeks: harm 80 .. 130 against a band of 100 ± 2 x 20 (60 .. 140); the last week 200, above it. */
const SIX_MONTHS = weeks([
  ...Array.from({ length: 25 }, (_, i) => ({ harm: 80 + 2 * i, mean: 100, sd: 20 })),
  { harm: 200, mean: 100, sd: 20, crimes: 7 },
])

function patrolRows(harm: Partial<MartRow>, scope = 'HS-02'): MartRow[] {
  const base = {
    scope,
    n_assigned_days: 16,
    n_unassigned_days: 25,
    weights_version: 'w',
  }
  return [
    // the count row is not drawn: only harm
    {
      ...base,
      outcome: 'count',
      mean_assigned: 1,
      mean_unassigned: 2,
      sd_assigned: 1,
      sd_unassigned: 1,
      effect: 0.5,
      effect_ci_low: 0.1,
      effect_ci_high: 0.7,
    },
    {
      ...base,
      outcome: 'harm',
      mean_assigned: 6,
      mean_unassigned: 8,
      sd_assigned: 4,
      sd_unassigned: 5,
      effect: 0.25,
      effect_ci_low: 0.1,
      effect_ci_high: 0.38,
      ...harm,
    },
  ]
}

/** hotspot_heatmap rows: H1 a 2 x 2 square from (1000, 2000), H2 an L of 3 cells from (5000, 5000). */
const heatCell = (
  hotspotId: string,
  x: number,
  y: number,
  inHotspot: boolean,
  harm: number,
  crimes: number,
) => ({
  hotspot_id: hotspotId,
  cell_x: x,
  cell_y: y,
  in_hotspot: inHotspot,
  harm,
  crime_count: crimes,
})
const HEATMAP: MartRow[] = [
  heatCell('H1', 1000, 2000, true, 120, 1),
  heatCell('H1', 1000, 2001, true, 0, 1),
  heatCell('H1', 1001, 2000, true, 10, 1),
  heatCell('H1', 1001, 2001, true, 30, 1),
  heatCell('H1', 995, 1995, false, 40, 2),
  heatCell('H1', 1004, 2003, false, 0, 1),
  heatCell('H2', 5000, 5000, true, 5, 1),
  heatCell('H2', 5001, 5000, true, 0, 1),
  heatCell('H2', 5000, 5001, true, 0, 1),
  heatCell('H2', 5006, 5006, false, 300, 1),
]
const NAMES = { H1: 'Market Square', H2: 'Station Road <b>&</b> "Co"' }

// --- tests ----------------------------------------------------------------------------------------------------

describe('charts: the shared rendering path', () => {
  it('bundles the fonts it renders with', () => {
    expect(CHART_FONT_FILES.map((f) => path.basename(f))).toEqual(['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'])
  })

  it('draws text with the bundled font: a chart with words has more ink than the same chart without', async () => {
    const spec = (words: string) =>
      ({
        width: 500,
        height: 80,
        config: { font: 'DejaVu Sans' },
        data: { values: [{ words }] },
        mark: { type: 'text', fontSize: 28, align: 'left' },
        encoding: { text: { field: 'words', type: 'nominal' }, x: { value: 0 }, y: { value: 40 } },
      }) as TopLevelSpec
    const withWords = await chartSvg(spec('Weekly harm at Market Square, above the usual range'))
    const without = await chartSvg(spec(''))
    expect(withWords).toContain('font-family="DejaVu Sans"')
    // if resvg had no font, the text would draw nothing and the two would be the same
    expect(await nonWhitePixels(withWords)).toBeGreaterThan((await nonWhitePixels(without)) + 2000)
  })

  it('measures text as resvg draws it, so vega lays titles and labels out to fit', () => {
    for (const [text, size, bold] of [
      ['Market Square: weekly harm', 20, true],
      ['25% less harm on patrol days (95% CI 16% to 33%).', 14, false],
      ['Usual range (seasonal mean ± 2 SD)', 13, false],
    ] as const) {
      const svg =
        `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="60"><text x="10" y="40" ` +
        `font-family="DejaVu Sans" font-size="${size}" font-weight="${bold ? 'bold' : 'normal'}">${text}</text></svg>`
      const drawn = new Resvg(svg, {
        font: { fontFiles: [...CHART_FONT_FILES], loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
      }).getBBox()
      // the ink box is a little narrower than the advances (side bearings) and kerning only narrows
      expect(drawn?.width).toBeGreaterThan(measureText(text, size, bold) * 0.95)
      expect(drawn?.width).toBeLessThanOrEqual(measureText(text, size, bold))
    }
  })

  it('renders a spec to an inline PNG 1200 px wide, and refuses a cid that is not printable ASCII', async () => {
    const spec = {
      width: 300,
      height: 100,
      data: { values: [{ a: 'x', b: 1 }] },
      mark: 'bar',
      encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
    } as TopLevelSpec
    const image = await renderChart(spec, 'A bar', 'bar@hotspot', 'bar.png')
    expect(image).toMatchObject({ cid: 'bar@hotspot', filename: 'bar.png', alt: 'A bar' })
    expect(pngSize(image.content)).toEqual({ width: 1200, height: expectedHeight(await chartSvg(spec)) })
    await expect(renderChart(spec, 'A bar', 'bär@hotspot', 'bar.png')).rejects.toThrow(/ASCII/)
    await expect(renderChart(spec, 'A bar', 'a b@hotspot', 'bar.png')).rejects.toThrow(/ASCII/)
  })

  it('fails loudly on a spec vega cannot render', async () => {
    // a tick interval vega cannot use ('utcmonth'): it logs a TypeError from its dataflow rather than throwing it
    const broken = {
      data: { values: [{ t: 0 }, { t: 86_400_000 * 60 }] },
      mark: 'line',
      encoding: {
        x: {
          field: 't',
          type: 'temporal',
          scale: { type: 'utc' },
          axis: { tickCount: { interval: 'utcmonth', step: 1 } },
        },
      },
    } as unknown as TopLevelSpec
    await expect(chartSvg(broken)).rejects.toThrow(/chart failed to render: .*TypeError/)
  })

  it('names images with ASCII cids, distinct for distinct hotspot ids', () => {
    expect(chartCid('harm', 'HS-01')).toBe('harm-HS-01@hotspot')
    expect(chartCid('patrol', 'all')).toBe('patrol-all@hotspot')
    expect(chartCid('heatmap')).toBe('heatmap@hotspot')
    expect(chartFilename('harm', 'HS-01')).toBe('harm-HS-01.png')
    const odd = ['HS 01', 'HS_01', 'HS/01', 'Hé<1>']
    const cids = odd.map((id) => chartCid('harm', id))
    expect(new Set(cids).size).toBe(odd.length)
    for (const cid of cids) expect(cid).toMatch(/^[A-Za-z0-9._@-]+$/)
    expect(chartCid('harm', 'Hé<1>')).toBe('harm-H_C3_A9_3C1_3E@hotspot')
  })
})

describe('charts: weekly harm against the seasonal baseline band', () => {
  let image: InlineImage
  beforeAll(async () => {
    image = await weeklyHarmChart(SIX_MONTHS, 'Market Square')
    save('weekly-harm', image)
  })

  it('is a 1200 px PNG of the 26 weeks, named for the hotspot', async () => {
    const { spec } = weeklyHarmChartParts(SIX_MONTHS, 'Market Square')
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
      weeklyHarmChartParts(
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
    expect(pngSize((await weeklyHarmChart(partial, 'New Town')).content).width).toBe(1200)
    const none = await weeklyHarmChart(weeks([{ harm: 0 }]), 'Quiet Lane')
    expect(none.alt).toContain('1 week from 18 May 2026 to 24 May 2026')
    expect(pngSize(none.content).width).toBe(1200)
    const empty = await weeklyHarmChart([], 'Not Started')
    expect(empty.alt).toBe('Weekly harm at Not Started: no complete week to show yet.')
    expect(pngSize(empty.content).width).toBe(1200)
    save('weekly-harm-empty', empty)
  })

  it('wraps a title too long for the width instead of shrinking the chart', async () => {
    const name = 'The Very Long Named Neighbourhood Shopping Parade and Transport Interchange'
    const { spec } = weeklyHarmChartParts(SIX_MONTHS, name)
    const svg = await chartSvg(spec)
    expect(/^<svg\b[^>]*\swidth="600"/.test(svg)).toBe(true)
    // drawn as two lines (the full title is only in the aria-label)
    const firstLine = />(The Very Long[^<]*)</.exec(svg)?.[1]
    expect(firstLine).toBeDefined()
    expect(firstLine).not.toContain('weekly harm')
    expect(measureText(firstLine ?? '', 20, true)).toBeLessThanOrEqual(568)
    const map = await chartSvg(heatmapImageParts(HEATMAP, { H1: name, H2: 'B' }).spec)
    expect(/^<svg\b[^>]*\swidth="600"/.test(padSvgToWidth(map))).toBe(true)
  })

  it('gives the same PNG bytes for the same rows, whatever their order', async () => {
    const again = await weeklyHarmChart([...SIX_MONTHS].reverse(), 'Market Square')
    expect(again.content.equals(image.content)).toBe(true)
  })
})

describe('charts: patrol days against other days', () => {
  it('draws the harm outcome: means with 95% intervals, the effect and its CI in words', async () => {
    const rows = patrolRows({})
    const image = await patrolEffectChart(rows, 'Station Road: harm on patrol days')
    save('patrol-effect', image)
    const svg = await chartSvg(patrolEffectChartParts(rows, 'Station Road: harm on patrol days').spec)
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
    const again = await patrolEffectChart(rows, 'Station Road: harm on patrol days')
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
    const image = await patrolEffectChart(oneDay, 'Riverside: harm on patrol days')
    save('patrol-effect-not-enough', image)
    expect(pngSize(image.content).width).toBe(1200)
    expect(image.alt).toContain('6 on 1 patrol day and 8 on 25 other days (95% CI 6 to 10)')
    expect(image.alt).toContain('Not enough data yet to estimate the patrol effect')
    expect(await chartSvg(patrolEffectChartParts(oneDay, 'Riverside').spec)).toContain('Not enough data yet')
    // nothing at all: a message chart
    const nothing = await patrolEffectChart([], 'All hotspots: harm on patrol days')
    expect(nothing.cid).toBe('patrol-all@hotspot')
    expect(pngSize(nothing.content).width).toBe(1200)
    expect(nothing.alt).toBe(
      'All hotspots: harm on patrol days. No trial days yet: the patrol effect is shown once there are at least 2 patrol days and 2 other days.',
    )
    save('patrol-effect-nothing', nothing)
  })
})

describe('charts: heat map of harm by 25 m cell', () => {
  it('maps each hotspot with its name, its outline, and a shared harm scale', async () => {
    const image = await heatmapImage(HEATMAP, NAMES)
    save('heatmap', image)
    const warnings: string[] = []
    const svg = await chartSvg(heatmapImageParts(HEATMAP, NAMES).spec, warnings)
    expect(warnings).toEqual([])
    expect(pngSize(image.content)).toEqual({ width: 1200, height: expectedHeight(svg) })
    expect(image.cid).toBe('heatmap@hotspot')
    expect(svg).toContain('Market Square')
    // names are text, escaped in the SVG
    expect(svg).toContain('Station Road &lt;b&gt;&amp;&lt;/b&gt; "Co"')
    expect(svg).not.toContain('<b>')
    expect(svg).toContain('harm per square (days)')
    expect(image.alt).toBe(
      'Heat map of harm (crime harm index days) in 25 m squares over the last 28 days around 2 hotspots, ' +
        'each outlined. Market Square: 160 harm days from 4 crimes inside the hotspot and 40 days from 3 within ' +
        '150 m around it; the most harmful square had 120 days (inside the hotspot). ' +
        'Station Road <b>&</b> "Co": 5 harm days from 3 crimes inside the hotspot and 300 days from 1 within ' +
        '150 m around it; the most harmful square had 300 days (outside the hotspot).',
    )
    const again = await heatmapImage(HEATMAP, NAMES)
    expect(again.content.equals(image.content)).toBe(true)
  })

  it('draws one hotspot alone, and says when there is none', async () => {
    const one = await heatmapImage(
      HEATMAP.filter((r) => r.hotspot_id === 'H1'),
      { H1: 'Market Square' },
    )
    expect(pngSize(one.content).width).toBe(1200)
    expect(one.alt).toContain('around the hotspot, each outlined. Market Square: 160 harm days')
    save('heatmap-one', one)
    const none = await heatmapImage([], {})
    expect(pngSize(none.content).width).toBe(1200)
    expect(none.alt).toBe('Harm by 25 m square, last 28 days: no hotspot to map.')
  })

  it('outlines a set of cells with straight runs', () => {
    // a 2 x 2 square: 4 sides of length 2
    expect(
      outline([
        { x: 0, y: 0 },
        { x: 1, y: 0 },
        { x: 0, y: 1 },
        { x: 1, y: 1 },
      ]),
    ).toEqual([
      { x: 0, y: 0, x2: 2, y2: 0 },
      { x: 0, y: 2, x2: 2, y2: 2 },
      { x: 0, y: 0, x2: 0, y2: 2 },
      { x: 2, y: 0, x2: 2, y2: 2 },
    ])
    // an L of 3 cells: 6 sides
    expect(
      outline([
        { x: 0, y: 0 },
        { x: 1, y: 0 },
        { x: 0, y: 1 },
      ]),
    ).toEqual([
      { x: 0, y: 0, x2: 2, y2: 0 },
      { x: 1, y: 1, x2: 2, y2: 1 },
      { x: 0, y: 2, x2: 1, y2: 2 },
      { x: 0, y: 0, x2: 0, y2: 2 },
      { x: 1, y: 1, x2: 1, y2: 2 },
      { x: 2, y: 0, x2: 2, y2: 1 },
    ])
  })
})

describe('rasterisers', () => {
  it('the WebAssembly build (used where the native addon cannot load) draws byte-identical PNGs', async () => {
    const { execFileSync } = await import('node:child_process')
    const script = `
      import { renderChart, weeklyHarmChartParts } from './functions/core/reports/charts.ts'
      const rows = Array.from({ length: 8 }, (_, i) => ({ week_start: '2026-09-' + String(7 + i * 7).padStart(2, '0').replace('42','28').replace('49','28'), harm: 100 + i * 40, baseline_harm_mean: 150, baseline_harm_sd: 40, crime_count: 3 + i }))
      const parts = weeklyHarmChartParts(rows, 'Rasteriser check')
      const image = await renderChart(parts.spec, parts.alt, parts.cid, parts.filename)
      process.stdout.write(image.content.toString('base64'))`
    const run = (rasteriser: string) =>
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        env: { ...process.env, HOTSPOT_RASTERISER: rasteriser },
        encoding: 'utf8',
      })
    const native = run('native')
    const wasm = run('wasm')
    expect(Buffer.from(native, 'base64').subarray(0, 4).toString('hex')).toBe('89504e47')
    expect(wasm).toBe(native)
  }, 60_000)
})
