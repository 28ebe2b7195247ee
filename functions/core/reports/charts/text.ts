/**
 * The charts' font, DejaVu Sans (regular and bold, in ./fonts/ beside this module; the Lambda bundle ships that
 * folder beside itself), and the width of text set in it, which vega needs to lay titles and labels out as resvg
 * will draw them.
 */

import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Font, parse } from 'opentype.js/dist/opentype.mjs'

export const CHART_FONT_FAMILY = 'DejaVu Sans'

/** The bundled fonts: regular, bold. */
export const CHART_FONT_FILES: readonly string[] = [
  fileURLToPath(new URL('./fonts/DejaVuSans.ttf', import.meta.url)),
  fileURLToPath(new URL('./fonts/DejaVuSans-Bold.ttf', import.meta.url)),
]

let fontsChecked = false

/** Fails loudly when a font is missing: resvg would draw the charts without a single word. */
export function checkChartFonts(): void {
  if (fontsChecked) return
  const missing = CHART_FONT_FILES.filter((file) => !existsSync(file))
  if (missing.length > 0)
    throw new Error(`chart fonts missing: ${missing.join(', ')} (bundle the charts/fonts/ folder)`)
  fontsChecked = true
}

/**
 * Advance widths of one font at 1 px, per character. Kerning and ligatures are left out (they only narrow text,
 * and opentype.js cannot apply DejaVu's glyph composition lookups): the widths are the sum of each character's
 * advance, as vega's own estimate sums a guess per character.
 */
class FontWidths {
  private readonly cache = new Map<string, number>()

  constructor(private readonly font: Font) {}

  static read(file: string): FontWidths {
    const bytes = readFileSync(file)
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    return new FontWidths(parse(buffer, { lowMemory: true }))
  }

  width(text: string): number {
    let total = 0
    for (const char of text) {
      let width = this.cache.get(char)
      if (width === undefined) {
        width = (this.font.charToGlyph(char).advanceWidth ?? 0) / this.font.unitsPerEm
        this.cache.set(char, width)
      }
      total += width
    }
    return total
  }
}

let widths: { regular: FontWidths; bold: FontWidths } | undefined

/** The width of text in the bundled font, in px (advance widths, no kerning). */
export function measureText(text: string, fontSize: number, bold = false): number {
  if (!widths) {
    checkChartFonts()
    const [regular, boldFile] = CHART_FONT_FILES as [string, string]
    widths = { regular: FontWidths.read(regular), bold: FontWidths.read(boldFile) }
  }
  return (bold ? widths.bold : widths.regular).width(text) * fontSize
}
