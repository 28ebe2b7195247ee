import { describe, expect, it } from 'vitest'
import { chartRasteriser } from '../../../functions/core/reports/charts/rasterise.ts'
import { chartSvg, padSvgToWidth } from '../../../functions/core/reports/charts/render.ts'
import { weeklyHarmChart } from '../../../functions/core/reports/charts/weekly-harm.ts'
import { SIX_MONTHS } from '../../fixtures/chart-rows.ts'
import { pngSize } from '../helpers/charts.ts'

describe('rasterisers', () => {
  it('loads the WebAssembly module from the file it is given, as the Lambda bundle ships it (before any other: it loads once per process)', async () => {
    const draw = chartRasteriser({ engine: 'wasm', wasmFile: '/nonexistent/resvg.wasm' })
    await expect(draw('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')).rejects.toThrow(
      /ENOENT.*\/nonexistent\/resvg\.wasm/,
    )
  })

  it('the WebAssembly build (used where the native addon cannot load) draws byte-identical PNGs', async () => {
    const svg = padSvgToWidth(await chartSvg(weeklyHarmChart(SIX_MONTHS, 'Rasteriser check').spec))
    const native = await chartRasteriser({ engine: 'native' })(svg)
    const wasm = await chartRasteriser({ engine: 'wasm' })(svg)
    expect(pngSize(native.png)).toEqual({ width: 1200, height: native.height })
    expect(wasm.png.equals(native.png)).toBe(true)
  })
})
