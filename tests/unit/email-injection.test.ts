import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { beforeAll, describe, expect, it } from 'vitest'
import { HeaderInjectionError } from '../../functions/core/reports/mail-headers.ts'
import type { InlineImage, MartRow, Period, RenderedEmail } from '../../functions/core/reports/model.ts'
import { renderWeeklyScorecard, scorecardSubject } from '../../functions/core/reports/weekly/document.ts'
import type { ScorecardHotspot } from '../../functions/core/reports/weekly/figures.ts'
import {
  COMMANDER,
  PERIOD,
  scorecardImages,
  scorecardInput,
  scorecardRows,
} from './helpers/scorecard-input.ts'

/**
 * The injection corpus against the weekly scorecard. Hostile text arrives through data (hotspot names and
 * boroughs from the register, tip categories from the tips feed, chart alt texts made from names) and must come
 * out as text; headers must refuse line breaks; CSV cells must not run as formulas. The golden files in
 * tests/fixtures/injection are written by hand.
 */

const GOLDEN = path.resolve(import.meta.dirname, '../fixtures/injection')
const golden = (name: string) => readFileSync(path.join(GOLDEN, name), 'utf8').replace(/\n$/, '').split('\n')

const SCRIPT = '<script>alert(1)</script>'
const IMG = '"><img src=x onerror=alert(1)>'
const AMP = "Tom &amp; Jerry's"
const FORMULA = '=HYPERLINK("http://evil.example","click")'

const HOSTILE_HOTSPOTS: ScorecardHotspot[] = [
  { id: 'HS-01', name: SCRIPT, borough: 'Bow & <i>Arrow</i>' },
  { id: 'HS-02', name: IMG, borough: '</div></td></tr></table>' },
  { id: 'HS-03', name: `${AMP} Yard`, borough: '' },
]

function tipSource(source: string, received: number): MartRow {
  return {
    month: '2026-11-01',
    group_type: 'source_type',
    group_value: source,
    received,
    actioned_within_48h: 1,
    share_actioned_within_48h: 1 / received,
    interventions: 0,
    arrests: 0,
  }
}

/** Fragments of the HTML: each match's first group, or the whole match without one. */
const fragments = (html: string, pattern: RegExp) => [...html.matchAll(pattern)].map((m) => m[1] ?? m[0])

describe('HTML: hostile names, boroughs, alt texts and tip categories come out escaped', () => {
  let email: RenderedEmail
  beforeAll(async () => {
    const rows = scorecardRows()
    rows.tips_monthly = [
      tipSource(SCRIPT, 9),
      tipSource(IMG, 8),
      tipSource(AMP, 7),
      tipSource(FORMULA, 6),
      tipSource('youth_worker', 5),
    ]
    email = await renderWeeklyScorecard(
      scorecardInput({
        commander: { ...COMMANDER, hotspotIds: ['HS-01', 'HS-02', 'HS-03'] },
        hotspots: HOSTILE_HOTSPOTS,
        rows,
        images: scorecardImages(HOSTILE_HOTSPOTS),
      }),
    )
  })

  it('summary titles match the golden file', () => {
    expect(fragments(email.html, /<strong>HS-\d\d [^<]*<\/strong>/g)).toEqual(golden('summary-titles.html'))
  })

  it('hotspot headings match the golden file', () => {
    expect(fragments(email.html, /<div\s+style="[^"]*font-size:19px;[^"]*"\s*>([^<]*)<\/div>/g)).toEqual(
      golden('headings.html'),
    )
  })

  it('borough lines match the golden file', () => {
    expect(fragments(email.html, /<div\s+style="[^"]*"\s*>(Week 46: [^<]*)<\/div>/g).slice(1)).toEqual(
      golden('subtitles.html'),
    )
  })

  it('image alt texts match the golden file', () => {
    expect(fragments(email.html, /<img\b[^>]*\balt="([^"]*)"/g)).toEqual(golden('image-alts.html'))
  })

  it('tip categories match the golden file', () => {
    const table = email.html.slice(email.html.indexOf('Tips by source, all areas'))
    expect(fragments(table, /<tr><td style="[^"]*">([^<]*)<\/td>/g)).toEqual(golden('tip-sources.html'))
  })

  it('no markup from the data survives anywhere in the HTML', () => {
    expect(email.html).not.toMatch(/<script/i)
    // an onerror attribute: look at the tags with their (escaped, so quote-free) attribute values blanked
    expect(email.html.replace(/"[^"]*"/g, '""')).not.toMatch(/<[^>]*\bonerror\b/i)
    expect(email.html).not.toMatch(/<img src=x/i)
    expect(email.html).not.toContain('<i>Arrow')
    expect(email.html).not.toContain(AMP) // double-escaped: &amp;amp;
    // the only <img> tags are the charts given
    expect(email.html.match(/<img\b/g)).toHaveLength(email.inlineImages.length)
    // the title and the hidden preview text are escaped too
    expect(email.html).toMatch(/<title>[^<]*<\/title>/)
    expect(email.html).toContain('HS-01 &lt;script&gt;alert(1)&lt;/script&gt;: 7 crimes, harm 958 days')
  })

  it('the plain-text part carries the names as written (it is not HTML)', () => {
    expect(email.text).toContain(`- HS-01 ${SCRIPT}: 7 crimes`)
    expect(email.text).toContain(`- HS-03 ${AMP} Yard: no figures for this week`)
    expect(email.text).toContain(`- ${FORMULA}: Received 6;`)
  })
})

describe('headers: CR and LF are refused', () => {
  const cases: [string, () => Parameters<typeof renderWeeklyScorecard>[0]][] = [
    [
      'CRLF in the commander name',
      () => scorecardInput({ commander: { ...COMMANDER, name: 'Ada\r\nBcc: x@evil.example' } }),
    ],
    ['LF in the commander name', () => scorecardInput({ commander: { ...COMMANDER, name: 'Ada\nOkafor' } })],
    ['CR in the commander name', () => scorecardInput({ commander: { ...COMMANDER, name: 'Ada\rOkafor' } })],
    [
      'CRLF in the commander address',
      () =>
        scorecardInput({ commander: { ...COMMANDER, email: 'ada@force.example\r\nBcc: x@evil.example' } }),
    ],
    [
      'CRLF in the subject (through the period label)',
      () => scorecardInput({ period: { ...PERIOD, label: 'Week 46\r\nBcc: x@evil.example' } as Period }),
    ],
    [
      'CRLF in an image content id',
      () =>
        scorecardInput({
          images: [{ ...(scorecardImages()[0] as InlineImage), cid: 'harm-HS-01@hotspot\r\nX-Evil: 1' }],
        }),
    ],
  ]
  for (const [name, input] of cases) {
    it(`${name}: throws`, async () => {
      await expect(renderWeeklyScorecard(input())).rejects.toThrow(HeaderInjectionError)
    })
  }

  it('the subject builder refuses a line break', () => {
    expect(() => scorecardSubject(PERIOD, 'Ada\r\nBcc: x@evil.example')).toThrow(HeaderInjectionError)
    expect(scorecardSubject(PERIOD, 'Ada Okafor')).toBe(
      'Hotspot scorecard: Week 46, 9 to 15 November 2026 (Ada Okafor)',
    )
  })

  it('an attachment name is made of safe characters whatever the commander key', async () => {
    const email = await renderWeeklyScorecard(
      scorecardInput({ commander: { ...COMMANDER, key: 'CMD/../"evil" name' } }),
    )
    expect(email.attachments[0]?.filename).toBe('scorecard-CMD_..__evil__name-2026-W46.csv')
  })
})

describe('CSV: cells that would run as formulas get a single quote in front', () => {
  const names = [FORMULA, '+1+2', '-2+3', '@SUM(A1)', '\tTab', '\rCarriage return']
  const hotspots = names.map((name, i) => ({ id: `HS-0${i + 1}`, name, borough: '' }))
  let csv: string
  beforeAll(async () => {
    const email = await renderWeeklyScorecard(
      scorecardInput({
        commander: { ...COMMANDER, hotspotIds: hotspots.map((h) => h.id) },
        hotspots,
        images: scorecardImages(hotspots),
      }),
    )
    csv = String(email.attachments[0]?.content)
  })

  it('the lines of the week match the golden file', () => {
    const lines = csv
      .split('\r\n')
      .filter(
        (line) =>
          /^HS-0[1-5],/.test(line) &&
          line.includes(',crimes,2026-W46,') &&
          line.includes(',same week last year,'),
      )
    expect(lines).toEqual(golden('formula-names.csv'))
  })

  it('every hostile name, CR included, reads back with the quote', () => {
    const records = parse(csv, { columns: true }) as Record<string, string>[]
    const read = new Set(records.map((r) => r.hotspot_name))
    for (const name of names) expect(read, JSON.stringify(name)).toContain(`'${name}`)
    for (const record of records) {
      for (const cell of Object.values(record)) {
        // a text cell starting with a formula character: only negative numbers may start with '-'
        if (/^[=+@\t\r]/.test(cell) || (/^-/.test(cell) && !/^-\d+(\.\d+)?$/.test(cell))) {
          throw new Error(`unsafe cell ${JSON.stringify(cell)}`)
        }
      }
    }
    // numbers stay numbers: the 28-day change of HS-01 is -7.1, not '-7.1
    expect(
      records.find(
        (r) => r.hotspot_id === 'HS-01' && r.period === '2026-10-19 to 2026-11-15' && r.measure === 'crimes',
      )?.pct_change,
    ).toBe('-7.1')
  })
})
