/**
 * The look every chart shares: 600 px wide (an email body) and rasterised at 1200 px (twice, for high-density
 * screens), DejaVu Sans at sizes readable when a phone scales the image down, the palette's chart colours; and
 * the text that vega does not wrap (titles, subtitles, messages), wrapped here to the width.
 */

import type { TopLevelSpec } from 'vega-lite'
import { CHART } from '../palette.ts'
import { CHART_FONT_FAMILY, measureText } from './text.ts'

/** Width of every chart as laid out (CSS px) and of its PNG (device px). */
export const CHART_LAYOUT_WIDTH = 600
export const CHART_PNG_WIDTH = 1200

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json'

export const BASE_CONFIG = {
  font: CHART_FONT_FAMILY,
  background: CHART.background,
  padding: 16,
  view: { stroke: null },
  title: {
    anchor: 'start',
    fontSize: 20,
    fontWeight: 'bold',
    color: CHART.ink,
    subtitleFontSize: 14,
    subtitleColor: CHART.muted,
    subtitlePadding: 6,
    offset: 14,
  },
  axis: {
    labelFontSize: 13,
    titleFontSize: 13,
    titleFontWeight: 'normal',
    labelColor: CHART.muted,
    titleColor: CHART.muted,
    gridColor: CHART.grid,
    domainColor: CHART.axis,
    tickColor: CHART.axis,
  },
  legend: {
    labelFontSize: 13,
    titleFontSize: 13,
    titleFontWeight: 'normal',
    labelColor: CHART.muted,
    titleColor: CHART.muted,
  },
} as const

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

export const titleLines = (text: string) => wrap(text, BASE_CONFIG.title.fontSize, true)
export const subtitleLines = (text: string) => wrap(text, BASE_CONFIG.title.subtitleFontSize)

/** A chart that says why there is nothing to draw. */
export function messageSpec(title: string, message: string): TopLevelSpec {
  const lines = wrap(message, 16, false, TEXT_WIDTH - 40)
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: BASE_CONFIG,
    width: CHART_LAYOUT_WIDTH - 2 * BASE_CONFIG.padding,
    height: 22 * lines.length,
    title: { text: titleLines(title) },
    data: { values: [{ line: lines }] },
    mark: { type: 'text', align: 'left', baseline: 'top', fontSize: 16, color: CHART.muted, lineHeight: 22 },
    encoding: {
      text: { field: 'line', type: 'nominal' },
      x: { value: 0 },
      y: { value: 0 },
    },
  } as TopLevelSpec
}
