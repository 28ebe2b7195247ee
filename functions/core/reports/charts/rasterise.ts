/**
 * Chart SVG to PNG with resvg and the bundled fonts only (no system font lookup), so a chart looks the same on a
 * laptop and in Lambda, and mail clients that strip SVG show it inline.
 */

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { ResvgRenderOptions } from '@resvg/resvg-js'
import { CHART } from '../palette.ts'
import { CHART_PNG_WIDTH } from './layout.ts'
import { CHART_FONT_FAMILY, CHART_FONT_FILES, checkChartFonts } from './text.ts'

/** A rasterised chart: its PNG, and its raw pixels for checks. */
export interface RasterImage {
  png: Buffer
  pixels: Uint8Array
  width: number
  height: number
}

/** SVG to a 1200 px wide PNG on white. */
export type Rasteriser = (svg: string) => Promise<RasterImage>

/** Which resvg build draws the charts; the caller's choice (the reports Lambda's config, the CLI). */
export interface RasteriserOptions {
  /**
   * 'native' (the default): resvg's native addon where it loads (fast, and rasterising on libuv's thread pool, so
   * charts rendered concurrently use both cores), else its WebAssembly build, as in the arm64 Lambda bundle that
   * ships no native addon. 'wasm': the WebAssembly build only. Both draw byte-identical PNGs (a test checks).
   */
  engine?: 'native' | 'wasm'
  /** resvg's WebAssembly module; by default the installed package's (a bundle ships its own copy beside it). */
  wasmFile?: string
}

/** resvg options: the bundled fonts only, 1200 px wide, on white. */
function resvgOptions(): ResvgRenderOptions {
  return {
    font: {
      fontFiles: [...CHART_FONT_FILES],
      loadSystemFonts: false,
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
    },
    fitTo: { mode: 'width', value: CHART_PNG_WIDTH },
    background: CHART.background,
    logLevel: 'off',
  }
}

async function nativeRasteriser(): Promise<Rasteriser | undefined> {
  const native = await import('@resvg/resvg-js').catch(() => undefined)
  if (!native) return undefined
  return async (svg) => {
    const image = await native.renderAsync(svg, resvgOptions())
    return { png: image.asPng(), pixels: image.pixels, width: image.width, height: image.height }
  }
}

/**
 * resvg-wasm refuses a second initialisation: the module is initialised once per process, from the first file
 * that loads.
 */
let wasmModule: Promise<typeof import('@resvg/resvg-wasm')> | undefined

async function wasmRasteriser(wasmFile: string | undefined): Promise<Rasteriser> {
  wasmModule ??= (async () => {
    const wasm = await import('@resvg/resvg-wasm')
    const file = wasmFile ?? createRequire(import.meta.url).resolve('@resvg/resvg-wasm/index_bg.wasm')
    await wasm.initWasm(readFileSync(file))
    return wasm
  })().catch((error: unknown) => {
    wasmModule = undefined
    throw error
  })
  const wasm = await wasmModule
  const fontBuffers = CHART_FONT_FILES.map((file) => readFileSync(file))
  const { font, ...rest } = resvgOptions()
  return async (svg) => {
    const image = new wasm.Resvg(svg, {
      ...rest,
      font: {
        fontBuffers,
        defaultFontFamily: font?.defaultFontFamily,
        sansSerifFamily: font?.sansSerifFamily,
      },
    }).render()
    return { png: Buffer.from(image.asPng()), pixels: image.pixels, width: image.width, height: image.height }
  }
}

/**
 * A rasteriser that loads its resvg build on first use (so a caller makes it at start-up for nothing), once.
 */
export function chartRasteriser(options: RasteriserOptions = {}): Rasteriser {
  let loaded: Promise<Rasteriser> | undefined
  return async (svg) => {
    loaded ??= (async () => {
      checkChartFonts()
      const native = options.engine === 'wasm' ? undefined : await nativeRasteriser()
      return native ?? wasmRasteriser(options.wasmFile)
    })()
    return (await loaded)(svg)
  }
}
