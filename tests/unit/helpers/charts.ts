import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { CHART_PNG_WIDTH } from '../../../functions/core/reports/charts/layout.ts'
import { chartRasteriser } from '../../../functions/core/reports/charts/rasterise.ts'
import { padSvgToWidth } from '../../../functions/core/reports/charts/render.ts'
import type { InlineImage } from '../../../functions/core/reports/model.ts'

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/charts/', import.meta.url))

/** The rasteriser the CLI uses: the native addon here. */
export const rasterise = chartRasteriser()

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
export function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  expect(png.toString('latin1', 12, 16)).toBe('IHDR')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}

/** The PNG height a chart's SVG gives at 1200 px wide (the SVG padded to the 600 px layout first). */
export function expectedHeight(svg: string): number {
  const root = /^<svg\b[^>]*>/.exec(padSvgToWidth(svg))?.[0] ?? ''
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1])
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1])
  return Math.round((height * CHART_PNG_WIDTH) / width)
}

export async function nonWhitePixels(svg: string): Promise<number> {
  const { pixels } = await rasterise(svg)
  let count = 0
  for (let i = 0; i < pixels.length; i += 4) {
    if ((pixels[i] ?? 255) < 250 || (pixels[i + 1] ?? 255) < 250 || (pixels[i + 2] ?? 255) < 250) count += 1
  }
  return count
}

/** Keeps a chart under tests/artifacts/charts/ for a person to look at (ignored by git). */
export function save(name: string, image: InlineImage): void {
  mkdirSync(ARTIFACTS, { recursive: true })
  writeFileSync(path.join(ARTIFACTS, `${name}.png`), image.content)
}
