import type { TopLevelSpec } from 'vega-lite'
import { describe, expect, it } from 'vitest'
import { chartSvg, renderChart } from '../../../functions/core/reports/charts/render.ts'
import { expectedHeight, nonWhitePixels, pngSize, rasterise } from '../helpers/charts.ts'

describe('charts: the shared rendering path', () => {
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

  it('renders a spec to an inline PNG 1200 px wide, and refuses a cid that is not printable ASCII', async () => {
    const spec = {
      width: 300,
      height: 100,
      data: { values: [{ a: 'x', b: 1 }] },
      mark: 'bar',
      encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
    } as TopLevelSpec
    const image = await renderChart(
      { spec, alt: 'A bar', cid: 'bar@hotspot', filename: 'bar.png' },
      rasterise,
    )
    expect(image).toMatchObject({ cid: 'bar@hotspot', filename: 'bar.png', alt: 'A bar' })
    expect(pngSize(image.content)).toEqual({ width: 1200, height: expectedHeight(await chartSvg(spec)) })
    await expect(
      renderChart({ spec, alt: 'A bar', cid: 'bär@hotspot', filename: 'bar.png' }, rasterise),
    ).rejects.toThrow(/ASCII/)
    await expect(
      renderChart({ spec, alt: 'A bar', cid: 'a b@hotspot', filename: 'bar.png' }, rasterise),
    ).rejects.toThrow(/ASCII/)
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
})
