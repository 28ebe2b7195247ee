/**
 * The report charts: vega-lite specs compiled to vega, rendered headless to SVG (renderer 'none'), then to PNG
 * with resvg using only the fonts bundled beside this file (DejaVu Sans), so a chart looks the same on a laptop
 * and in Lambda, and many mail clients (which strip SVG) show it inline.
 *
 * Every chart is laid out 600 px wide (the width of an email body) and rasterised at 1200 px (twice, for
 * high-density screens). Text is set in DejaVu Sans at sizes readable when a phone scales the image down.
 * The same input gives the same PNG bytes.
 */

import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { ResvgRenderOptions } from '@resvg/resvg-js'
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { formatHarm, formatNumber, formatShare } from './document/format.ts'
import type { InlineImage, MartRow } from './model.ts'

/** Width of every chart as laid out (CSS px) and of its PNG (device px). */
export const CHART_LAYOUT_WIDTH = 600
export const CHART_PNG_WIDTH = 1200

export const CHART_FONT_FAMILY = 'DejaVu Sans'
/** The bundled fonts (regular, bold); the Lambda bundle copies functions/core/reports/fonts/ beside it. */
export const CHART_FONT_FILES: readonly string[] = [
  fileURLToPath(new URL('./fonts/DejaVuSans.ttf', import.meta.url)),
  fileURLToPath(new URL('./fonts/DejaVuSans-Bold.ttf', import.meta.url)),
]

const INK = '#1a1a1a'
const MUTED = '#4a4a4a'
const HARM_COLOUR = '#c2410c'
const BAND_COLOUR = '#9ecae1'
const BASELINE_COLOUR = '#3b76b0'
const PATROL_COLOUR = '#2b6cb0'
const OTHER_COLOUR = '#9aa5b1'
const ZERO_CELL_COLOUR = '#f0f0f0'
const OUTLINE_COLOUR = '#111111'

/** Look shared by every chart: the bundled font, sizes for a 600 px layout read on a phone. */
const BASE_CONFIG = {
  font: CHART_FONT_FAMILY,
  background: 'white',
  padding: 16,
  view: { stroke: null },
  title: {
    anchor: 'start',
    fontSize: 20,
    fontWeight: 'bold',
    color: INK,
    subtitleFontSize: 14,
    subtitleColor: MUTED,
    subtitlePadding: 6,
    offset: 14,
  },
  axis: {
    labelFontSize: 13,
    titleFontSize: 13,
    titleFontWeight: 'normal',
    labelColor: MUTED,
    titleColor: MUTED,
    gridColor: '#e6e6e6',
    domainColor: '#9a9a9a',
    tickColor: '#9a9a9a',
  },
  legend: {
    labelFontSize: 13,
    titleFontSize: 13,
    titleFontWeight: 'normal',
    labelColor: MUTED,
    titleColor: MUTED,
  },
} as const

// ---------------------------------------------------------------------------------------------------------------
// rendering

/** What a chart needs before it is rendered: its spec, and what the email calls it. */
export interface ChartParts {
  spec: TopLevelSpec
  alt: string
  cid: string
  filename: string
}

let fontsChecked = false

/**
 * Advance widths of the bundled fonts, read from their own tables (cmap format 4, hmtx), so that vega lays text
 * out (title widths, label limits, legend sizes) as resvg will draw it. Without a canvas vega would guess 0.8 em
 * a character, which truncates labels and leaves blank margins. Kerning is ignored (it only narrows).
 */
class FontMetrics {
  private readonly advance: Uint16Array
  private readonly unitsPerEm: number
  private readonly segments: { start: number; end: number; delta: number; rangeOffset: number; at: number }[]
  private readonly glyphIds: DataView
  private readonly cache = new Map<string, number>()

  constructor(file: string) {
    const bytes = readFileSync(file)
    const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const tables = new Map<string, number>()
    const count = data.getUint16(4)
    for (let i = 0; i < count; i++) {
      const record = 12 + 16 * i
      tables.set(bytes.toString('latin1', record, record + 4), data.getUint32(record + 8))
    }
    const table = (tag: string) => {
      const offset = tables.get(tag)
      if (offset === undefined) throw new Error(`${file}: no ${tag} table`)
      return offset
    }
    this.unitsPerEm = data.getUint16(table('head') + 18)
    const metrics = data.getUint16(table('hhea') + 34)
    const hmtx = table('hmtx')
    this.advance = new Uint16Array(metrics)
    for (let i = 0; i < metrics; i++) this.advance[i] = data.getUint16(hmtx + 4 * i)
    const cmap = table('cmap')
    let subtable: number | undefined
    for (let i = 0; i < data.getUint16(cmap + 2); i++) {
      const record = cmap + 4 + 8 * i
      const platform = data.getUint16(record)
      const encoding = data.getUint16(record + 2)
      const at = cmap + data.getUint32(record + 4)
      if (data.getUint16(at) === 4 && ((platform === 3 && encoding === 1) || platform === 0)) subtable = at
    }
    if (subtable === undefined) throw new Error(`${file}: no Unicode BMP cmap`)
    const segCount = data.getUint16(subtable + 6) / 2
    const ends = subtable + 14
    const starts = ends + 2 * segCount + 2
    const deltas = starts + 2 * segCount
    const rangeOffsets = deltas + 2 * segCount
    this.segments = []
    for (let i = 0; i < segCount; i++) {
      this.segments.push({
        end: data.getUint16(ends + 2 * i),
        start: data.getUint16(starts + 2 * i),
        delta: data.getInt16(deltas + 2 * i),
        rangeOffset: data.getUint16(rangeOffsets + 2 * i),
        at: rangeOffsets + 2 * i,
      })
    }
    this.glyphIds = data
  }

  private glyph(code: number): number {
    if (code > 0xffff) return 0
    const segment = this.segments.find((s) => code <= s.end)
    if (!segment || code < segment.start) return 0
    if (segment.rangeOffset === 0) return (code + segment.delta) & 0xffff
    const id = this.glyphIds.getUint16(segment.at + segment.rangeOffset + 2 * (code - segment.start))
    return id === 0 ? 0 : (id + segment.delta) & 0xffff
  }

  /** Width of text at 1 px font size. */
  width(text: string): number {
    let total = 0
    for (const ch of text) {
      let w = this.cache.get(ch)
      if (w === undefined) {
        const glyph = this.glyph(ch.codePointAt(0) ?? 0)
        w = (this.advance[Math.min(glyph, this.advance.length - 1)] ?? 0) / this.unitsPerEm
        this.cache.set(ch, w)
      }
      total += w
    }
    return total
  }
}

let metrics: { regular: FontMetrics; bold: FontMetrics } | undefined

interface TextItem {
  text?: unknown
  fontSize?: number
  fontWeight?: string | number
  limit?: number
}

/** The width of text in the bundled font, in px (advance widths, no kerning). */
export function measureText(text: string, fontSize: number, bold = false): number {
  if (!metrics) {
    checkFonts()
    const [regular, boldFile] = CHART_FONT_FILES as [string, string]
    metrics = { regular: new FontMetrics(regular), bold: new FontMetrics(boldFile) }
  }
  return (bold ? metrics.bold : metrics.regular).width(text) * fontSize
}

let measuring = false

/**
 * Makes vega measure text with the bundled fonts (vega-scenegraph's textMetrics.width, the hook vl-convert
 * uses too: it is global to the process, which only draws these charts).
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

function checkFonts(): void {
  if (fontsChecked) return
  const missing = CHART_FONT_FILES.filter((file) => !existsSync(file))
  // resvg renders no text at all without a font: fail loudly instead of sending charts without words
  if (missing.length > 0)
    throw new Error(`chart fonts missing: ${missing.join(', ')} (bundle the fonts/ folder)`)
  fontsChecked = true
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
 * A vega-lite spec as SVG text (vega's headless SVG renderer, no canvas). Throws when vega-lite or vega reports
 * an error; warnings go to `warnings` when given (the tests require none), else nowhere.
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

/** resvg options: the bundled fonts only (no system font lookup), 1200 px wide, on white. */
function resvgOptions(): ResvgRenderOptions {
  checkFonts()
  return {
    font: {
      fontFiles: [...CHART_FONT_FILES],
      loadSystemFonts: false,
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
    },
    fitTo: { mode: 'width', value: CHART_PNG_WIDTH },
    background: 'white',
    logLevel: 'off',
  }
}

/** A rasterised chart: its PNG, and its raw pixels for checks. */
export interface RasterImage {
  png: Buffer
  pixels: Uint8Array
  width: number
  height: number
}

type Rasteriser = (svg: string) => Promise<RasterImage>

let rasteriser: Promise<Rasteriser> | undefined

/**
 * resvg's native addon where it loads (fast, and rasterising on libuv's thread pool, so charts rendered
 * concurrently use both cores), else its WebAssembly build: the same renderer, byte-identical PNGs (a test
 * checks), slower, but it runs anywhere, as in an arm64 Lambda bundle that ships no native addon.
 * `HOTSPOT_RASTERISER=wasm` chooses the WebAssembly build.
 */
function chooseRasteriser(): Promise<Rasteriser> {
  rasteriser ??= (async () => {
    checkFonts()
    const native =
      process.env.HOTSPOT_RASTERISER === 'wasm'
        ? undefined
        : await import('@resvg/resvg-js').catch(() => undefined)
    if (native) {
      return async (svg: string) => {
        const image = await native.renderAsync(svg, resvgOptions())
        return { png: image.asPng(), pixels: image.pixels, width: image.width, height: image.height }
      }
    }
    const wasm = await import('@resvg/resvg-wasm')
    const wasmFile =
      process.env.RESVG_WASM ?? createRequire(import.meta.url).resolve('@resvg/resvg-wasm/index_bg.wasm')
    await wasm.initWasm(readFileSync(wasmFile))
    const fontBuffers = CHART_FONT_FILES.map((file) => readFileSync(file))
    const { font, ...rest } = resvgOptions()
    return async (svg: string) => {
      const image = new wasm.Resvg(svg, {
        ...rest,
        font: {
          fontBuffers,
          defaultFontFamily: font?.defaultFontFamily,
          sansSerifFamily: font?.sansSerifFamily,
        },
      }).render()
      return {
        png: Buffer.from(image.asPng()),
        pixels: image.pixels,
        width: image.width,
        height: image.height,
      }
    }
  })()
  return rasteriser
}

/** Rasterises chart SVG to a 1200 px wide PNG with the bundled fonts. */
export async function rasterise(svg: string): Promise<RasterImage> {
  return (await chooseRasteriser())(svg)
}

/** The shared path: vega-lite spec -> SVG -> PNG, as an inline image of the email. */
export async function renderChart(
  spec: TopLevelSpec,
  alt: string,
  cid: string,
  filename: string,
): Promise<InlineImage> {
  if (!/^[\x21-\x7e]+$/.test(cid) || /[<>"\\]/.test(cid))
    throw new Error(`chart cid must be printable ASCII: ${cid}`)
  const svg = padSvgToWidth(await chartSvg(spec))
  return { cid, filename, content: (await rasterise(svg)).png, alt }
}

/**
 * Content ids: `<kind>-<key>@hotspot`, e.g. `harm-HS-01@hotspot`, `patrol-all@hotspot`, `heatmap@hotspot`. The key
 * (a hotspot id) is kept as is when it is letters, digits, '.' or '-'; any other character becomes `_XX` (its
 * UTF-8 bytes in hex), so the cid is ASCII and distinct keys give distinct cids.
 */
export function chartCid(kind: 'harm' | 'patrol' | 'heatmap', key?: string): string {
  return key === undefined ? `${kind}@hotspot` : `${kind}-${safeKey(key)}@hotspot`
}

/** The attachment file name of a chart: `<kind>-<key>.png`. */
export function chartFilename(kind: 'harm' | 'patrol' | 'heatmap', key?: string): string {
  return key === undefined ? `${kind}.png` : `${kind}-${safeKey(key)}.png`
}

function safeKey(key: string): string {
  let out = ''
  for (const ch of key) {
    if (/^[A-Za-z0-9.-]$/.test(ch)) out += ch
    else
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `_${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out || '_'
}

// ---------------------------------------------------------------------------------------------------------------
// words and numbers

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `2026-11-09` -> `9 Nov 2026` (or `9 Nov` without the year). */
export function formatDate(day: string, withYear = true): string {
  const [y, m, d] = day.split('-').map(Number)
  const text = `${d} ${MONTHS[(m ?? 1) - 1]}`
  return withYear ? `${text} ${y}` : text
}

function num(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

/** The width text may take: the layout less the padding. */
const TEXT_WIDTH = CHART_LAYOUT_WIDTH - 2 * BASE_CONFIG.padding

/**
 * Splits text into lines no wider than `width` px in the bundled font, at spaces (vega draws an array of
 * strings as lines). Titles and subtitles are not wrapped by vega, and one too wide would shrink the chart.
 */
export function wrap(text: string, fontSize: number, bold = false, width = TEXT_WIDTH): string[] {
  const lines: string[] = []
  let line = ''
  // at ordinary spaces only: a no-break space keeps "25 m" together
  for (const word of text.split(/[ \t\n]+/).filter(Boolean)) {
    if (line && measureText(`${line} ${word}`, fontSize, bold) > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}

const titleLines = (text: string) => wrap(text, BASE_CONFIG.title.fontSize, true)
const subtitleLines = (text: string) => wrap(text, BASE_CONFIG.title.subtitleFontSize)

/** A chart that says why there is nothing to draw. */
function messageSpec(title: string, message: string): TopLevelSpec {
  const lines = wrap(message, 16, false, TEXT_WIDTH - 40)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: BASE_CONFIG,
    width: CHART_LAYOUT_WIDTH - 2 * BASE_CONFIG.padding,
    height: 22 * lines.length,
    title: { text: titleLines(title) },
    data: { values: [{ line: lines }] },
    mark: { type: 'text', align: 'left', baseline: 'top', fontSize: 16, color: MUTED, lineHeight: 22 },
    encoding: {
      text: { field: 'line', type: 'nominal' },
      x: { value: 0 },
      y: { value: 0 },
    },
  } as TopLevelSpec
}

// ---------------------------------------------------------------------------------------------------------------
// weekly harm against the seasonal baseline band

interface HarmWeek {
  /** week_start at 00:00 UTC, ms (plotted on a UTC time scale: no host time zone involved) */
  t: number
  week_start: string
  week_end: string
  harm: number
  crimes: number | null
  mean: number | null
  low: number | null
  high: number | null
}

function harmWeeks(rows: MartRow[]): HarmWeek[] {
  return rows
    .map((row): HarmWeek => {
      const weekStart = String(row.week_start)
      const mean = num(row.baseline_harm_mean)
      const sd = num(row.baseline_harm_sd)
      const band = mean !== null && sd !== null
      return {
        t: Date.parse(`${weekStart}T00:00:00Z`),
        week_start: weekStart,
        week_end: String(row.week_end ?? weekStart),
        harm: num(row.harm) ?? 0,
        crimes: num(row.crime_count),
        mean: band ? mean : null,
        low: band ? Math.max(0, mean - 2 * sd) : null,
        high: band ? mean + 2 * sd : null,
      }
    })
    .sort((a, b) => a.t - b.t)
}

type BandPosition = 'above' | 'within' | 'below' | 'none'

function bandPosition(week: HarmWeek): BandPosition {
  if (week.low === null || week.high === null) return 'none'
  if (week.harm > week.high) return 'above'
  if (week.harm < week.low) return 'below'
  return 'within'
}

function bandWords(week: HarmWeek): string {
  const position = bandPosition(week)
  if (position === 'none' || week.low === null || week.high === null || week.mean === null)
    return 'no seasonal baseline for that week (it needs 3 years of history)'
  const range = `${formatHarm(week.low)} to ${formatHarm(week.high)}`
  const where =
    position === 'above'
      ? 'above the usual range'
      : position === 'below'
        ? 'below the usual range'
        : 'within the usual range'
  return `${where} for the time of year (seasonal baseline ${range}, mean ${formatHarm(week.mean)})`
}

/** The weekly harm chart before rendering (see weeklyHarmChart). */
export function weeklyHarmChartParts(rows: MartRow[], hotspotName: string): ChartParts {
  const weeks = harmWeeks(rows)
  const key = rows[0]?.hotspot_id
  const cid = chartCid('harm', key === undefined || key === null ? hotspotName : String(key))
  const filename = chartFilename('harm', key === undefined || key === null ? hotspotName : String(key))
  const title = `${hotspotName}: weekly harm`
  const latest = weeks.at(-1)
  const first = weeks[0]
  if (!latest || !first) {
    return {
      spec: messageSpec(
        title,
        'No complete week of the programme yet: the chart starts after its first week.',
      ),
      alt: `Weekly harm at ${hotspotName}: no complete week to show yet.`,
      cid,
      filename,
    }
  }
  const latestWords = `${formatHarm(latest.harm)} harm days`
  const status = bandPosition(latest)
  const statusShort =
    status === 'none'
      ? 'no seasonal baseline yet'
      : status === 'within'
        ? 'within the usual range'
        : `${status} the usual range`
  const harms = weeks.map((w) => w.harm)
  const alt =
    `Line chart of weekly harm (crime harm index days) at ${hotspotName}, ${weeks.length} week${weeks.length === 1 ? '' : 's'} ` +
    `from ${formatDate(first.week_start)} to ${formatDate(latest.week_end)}, ranging from ` +
    `${formatHarm(Math.min(...harms))} to ${formatHarm(Math.max(...harms))}. ` +
    `Latest week (${formatDate(latest.week_start, false)} to ${formatDate(latest.week_end)}): ${latestWords}` +
    `${latest.crimes === null ? '' : ` from ${formatNumber(latest.crimes)} crime${latest.crimes === 1 ? '' : 's'}`}, ` +
    `${bandWords(latest)}.`
  const hasBand = weeks.some((w) => w.low !== null)
  // below the point when the line comes down to it (unless it is at 0), else above
  const previous = weeks.at(-2)
  const labelBelow = previous !== undefined && previous.harm > latest.harm && latest.harm > 0
  const topOfChart = Math.max(1, ...weeks.map((w) => Math.max(w.harm, w.high ?? 0)))
  const legendDomain = hasBand
    ? ['Harm per week', 'Usual range (seasonal mean ± 2 SD)', 'Seasonal mean']
    : ['Harm per week']
  const legendRange = hasBand ? [HARM_COLOUR, BAND_COLOUR, BASELINE_COLOUR] : [HARM_COLOUR]
  // one legend for the layers (each layer names its colour)
  const colour = (datum: string) => ({
    datum,
    type: 'nominal',
    scale: { domain: legendDomain, range: legendRange },
    legend: {
      orient: 'top',
      title: null,
      direction: 'horizontal',
      symbolType: 'square',
      symbolOpacity: 1,
      symbolStrokeWidth: 0,
      labelLimit: 400,
    },
  })
  const x = {
    field: 't',
    type: 'temporal',
    scale: { type: 'utc' },
    axis: {
      title: 'week starting',
      format: '%-d %b',
      labelAngle: 0,
      tickCount: { interval: 'month', step: 1 },
      grid: false,
    },
  }
  const layers: unknown[] = []
  if (hasBand) {
    layers.push(
      {
        mark: { type: 'area', opacity: 0.45, invalid: 'break-paths-filter-domains', interpolate: 'monotone' },
        encoding: {
          x,
          y: { field: 'low', type: 'quantitative' },
          y2: { field: 'high' },
          color: colour('Usual range (seasonal mean ± 2 SD)'),
        },
      },
      {
        mark: {
          type: 'line',
          strokeDash: [5, 4],
          strokeWidth: 1.5,
          invalid: 'break-paths-filter-domains',
          interpolate: 'monotone',
        },
        encoding: { x, y: { field: 'mean', type: 'quantitative' }, color: colour('Seasonal mean') },
      },
    )
  }
  layers.push(
    {
      mark: { type: 'line', strokeWidth: 2.5, point: { size: 30, filled: true } },
      encoding: {
        x,
        y: {
          field: 'harm',
          type: 'quantitative',
          axis: { title: 'harm (days)', format: ',d', tickCount: 5 },
          // headroom above the highest point for the latest week's label
          scale: { zero: true, nice: true, domainMax: topOfChart * 1.12 },
        },
        color: colour('Harm per week'),
      },
    },
    {
      transform: [{ filter: `datum.t === ${latest.t}` }],
      mark: { type: 'point', filled: true, size: 120, color: HARM_COLOUR, stroke: 'white', strokeWidth: 1.5 },
      encoding: { x, y: { field: 'harm', type: 'quantitative' } },
    },
    // the latest week's value beside its point, on the side the line does not come from, with a white halo
    ...[true, false].map((halo) => ({
      transform: [{ filter: `datum.t === ${latest.t}` }],
      mark: {
        type: 'text',
        align: 'right',
        baseline: labelBelow ? 'top' : 'bottom',
        dx: -7,
        dy: labelBelow ? 7 : -7,
        fontSize: 14,
        fontWeight: 'bold',
        color: halo ? 'white' : HARM_COLOUR,
        ...(halo ? { stroke: 'white', strokeWidth: 4, strokeJoin: 'round' } : {}),
      },
      encoding: { x, y: { field: 'harm', type: 'quantitative' }, text: { value: formatHarm(latest.harm) } },
    })),
  )
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: BASE_CONFIG,
    width: CHART_LAYOUT_WIDTH,
    height: 220,
    autosize: { type: 'fit-x', contains: 'padding' },
    title: {
      text: titleLines(title),
      subtitle: subtitleLines(
        `Latest week ${formatDate(latest.week_start, false)} to ${formatDate(latest.week_end)}: ${latestWords}, ${statusShort}.`,
      ),
    },
    data: { values: weeks },
    layer: layers,
  } as TopLevelSpec
  return { spec, alt, cid, filename }
}

/**
 * Weekly harm of one hotspot (its scorecard_weekly rows, oldest first or not: they are sorted) as a line, over the
 * seasonal baseline band (baseline_harm_mean ± 2 × baseline_harm_sd, floored at 0) where the row has one.
 */
export async function weeklyHarmChart(rows: MartRow[], hotspotName: string): Promise<InlineImage> {
  const parts = weeklyHarmChartParts(rows, hotspotName)
  return renderChart(parts.spec, parts.alt, parts.cid, parts.filename)
}

// ---------------------------------------------------------------------------------------------------------------
// patrol days against other days

interface Arm {
  arm: string
  mean: number
  n: number
  low: number | null
  high: number | null
  label: string
}

function arm(name: string, mean: number | null, sd: number | null, n: number | null): Arm | null {
  if (mean === null || n === null || n < 1) return null
  const half = sd !== null && n >= 2 ? (1.96 * sd) / Math.sqrt(n) : null
  return {
    arm: name,
    mean,
    n,
    low: half === null ? null : Math.max(0, mean - half),
    high: half === null ? null : mean + half,
    label:
      half === null
        ? `${formatHarm(mean)} (${formatNumber(n)} day${n === 1 ? '' : 's'})`
        : `${formatHarm(mean)} (95% CI ${formatHarm(Math.max(0, mean - half))} to ${formatHarm(mean + half)})`,
  }
}

const pct = (x: number) => formatShare(Math.abs(x))

/**
 * The effect in words: `25% less harm on patrol days (95% CI 16% to 33%)`; `12% more harm ...`; an interval
 * across zero says both ends and that the difference is not clear.
 */
export function describeEffect(effect: number, low: number, high: number): string {
  const head = `${pct(effect)} ${effect >= 0 ? 'less' : 'more'} harm on patrol days`
  if (low >= 0) return `${head} (95% CI ${pct(low)} to ${pct(high)})`
  if (high <= 0) return `${head} (95% CI ${pct(high)} to ${pct(low)})`
  return `${head} (95% CI ${pct(low)} more to ${pct(high)} less): not a clear difference`
}

/** The patrol effect chart before rendering (see patrolEffectChart). */
export function patrolEffectChartParts(rows: MartRow[], title: string): ChartParts {
  const harm = rows.find((r) => r.outcome === 'harm')
  const scope = rows[0]?.scope
  const key = scope === undefined || scope === null ? 'all' : String(scope)
  const cid = chartCid('patrol', key)
  const filename = chartFilename('patrol', key)
  const patrol = harm
    ? arm('Patrol days', num(harm.mean_assigned), num(harm.sd_assigned), num(harm.n_assigned_days))
    : null
  const other = harm
    ? arm('Other days', num(harm.mean_unassigned), num(harm.sd_unassigned), num(harm.n_unassigned_days))
    : null
  const nA = num(harm?.n_assigned_days) ?? 0
  const nU = num(harm?.n_unassigned_days) ?? 0
  const effect = num(harm?.effect)
  const low = num(harm?.effect_ci_low)
  const high = num(harm?.effect_ci_high)
  const estimated = effect !== null && low !== null && high !== null
  const notYet =
    nA + nU === 0
      ? 'No trial days yet: the patrol effect is shown once there are at least 2 patrol days and 2 other days.'
      : `Not enough data yet to estimate the patrol effect: it needs at least 2 patrol days and 2 other days, ` +
        `with some harm on each (so far ${formatNumber(nA)} patrol day${nA === 1 ? '' : 's'} and ${formatNumber(nU)} other day${nU === 1 ? '' : 's'}).`
  if (!patrol || !other) {
    return {
      spec: messageSpec(title, notYet),
      alt: `${title}. ${notYet}`,
      cid,
      filename,
    }
  }
  const effectWords = estimated ? describeEffect(effect, low, high) : notYet
  const armWords = (a: Arm, what: string) =>
    `${formatHarm(a.mean)} on ${formatNumber(a.n)} ${a.n === 1 ? what.replace(/s$/, '') : what}` +
    (a.low === null || a.high === null ? '' : ` (95% CI ${formatHarm(a.low)} to ${formatHarm(a.high)})`)
  const alt =
    `Bar chart for ${title}: mean harm per hotspot-day was ${armWords(patrol, 'patrol days')} and ` +
    `${armWords(other, 'other days')}. ${effectWords}${estimated ? '.' : ''}`
  const arms = [patrol, other]
  const y = {
    field: 'arm',
    type: 'nominal',
    sort: null,
    axis: { title: null, labelFontSize: 14, labelColor: INK, labelPadding: 8, ticks: false, domain: false },
  }
  const maxX = Math.max(...arms.map((a) => a.high ?? a.mean))
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: BASE_CONFIG,
    width: CHART_LAYOUT_WIDTH,
    height: 130,
    autosize: { type: 'fit-x', contains: 'padding' },
    title: {
      text: titleLines(title),
      subtitle: [
        ...subtitleLines(`${effectWords}${estimated ? '.' : ''}`),
        'Mean harm per hotspot-day, with 95% intervals.',
      ],
    },
    data: { values: arms },
    encoding: { y },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.6 }, cornerRadiusEnd: 2 },
        encoding: {
          x: {
            field: 'mean',
            type: 'quantitative',
            // room on the right for the labels
            scale: { domain: [0, maxX * 1.6 || 1], nice: false },
            axis: { title: 'mean harm per hotspot-day (days)', format: ',d', tickCount: 5, grid: true },
          },
          color: {
            field: 'arm',
            type: 'nominal',
            scale: { domain: ['Patrol days', 'Other days'], range: [PATROL_COLOUR, OTHER_COLOUR] },
            legend: null,
          },
        },
      },
      {
        transform: [{ filter: 'datum.low != null' }],
        mark: { type: 'rule', strokeWidth: 2, color: INK },
        encoding: { x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } },
      },
      {
        transform: [{ filter: 'datum.low != null' }],
        mark: { type: 'tick', orient: 'vertical', thickness: 2, size: 14, color: INK },
        encoding: { x: { field: 'low', type: 'quantitative' } },
      },
      {
        transform: [{ filter: 'datum.low != null' }],
        mark: { type: 'tick', orient: 'vertical', thickness: 2, size: 14, color: INK },
        encoding: { x: { field: 'high', type: 'quantitative' } },
      },
      {
        transform: [{ calculate: 'datum.high != null ? datum.high : datum.mean', as: 'end' }],
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 8, fontSize: 13, color: INK },
        encoding: { x: { field: 'end', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      },
    ],
  } as TopLevelSpec
  return { spec, alt, cid, filename }
}

/**
 * Patrol days against other days for one scope (its patrol_effect rows; the 'harm' outcome is drawn): mean harm
 * per hotspot-day with 95% intervals (mean ± 1.96 sd / sqrt(n)), the effect and its CI in the subtitle. Without
 * an estimate (too few days, or no harm) it says so.
 */
export async function patrolEffectChart(rows: MartRow[], title: string): Promise<InlineImage> {
  const parts = patrolEffectChartParts(rows, title)
  return renderChart(parts.spec, parts.alt, parts.cid, parts.filename)
}

// ---------------------------------------------------------------------------------------------------------------
// heat map of harm by 25 m cell around a commander's hotspots

const CELL_M = 25
const MARGIN_CELLS = 6

interface HotspotMap {
  id: string
  name: string
  minX: number
  minY: number
  widthCells: number
  heightCells: number
  cells: { x: number; y: number; harm: number; crimes: number; inHotspot: boolean }[]
  /** the outline: cell edges between an own cell and a cell that is not, in cell units from (minX, minY) */
  edges: { x: number; y: number; x2: number; y2: number }[]
  insideHarm: number
  insideCrimes: number
  aroundHarm: number
  aroundCrimes: number
}

function hotspotMaps(cells: MartRow[], names: Record<string, string>): HotspotMap[] {
  const byHotspot = new Map<string, MartRow[]>()
  for (const row of cells) {
    const id = String(row.hotspot_id)
    byHotspot.set(id, [...(byHotspot.get(id) ?? []), row])
  }
  // the commander's order (the names' order), then any other hotspot by id
  const ids = [
    ...Object.keys(names).filter((id) => byHotspot.has(id)),
    ...[...byHotspot.keys()].filter((id) => !(id in names)).sort(),
  ]
  return ids.map((id) => {
    const rows = (byHotspot.get(id) ?? []).map((r) => ({
      x: Number(r.cell_x),
      y: Number(r.cell_y),
      harm: num(r.harm) ?? 0,
      crimes: num(r.crime_count) ?? 0,
      inHotspot: r.in_hotspot === true,
    }))
    const own = rows.filter((c) => c.inHotspot)
    // the mart's map is the own cells' bounding box and 6 cells around it (every own cell has a row)
    const frame = own.length > 0 ? own : rows
    const minX = Math.min(...frame.map((c) => c.x)) - MARGIN_CELLS
    const maxX = Math.max(...frame.map((c) => c.x)) + MARGIN_CELLS
    const minY = Math.min(...frame.map((c) => c.y)) - MARGIN_CELLS
    const maxY = Math.max(...frame.map((c) => c.y)) + MARGIN_CELLS
    const inFrame = rows.filter((c) => c.x >= minX && c.x <= maxX && c.y >= minY && c.y <= maxY)
    const edges = outline(own.map((c) => ({ x: c.x - minX, y: c.y - minY })))
    const sum = (list: typeof rows, f: (c: (typeof rows)[number]) => number) =>
      list.reduce((s, c) => s + f(c), 0)
    const around = inFrame.filter((c) => !c.inHotspot)
    return {
      id,
      name: names[id] ?? id,
      minX,
      minY,
      widthCells: maxX - minX + 1,
      heightCells: maxY - minY + 1,
      cells: inFrame,
      edges,
      insideHarm: sum(own, (c) => c.harm),
      insideCrimes: sum(own, (c) => c.crimes),
      aroundHarm: sum(around, (c) => c.harm),
      aroundCrimes: sum(around, (c) => c.crimes),
    }
  })
}

/**
 * The boundary of a set of unit cells: every cell side with no cell of the set across it, joined into straight
 * runs (so the outline has no joints to show at cell corners).
 */
export function outline(
  cells: { x: number; y: number }[],
): { x: number; y: number; x2: number; y2: number }[] {
  const set = new Set(cells.map((c) => `${c.x},${c.y}`))
  const has = (x: number, y: number) => set.has(`${x},${y}`)
  // horizontal sides by the y of the line, vertical sides by the x of the line: unit steps to join
  const horizontal = new Map<number, number[]>()
  const vertical = new Map<number, number[]>()
  const add = (map: Map<number, number[]>, line: number, at: number) =>
    map.set(line, [...(map.get(line) ?? []), at])
  for (const { x, y } of cells) {
    if (!has(x, y - 1)) add(horizontal, y, x)
    if (!has(x, y + 1)) add(horizontal, y + 1, x)
    if (!has(x - 1, y)) add(vertical, x, y)
    if (!has(x + 1, y)) add(vertical, x + 1, y)
  }
  const runs = (steps: number[]): [number, number][] => {
    const sorted = [...new Set(steps)].sort((a, b) => a - b)
    const out: [number, number][] = []
    for (const step of sorted) {
      const last = out.at(-1)
      if (last && last[1] === step) last[1] = step + 1
      else out.push([step, step + 1])
    }
    return out
  }
  const edges: { x: number; y: number; x2: number; y2: number }[] = []
  for (const [y, xs] of [...horizontal].sort((a, b) => a[0] - b[0]))
    for (const [from, to] of runs(xs)) edges.push({ x: from, y, x2: to, y2: y })
  for (const [x, ys] of [...vertical].sort((a, b) => a[0] - b[0]))
    for (const [from, to] of runs(ys)) edges.push({ x, y: from, x2: x, y2: to })
  return edges
}

function mapAlt(maps: HotspotMap[]): string {
  const parts = maps.map((m) => {
    const top = [...m.cells].sort((a, b) => b.harm - a.harm || a.x - b.x || a.y - b.y)[0]
    const topWords =
      top && top.harm > 0
        ? `; the most harmful square had ${formatHarm(top.harm)} days (${top.inHotspot ? 'inside' : 'outside'} the hotspot)`
        : ''
    return (
      `${m.name}: ${formatHarm(m.insideHarm)} harm days from ${formatNumber(m.insideCrimes)} ` +
      `crime${m.insideCrimes === 1 ? '' : 's'} inside the hotspot and ${formatHarm(m.aroundHarm)} days from ` +
      `${formatNumber(m.aroundCrimes)} within 150 m around it${topWords}`
    )
  })
  return (
    `Heat map of harm (crime harm index days) in 25 m squares over the last 28 days around ` +
    `${maps.length === 1 ? 'the hotspot' : `${maps.length} hotspots`}, each outlined. ${parts.join('. ')}.`
  )
}

/** The heat map before rendering (see heatmapImage). */
export function heatmapImageParts(cells: MartRow[], hotspotNames: Record<string, string>): ChartParts {
  const maps = hotspotMaps(cells, hotspotNames)
  const cid = chartCid('heatmap')
  const filename = chartFilename('heatmap')
  const title = 'Harm by 25 m square, last 28 days'
  if (maps.length === 0) {
    return {
      spec: messageSpec(title, 'No hotspot to map.'),
      alt: `${title}: no hotspot to map.`,
      cid,
      filename,
    }
  }
  const columns = maps.length === 1 ? 1 : maps.length <= 4 ? 2 : 3
  const spacing = 28
  const available = CHART_LAYOUT_WIDTH - 2 * BASE_CONFIG.padding - (columns - 1) * spacing
  const widest = Math.max(...maps.map((m) => m.widthCells))
  const tallest = Math.max(...maps.map((m) => m.heightCells))
  // one square size for every panel (the maps share a scale), no map taller than about 400 px
  const cellPx = Math.max(
    4,
    Math.min(Math.floor(available / columns / widest), Math.floor(400 / tallest), 22),
  )
  const maxHarm = Math.max(1, ...maps.flatMap((m) => m.cells.map((c) => c.harm)))
  // a panel's title may be as wide as its column (the widest map in it): wider would push the next column right
  const titleWidth = (index: number) =>
    Math.max(...maps.filter((_, i) => i % columns === index % columns).map((m) => m.widthCells * cellPx))
  const panels = maps.map((m, index) => {
    const xScale = { domain: [0, m.widthCells * CELL_M], nice: false, zero: false }
    const yScale = { domain: [0, m.heightCells * CELL_M], nice: false, zero: false }
    const metres = (v: number) => v * CELL_M
    const harmCells = m.cells
      .filter((c) => c.harm > 0)
      .map((c) => ({
        x: metres(c.x - m.minX),
        x2: metres(c.x - m.minX + 1),
        y: metres(c.y - m.minY),
        y2: metres(c.y - m.minY + 1),
        harm: c.harm,
      }))
    return {
      width: m.widthCells * cellPx,
      height: m.heightCells * cellPx,
      title: {
        text: wrap(m.name, 15, true, titleWidth(index)),
        subtitle: wrap(
          `inside: ${formatHarm(m.insideHarm)} harm days, ${formatNumber(m.insideCrimes)} crime${m.insideCrimes === 1 ? '' : 's'}`,
          13,
          false,
          titleWidth(index),
        ),
        fontSize: 15,
        subtitleFontSize: 13,
        anchor: 'start',
        offset: 8,
      },
      layer: [
        {
          // the whole map: no harm
          data: { values: [{ x: 0, x2: metres(m.widthCells), y: 0, y2: metres(m.heightCells) }] },
          mark: { type: 'rect', color: ZERO_CELL_COLOUR, stroke: '#c8c8c8', strokeWidth: 1 },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: xScale, axis: null },
            x2: { field: 'x2' },
            y: { field: 'y', type: 'quantitative', scale: yScale, axis: null },
            y2: { field: 'y2' },
          },
        },
        {
          data: { values: harmCells },
          mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: xScale, axis: null },
            x2: { field: 'x2' },
            y: { field: 'y', type: 'quantitative', scale: yScale, axis: null },
            y2: { field: 'y2' },
            color: {
              field: 'harm',
              type: 'quantitative',
              scale: { type: 'sqrt', domain: [0, maxHarm], scheme: { name: 'orangered', extent: [0.15, 1] } },
              legend: {
                title: 'harm per square (days)',
                orient: 'bottom',
                direction: 'horizontal',
                gradientLength: 260,
                format: ',d',
                titleLimit: 400,
              },
            },
          },
        },
        {
          data: {
            values: m.edges.map((e) => ({
              x: metres(e.x),
              x2: metres(e.x2),
              y: metres(e.y),
              y2: metres(e.y2),
            })),
          },
          mark: { type: 'rule', color: OUTLINE_COLOUR, strokeWidth: 2.5, strokeCap: 'square' },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: xScale, axis: null },
            x2: { field: 'x2' },
            y: { field: 'y', type: 'quantitative', scale: yScale, axis: null },
            y2: { field: 'y2' },
          },
        },
      ],
    }
  })
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { ...BASE_CONFIG, concat: { spacing } },
    title: {
      text: titleLines(title),
      subtitle: subtitleLines(
        'Black outline: the hotspot. Map 150\u00a0m around it; north is up; each square is 25\u00a0m.',
      ),
    },
    columns,
    concat: panels,
    resolve: { scale: { color: 'shared', x: 'independent', y: 'independent' } },
  } as TopLevelSpec
  return { spec, alt: mapAlt(maps), cid, filename }
}

/**
 * Heat map of harm by 25 m cell (hotspot_heatmap rows of a commander's hotspots): one map per hotspot, at one
 * shared square size and colour scale, north up, the hotspot's own cells outlined, each map titled with the
 * hotspot's name. Maps are drawn side by side rather than on one canvas: a commander's hotspots can be
 * kilometres apart, where 25 m squares would vanish.
 */
export async function heatmapImage(
  cells: MartRow[],
  hotspotNames: Record<string, string>,
): Promise<InlineImage> {
  const parts = heatmapImageParts(cells, hotspotNames)
  return renderChart(parts.spec, parts.alt, parts.cid, parts.filename)
}
