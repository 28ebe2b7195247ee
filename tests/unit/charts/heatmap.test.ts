import { describe, expect, it } from 'vitest'
import { heatmapChart, outline } from '../../../functions/core/reports/charts/heatmap.ts'
import { chartSvg, renderChart } from '../../../functions/core/reports/charts/render.ts'
import type { MartRow } from '../../../functions/core/reports/model.ts'
import { HEATMAP, NAMES } from '../../fixtures/chart-rows.ts'
import { expectedHeight, pngSize, rasterise, save } from '../helpers/charts.ts'

const heatmapImage = (cells: MartRow[], names: Record<string, string>) =>
  renderChart(heatmapChart(cells, names), rasterise)

describe('charts: heat map of harm by 25 m cell', () => {
  it('maps each hotspot with its name, its outline, and a shared harm scale', async () => {
    const image = await heatmapImage(HEATMAP, NAMES)
    save('heatmap', image)
    const warnings: string[] = []
    const svg = await chartSvg(heatmapChart(HEATMAP, NAMES).spec, warnings)
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
