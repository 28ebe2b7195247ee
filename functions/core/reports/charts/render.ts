/**
 * The path every chart takes: vega-lite spec, compiled to vega, rendered headless to SVG (renderer 'none', no
 * canvas), widened to the layout width, then rasterised to PNG as an inline image of the email. The same spec
 * gives the same PNG bytes.
 */

import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { InlineImage } from '../model.ts'
import { CHART_LAYOUT_WIDTH } from './layout.ts'
import type { ChartParts } from './parts.ts'
import type { Rasteriser } from './rasterise.ts'
import { measureText } from './text.ts'

interface TextItem {
  text?: unknown
  fontSize?: number
  fontWeight?: string | number
  limit?: number
}

let measuring = false

/**
 * Makes vega measure text with the bundled fonts (vega-scenegraph's textMetrics.width, the hook vl-convert uses
 * too: it is global to the process, which only draws these charts). Without it vega guesses 0.8 em a character,
 * which truncates labels and leaves blank margins.
 */
function useFontMetrics(): void {
  if (measuring) return
  const textMetrics = (
    vega as unknown as { textMetrics: { width: (item: TextItem, text?: unknown) => number } }
  ).textMetrics
  textMetrics.width = (item: TextItem, text?: unknown) => {
    const weight = item.fontWeight
    const bold = weight === 'bold' || weight === 'bolder' || Number(weight) >= 600
    const width = measureText(String(text ?? '').trim(), item.fontSize ?? 11, bold)
    // a label with a limit is drawn truncated to it
    return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width
  }
  measuring = true
}

/**
 * Collects what vega-lite and vega log (vega logs errors raised in its dataflow instead of throwing them). Its
 * methods close over their arrays: vega calls them with itself as `this`.
 */
interface ChartLog {
  errors: string[]
  warnings: string[]
  logger: {
    level(value?: number): unknown
    error(...args: unknown[]): unknown
    warn(...args: unknown[]): unknown
    info(...args: unknown[]): unknown
    debug(...args: unknown[]): unknown
  }
}

function chartLog(): ChartLog {
  const errors: string[] = []
  const warnings: string[] = []
  let current = 2
  const logger: ChartLog['logger'] = {
    level: (value?: number) => {
      if (value === undefined) return current
      current = value
      return logger
    },
    error: (...args: unknown[]) => {
      errors.push(args.map(describe).join(' '))
      return logger
    },
    warn: (...args: unknown[]) => {
      warnings.push(args.map(describe).join(' '))
      return logger
    },
    info: () => logger,
    debug: () => logger,
  }
  return { errors, warnings, logger }
}

function describe(value: unknown): string {
  return value instanceof Error ? (value.stack ?? value.message) : String(value)
}

/**
 * A vega-lite spec as SVG text. Throws when vega-lite or vega reports an error; warnings go to `warnings` when
 * given (the tests require none), else nowhere.
 */
export async function chartSvg(spec: TopLevelSpec, warnings?: string[]): Promise<string> {
  const log = chartLog()
  const compiled = compile(spec, { logger: log.logger as never })
  useFontMetrics()
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none', logger: log.logger as never })
  try {
    const failed = () => new Error(`chart failed to render: ${log.errors.join('; ')}`)
    await view.runAsync()
    if (log.errors.length > 0) throw failed()
    const svg = await view.toSVG()
    if (log.errors.length > 0) throw failed()
    return svg
  } finally {
    view.finalize()
    warnings?.push(...log.warnings)
  }
}

/**
 * Widens an SVG narrower than the layout width to exactly that width (the drawing centred, white either side),
 * so that every chart's text comes out at the same size in its 1200 px PNG.
 */
export function padSvgToWidth(svg: string, width = CHART_LAYOUT_WIDTH): string {
  const root = /^<svg\b[^>]*>/.exec(svg)
  if (!root) return svg
  const tag = root[0]
  const w = /\swidth="([\d.]+)"/.exec(tag)
  const h = /\sheight="([\d.]+)"/.exec(tag)
  if (!w || !h) return svg
  const current = Number(w[1])
  if (!(current < width)) return svg
  const left = (width - current) / 2
  const padded = tag
    .replace(/\swidth="[\d.]+"/, ` width="${width}"`)
    .replace(/\sviewBox="[^"]*"/, ` viewBox="${-left} 0 ${width} ${h[1]}"`)
  return padded + svg.slice(tag.length)
}

/** A chart as an inline image of the email: its spec drawn to a 1200 px wide PNG. */
export async function renderChart(parts: ChartParts, rasterise: Rasteriser): Promise<InlineImage> {
  const { spec, alt, cid, filename } = parts
  if (!/^[\x21-\x7e]+$/.test(cid) || /[<>"\\]/.test(cid))
    throw new Error(`chart cid must be printable ASCII: ${cid}`)
  const svg = padSvgToWidth(await chartSvg(spec))
  return { cid, filename, content: (await rasterise(svg)).png, alt }
}
