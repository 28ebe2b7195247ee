import path from 'node:path'
import { Resvg } from '@resvg/resvg-js'
import { describe, expect, it } from 'vitest'
import { CHART_FONT_FILES, measureText } from '../../../functions/core/reports/charts/text.ts'

describe('chart text: the bundled fonts, measured with opentype.js', () => {
  it('bundles the fonts it renders with', () => {
    expect(CHART_FONT_FILES.map((f) => path.basename(f))).toEqual(['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'])
  })

  it("gives each character its advance from the font's own tables, no kerning", () => {
    // read by hand from the files (table directory, cmap format 4 for the glyph, hmtx for its advance), at 2048
    // units per em. Regular: A (glyph 36) 1401, W (58) 2025, i (76) 569, space (3) 651, minus U+2212 (3229) 1716.
    // Bold: A 1585, W 2259, i 702, % (8) 2052. At a font size of 2048 px a width is in font units.
    expect(measureText('AWi', 2048)).toBe(1401 + 2025 + 569)
    expect(measureText('A W\u2212i', 2048)).toBe(1401 + 651 + 2025 + 1716 + 569)
    expect(measureText('AWi%', 2048, true)).toBe(1585 + 2259 + 702 + 2052)
    // "AV" kerns in DejaVu Sans; the measure is the plain sum, as vega's own estimate would be
    expect(measureText('AV', 20)).toBeCloseTo(measureText('A', 20) + measureText('V', 20), 12)
    expect(measureText('Wi', 13)).toBeCloseTo(((2025 + 569) / 2048) * 13, 12)
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
})
