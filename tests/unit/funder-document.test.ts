import { parse } from 'csv-parse/sync'
import mjml2html from 'mjml'
import { describe, expect, it } from 'vitest'
import { documentMjml } from '../../functions/core/reports/document/mjml.ts'
import {
  FUNDER_CSV_COLUMNS,
  funderReportDocument,
  renderFunderReport,
} from '../../functions/core/reports/funder/document.ts'
import { disclosedTables, funderFigures } from '../../functions/core/reports/funder/figures.ts'
import type { FunderReportInput } from '../../functions/core/reports/funder/tables.ts'
import { HeaderInjectionError } from '../../functions/core/reports/mail-headers.ts'
import type { InlineImage, MartRow, RenderedEmail } from '../../functions/core/reports/model.ts'
import { monthlyPeriod } from '../../functions/core/reports/periods.ts'
import { CONTROL_OWN, PROGRAMME_AS_OF, programmeGiven } from '../fixtures/displacement-programme.ts'
import { TestLake } from '../sql/harness.ts'

// --- hand-made mart rows ------------------------------------------------------------------------------------

const MONTH = '2026-10-01'
const LAST_YEAR = '2025-10-01'

const UNITS: Record<string, [string, string]> = {
  crime_count: ['crime', 'count'],
  crime_count_last_year: ['crime', 'count'],
  harm: ['crime', 'days'],
  serious_violence_count: ['crime', 'count'],
  visits: ['patrol', 'count'],
  patrol_minutes: ['patrol', 'minutes'],
  compliant_visits: ['patrol', 'count'],
  compliant_visit_pct: ['patrol', 'percent'],
  assigned_days: ['patrol', 'count'],
  assigned_days_compliant_pct: ['patrol', 'percent'],
  arrests: ['arrests', 'count'],
  searches: ['stop_search', 'count'],
  finds: ['stop_search', 'count'],
  find_rate: ['stop_search', 'rate'],
  tips_received: ['tips', 'count'],
  q_overall_pct_satisfied: ['satisfaction', 'percent'],
  q_overall_ci_low: ['satisfaction', 'percent'],
  q_overall_ci_high: ['satisfaction', 'percent'],
}

type Figure = number | null | [number | null, number, number] // value, or [value, numerator, denominator]

/** funder_monthly's change flag of a count against the same measure a year earlier (null when unknown). */
function flagOf(value: number | null, lastYear: Figure | undefined): string | null {
  if (value === null || typeof lastYear !== 'number') return null
  const z = 2 * (Math.sqrt(value) - Math.sqrt(lastYear))
  return z >= 3 ? 'up' : z <= -3 ? 'down' : 'no significant change'
}

function funderRows(
  month: string,
  breakdown: string,
  figures: Record<string, Figure>,
  lastYear: Record<string, Figure> = {},
): MartRow[] {
  return Object.entries(figures).map(([measure, figure]) => {
    const [section, unit] = UNITS[measure] as [string, string]
    const [value, numerator, denominator] = Array.isArray(figure) ? figure : [figure, null, null]
    const comparison = measure === 'crime_count' ? figures.crime_count_last_year : lastYear[measure]
    return {
      month,
      section,
      measure,
      breakdown,
      value,
      unit,
      numerator,
      denominator,
      weights_version: measure === 'harm' ? 'w-test' : null,
      flag: unit === 'count' && measure !== 'crime_count_last_year' ? flagOf(value, comparison) : null,
    }
  })
}

const PROGRAMME_NOW: Record<string, Figure> = {
  crime_count: 57,
  crime_count_last_year: 63,
  harm: 4321.5,
  serious_violence_count: 4, // <10: its change is withheld
  visits: 150,
  patrol_minutes: 1830.5,
  compliant_visits: 120,
  compliant_visit_pct: [80, 120, 150],
  assigned_days: 62,
  assigned_days_compliant_pct: [(100 * 55) / 62, 55, 62],
  arrests: 7, // <10
  searches: 40,
  finds: 6, // <10: the find rate goes with it
  find_rate: [6 / 40, 6, 40],
  tips_received: 0, // 0 is shown
  q_overall_pct_satisfied: [62.5, 5, 8], // 8 answers: withheld with its interval
  q_overall_ci_low: [30.57, 5, 8],
  q_overall_ci_high: [86.32, 5, 8],
}

const PROGRAMME_LAST_YEAR: Record<string, Figure> = {
  ...PROGRAMME_NOW,
  crime_count: 63,
  crime_count_last_year: null,
  harm: 5012.25,
  serious_violence_count: 12,
  arrests: 15,
  searches: 35,
  finds: 11,
  find_rate: [11 / 35, 11, 35],
  tips_received: 0,
}

/** Three hotspots: HS-C has 3 incidents (<10), so HS-B's 24 is withheld too (next smallest of the column). */
const HOTSPOTS: [string, number, number, number][] = [
  // id, incidents, same month last year, harm
  ['HS-A', 30, 33, 2000.25],
  ['HS-B', 24, 20, 2100],
  ['HS-C', 3, 10, 221.25],
]

function funderMonthly(): MartRow[] {
  const rows = [
    ...funderRows(MONTH, 'all', PROGRAMME_NOW, PROGRAMME_LAST_YEAR),
    ...funderRows(LAST_YEAR, 'all', PROGRAMME_LAST_YEAR),
  ]
  for (const [id, incidents, lastYear, harm] of HOTSPOTS) {
    rows.push(
      ...funderRows(MONTH, id, {
        ...PROGRAMME_NOW,
        crime_count: incidents,
        crime_count_last_year: lastYear,
        harm,
      }),
    )
  }
  return rows
}

const effectRow = (
  scope: string,
  outcome: string,
  n: [number, number],
  means: [number, number],
  e: number[],
) => ({
  scope,
  outcome,
  n_assigned_days: n[0],
  n_unassigned_days: n[1],
  mean_assigned: means[0],
  mean_unassigned: means[1],
  sd_assigned: 1,
  sd_unassigned: 1,
  effect: e[0] ?? null,
  effect_ci_low: e[1] ?? null,
  effect_ci_high: e[2] ?? null,
  weights_version: 'w-test',
})

const surveyRow = (
  question: string,
  nValid: number,
  nSatisfied: number,
  pct: number,
  ci: [number, number],
) => ({
  month: MONTH,
  group_type: 'all',
  group_value: 'all',
  question,
  // as of 31 October: 75 of October's surveys are still inside their 72 h window
  n_sent: 1273,
  n_open: 75,
  n_closed: 1198,
  n_responded: 390,
  response_rate: 390 / 1198,
  n_valid: nValid,
  n_satisfied: nSatisfied,
  pct_satisfied: pct,
  ci_low: ci[0],
  ci_high: ci[1],
  diff_vs_rest: null,
  diff_ci_low: null,
  diff_ci_high: null,
  median_hours_to_survey: 39.85,
  share_within_24h: 0.27,
})

const searchRow = (groupType: string, group: string, searches: number, finds: number, arrests: number) => ({
  month: MONTH,
  group_type: groupType,
  group_value: group,
  searches,
  finds,
  find_rate: searches ? finds / searches : null,
  arrests,
  arrest_rate: searches ? arrests / searches : null,
  disproportionality: null,
})

const weekRow = (week: string, arrests: number, lastYear: number | null, hotspot = 'all') => {
  const z = lastYear === null ? null : 2 * (Math.sqrt(arrests) - Math.sqrt(lastYear))
  return {
    hotspot_id: hotspot,
    week_start: week,
    arrests,
    arrests_last_year: lastYear,
    pct_change_last_year: lastYear ? (100 * (arrests - lastYear)) / lastYear : null,
    z_last_year: z,
    flag: z === null ? null : z >= 3 ? 'up' : z <= -3 ? 'down' : 'no significant change',
  }
}

/**
 * A dose_response row: per-day figures and their intervals as the mart gives them (worked by hand below from
 * the counts; the intervals are made up, the report prints them as given).
 */
const doseRow = (
  period: string,
  band: string,
  [days, crimes, harm]: [number, number, number],
  ci: [number, number, number, number] | null,
  assigned: [number, number] = [0, 0],
) => ({
  period,
  band,
  hotspot_days: days,
  crimes,
  crimes_per_day: crimes / days,
  crimes_ci_low: ci?.[0] ?? null,
  crimes_ci_high: ci?.[1] ?? null,
  harm,
  harm_per_day: harm / days,
  harm_ci_low: ci?.[2] ?? null,
  harm_ci_high: ci?.[3] ?? null,
  assigned_days: assigned[0],
  assigned_days_at_target: assigned[1],
  share_assigned_at_target: assigned[0] ? assigned[1] / assigned[0] : null,
  weights_version: 'w-test',
})

/**
 * Presence bands since September (of September, only what the report reads: a band with presence, and all).
 * October: one to nine minutes has 4 hotspot-days (<10): withheld as a whole,
 * its 12 crimes too; 17 to 30 minutes has 6 crimes (<10) and loses its 35 hotspot-days as the next smallest of
 * the column; over 30 minutes has no row (0 hotspot-days). Every month: every band shown.
 */
const DOSE_RESPONSE = [
  doseRow('all', '0', [250, 61, 812.5], [0.19, 0.3, 2.1, 4.4]),
  doseRow('all', '1-9', [30, 12, 96], [0.2, 0.6, 1.1, 5.3]),
  doseRow('all', '10-16', [130, 20, 310], [0.09, 0.22, 1.3, 3.47]),
  doseRow('all', '17-30', [70, 15, 141.4], [0.1, 0.33, 0.8, 3.2]),
  doseRow('all', 'over 30', [12, 0, 0], [0, 0, 0, 0]),
  doseRow('all', 'all', [492, 108, 1359.9], [0.18, 0.26, 2.2, 3.32], [130, 101]),
  doseRow('2026-09', '10-16', [70, 9, 90], [0.05, 0.21, 0.4, 2.17], [50, 50]),
  doseRow('2026-09', 'all', [273, 49, 600], [0.12, 0.24, 1.5, 2.9], [68, 55]),
  doseRow('2026-10', '0', [120, 30, 400], [0.16, 0.34, 1.2, 5.46]),
  doseRow('2026-10', '1-9', [4, 12, 60], [0, 7.1, 0, 40.3]),
  doseRow('2026-10', '10-16', [60, 11, 220.2], [0.08, 0.29, 1.75, 5.59]),
  doseRow('2026-10', '17-30', [35, 6, 78.3], [0.04, 0.3, 0.3, 4.17]),
  doseRow('2026-10', 'all', [219, 59, 758.5], [0.2, 0.34, 2.1, 4.83], [62, 46]),
]

const FUNDER = {
  key: 'funder-1',
  name: 'Example Trust',
  email: 'grants@example.org',
  kind: 'funder' as const,
  hotspotIds: [],
}

function input(overrides: Partial<FunderReportInput> = {}): FunderReportInput {
  return {
    funder: FUNDER,
    period: monthlyPeriod('2026-10'),
    force: 'Demo Constabulary',
    rows: {
      funder_monthly: funderMonthly(),
      patrol_effect: [
        effectRow('all', 'count', [400, 600], [0.45, 0.58], [0.229, 0.168, 0.285]),
        effectRow('all', 'harm', [400, 600], [44.12, 59.34], [0.2571, 0.1102, 0.3811]),
        effectRow('all', 'serious_violence_harm', [400, 600], [23.03, 30.49], [0.2448, 0.1039, 0.3636]),
        // a hotspot's own effect, over few days: not in the funder report
        effectRow('HS-C', 'harm', [8, 7], [61.11, 3.33], [-17.33, -40.01, -2.22]),
      ],
      displacement: [
        {
          hotspot_id: 'HS-C',
          clear_from: '2025-11-17',
          before_from: '2025-08-25',
          after_to: '2026-02-08',
          rb: 6,
          ra: 4,
          db: 3,
          da: 2,
          cb: 520,
          ca: 491,
          wdq: 0.4444,
          tne: 2.222,
          wdd: -1,
          wdd_se: 11.11,
        },
        {
          hotspot_id: 'all',
          clear_from: null,
          before_from: '2025-08-25',
          after_to: '2026-02-08',
          rb: 1106,
          ra: 785,
          db: 447,
          da: 347,
          // the control areas once, as for HS-C: (785 - 1106) - (491 - 520) = -292, sqrt(785 + 1106 + 491 + 520)
          cb: 520,
          ca: 491,
          wdq: 0.2894,
          tne: 334.39,
          wdd: -292,
          wdd_se: 53.87,
        },
      ],
      victim_satisfaction_monthly: [
        surveyRow('q_overall', 371, 253, 68.19, [63.29, 72.73]),
        surveyRow('q_ease', 371, 287, 77.36, [72.83, 81.32]),
        surveyRow('q_actions', 6, 4, 66.67, [30, 90.32]), // 6 answers: withheld
        surveyRow('q_informed', 373, 201, 53.89, [48.81, 58.88]),
        surveyRow('q_treatment', 373, 279, 74.8, [70.16, 78.94]),
        {
          ...surveyRow('q_overall', 3, 2, 66.67, [20.77, 93.85]),
          group_type: 'age_band',
          group_value: '16-24',
        },
      ],
      stop_search_monthly: [
        searchRow('all', 'all', 776, 213, 118),
        searchRow('ethnicity', 'Asian', 141, 38, 14),
        searchRow('ethnicity', 'Black', 265, 57, 34),
        searchRow('ethnicity', 'Mixed', 10, 2, 3), // finds and arrests <10
        searchRow('ethnicity', 'White', 335, 107, 55),
        searchRow('ethnicity', 'Not stated', 25, 9, 12), // arrests 12: withheld (next smallest beside Mixed's 3)
        searchRow('hotspot', 'HS-C', 2, 1, 1),
        searchRow('object_of_search', 'Firearms', 4, 1, 1),
      ],
      arrests_weekly: [
        weekRow('2026-09-28', 5, 4),
        weekRow('2026-10-05', 3, 11),
        weekRow('2026-10-12', 12, 10),
        weekRow('2026-10-19', 0, 0),
        weekRow('2026-10-26', 15, 14),
        weekRow('2026-10-12', 2, 1, 'HS-C'),
      ],
      dose_response: DOSE_RESPONSE,
    },
    ...overrides,
  }
}

// --- reading the outputs --------------------------------------------------------------------------------------

const MONTH_NAMES = 'January|February|March|April|May|June|July|August|September|October|November|December'

/** The text a reader sees in the HTML: no head, styles, comments (Outlook conditionals) or tags; entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<head[\s\S]*?<\/head>/i, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
}

/**
 * Every standalone integer from 1 to 9 in a text: after removing dates (2026-10-05, 2026-10, 5 October 2026,
 * 5 October), a run of digits (with thousands commas) that is not part of a decimal, a percentage, or a word
 * (w-1a2b), is a standalone integer. The report prints no such number except a count, so none may be 1 to 9.
 */
function smallIntegers(text: string): string[] {
  const undated = text
    .replace(/\b\d{4}-\d{2}(-\d{2})?\b/g, ' ')
    .replace(new RegExp(`\\b\\d{1,2} (${MONTH_NAMES})( \\d{4})?\\b`, 'g'), ' ')
  const found: string[] = []
  for (const m of undated.matchAll(/(?<![\w.])\d[\d,]*(\.\d+)?%?(?![\w])/g)) {
    const token = m[0].replace(/,+$/, '')
    if (token.includes('.') || token.endsWith('%')) continue
    const value = Number(token.replace(/,/g, ''))
    if (value >= 1 && value <= 9)
      found.push(`${token} in "…${undated.slice(Math.max(0, m.index - 40), m.index + 20)}…"`)
  }
  return found
}

const COUNT_DISPLAY = /^(0|<10|withheld|n\/a|[1-9]\d{0,2}(,\d{3})*)$/

function isDisclosedCount(display: string): boolean {
  if (!COUNT_DISPLAY.test(display)) return false
  const n = Number(display.replace(/,/g, ''))
  return Number.isNaN(n) || n === 0 || n >= 10
}

const csvOf = (email: RenderedEmail) => {
  const attachment = email.attachments.find((a) => a.filename === 'funder-report-2026-10.csv')
  expect(attachment).toBeDefined()
  return String(attachment?.content)
}

const csvRows = (email: RenderedEmail) => parse(csvOf(email), { columns: true }) as Record<string, string>[]

// --- tests --------------------------------------------------------------------------------------------------

describe('funder report: disclosure control', async () => {
  const email = await renderFunderReport(input())
  const tables = disclosedTables(funderFigures(input()))

  it('every count in the disclosed model is 0, 10 or more, or suppressed', () => {
    let counted = 0
    for (const view of tables)
      for (const row of view.table.rows)
        for (const cell of row.cells)
          if (cell.kind === 'count') {
            counted++
            if (cell.status === 'shown') expect(cell.value === 0 || (cell.value as number) >= 10).toBe(true)
            else expect(['under10', 'secondary', 'withheld', 'missing']).toContain(cell.status)
            expect(
              isDisclosedCount(cell.display),
              `${view.id} ${row.key} ${cell.column}: ${cell.display}`,
            ).toBe(true)
          }
    expect(counted).toBeGreaterThan(50)
  })

  it('every count cell of the HTML tables is 0, 10 or more, <10 or withheld', () => {
    const cells = [...email.html.matchAll(/<td data-kind="count"[^>]*>([^<]*)<\/td>/g)].map((m) =>
      visibleText(m[1] as string).trim(),
    )
    expect(cells.length).toBeGreaterThan(40)
    for (const cell of cells) expect(isDisclosedCount(cell), cell).toBe(true)
    expect(cells).toContain('<10')
    expect(cells).toContain('withheld')
  })

  it('no integer from 1 to 9 appears anywhere in the HTML, the text or the CSV', () => {
    expect(smallIntegers(visibleText(email.html))).toEqual([])
    expect(smallIntegers(email.text)).toEqual([])
    expect(smallIntegers(csvOf(email))).toEqual([])
    // and the check would see one
    const probe = smallIntegers(
      'Arrests: 7; harm 12.5; 95% CI; 2026-10-05; 5 October 2026; w-1a2b; 1,088; (3, 40)',
    )
    expect(probe.map((found) => found.split(' ')[0])).toEqual(['7', '3'])
  })

  it('every count row of the CSV is 0, 10 or more, <10 or withheld', () => {
    const rows = csvRows(email)
    expect(Object.keys(rows[0] ?? {})).toEqual([...FUNDER_CSV_COLUMNS])
    const countRows = rows.filter((r) => r.kind === 'count')
    expect(countRows.length).toBeGreaterThan(50)
    for (const r of countRows) {
      const ok =
        r.value === '' ||
        r.value === '<10' ||
        r.value === 'withheld' ||
        Number(r.value) === 0 ||
        Number(r.value) >= 10
      expect(ok, JSON.stringify(r)).toBe(true)
    }
  })

  it('shows secondary suppression: HS-B beside HS-C, and Not stated arrests beside Mixed', () => {
    const rows = csvRows(email)
    const cell = (table: string, row: string, measure: string) =>
      rows.find((r) => r.table === table && r.row === row && r.measure === measure)
    expect(cell('hotspots', 'hotspot:HS-C', 'month')).toMatchObject({ value: '<10', status: 'under10' })
    expect(cell('hotspots', 'hotspot:HS-B', 'month')).toMatchObject({
      value: 'withheld',
      status: 'secondary',
    })
    expect(cell('hotspots', 'hotspot:HS-A', 'month')).toMatchObject({ value: '30', status: 'shown' })
    expect(cell('hotspots', 'all', 'month')).toMatchObject({ value: '57', status: 'shown' })
    // harm goes with its count
    expect(cell('hotspots', 'hotspot:HS-C', 'harm')).toMatchObject({ value: 'withheld', status: 'withheld' })
    expect(cell('hotspots', 'hotspot:HS-B', 'harm')).toMatchObject({ value: 'withheld', status: 'withheld' })
    expect(cell('hotspots', 'hotspot:HS-A', 'harm')).toMatchObject({ value: '2000', status: 'shown' })
    // stop and search by ethnicity: Mixed's 3 arrests, then Not stated's 12 (the next smallest), and their rates
    expect(cell('stop_search_ethnicity', 'ethnicity:Mixed', 'arrests')).toMatchObject({ value: '<10' })
    expect(cell('stop_search_ethnicity', 'ethnicity:Not stated', 'arrests')).toMatchObject({
      value: 'withheld',
      status: 'secondary',
    })
    expect(cell('stop_search_ethnicity', 'ethnicity:Not stated', 'arrest_rate')).toMatchObject({
      value: 'withheld',
    })
    expect(cell('stop_search_ethnicity', 'ethnicity:Asian', 'arrests')).toMatchObject({ value: '14' })
    // in the body too
    expect(email.text).toContain('- HS-B: October 2026 withheld; October 2025 20; Harm (CCHI days) withheld')
    expect(email.text).toContain('- HS-C: October 2026 <10; October 2025 10; Harm (CCHI days) withheld')
    expect(email.text).toContain('- Not stated: Arrests withheld; Arrest rate withheld')
    expect(email.html).toMatch(/HS-B<\/td><td data-kind="count"[^>]*>withheld<\/td>/)
  })

  it('withholds rates, percentages, intervals and changes made from suppressed counts', () => {
    const rows = csvRows(email)
    const cell = (table: string, row: string, measure: string) =>
      rows.find((r) => r.table === table && r.row === row && r.measure === measure)
    // find rate on 6 finds: withheld; last year's on 11 of 35: shown
    expect(cell('activity', 'find_rate', 'month')).toMatchObject({ value: 'withheld', status: 'withheld' })
    expect(cell('activity', 'find_rate', 'last_year')).toMatchObject({ value: '31.4', status: 'shown' })
    // serious violence 4 against 12: the change and its flag are withheld
    expect(cell('crime', 'serious_violence', 'change_pct')).toMatchObject({ value: 'withheld' })
    expect(cell('crime', 'serious_violence', 'flag')).toMatchObject({ value: 'withheld' })
    // satisfaction in the hotspots on 8 answers, and a question with 6 answers
    for (const measure of ['pct', 'ci_low', 'ci_high', 'answers'])
      expect(cell('satisfaction', 'hotspots_q_overall', measure)?.value).toMatch(/^(withheld|<10)$/)
    expect(cell('satisfaction', 'force_q_actions', 'pct')).toMatchObject({ value: 'withheld' })
    expect(cell('satisfaction', 'force_q_ease', 'pct')).toMatchObject({ value: '77.4' })
    // stop and search: Mixed's find rate (2 of 10) is withheld
    expect(cell('stop_search_ethnicity', 'ethnicity:Mixed', 'find_rate')).toMatchObject({ value: 'withheld' })
    expect(email.text).toContain('Victim satisfaction in the hotspots: withheld, from <10 answers.')
    expect(email.text).toContain('- Find rate: October 2026 withheld; October 2025 31.4%')
    // the figures that are fine are there, alike in the three outputs
    expect(email.text).toContain(
      '- Incidents (crime and anti-social behaviour): October 2026 57; October 2025 63',
    )
    expect(cell('crime', 'crime_count', 'month')).toMatchObject({ value: '57' })
    expect(visibleText(email.html)).toContain('1,106')
    expect(email.text).toContain('Before 1,106')
    expect(cell('displacement_counts', 'hotspots', 'before')).toMatchObject({ value: '1106' })
    expect(cell('activity', 'tips_received', 'month')).toMatchObject({ value: '0', status: 'shown' })
  })

  it('rates the surveys whose 72 h window closed, and counts the open ones apart', () => {
    // 390 / 1198 = 0.325543: 32.6%
    expect(email.text).toContain(
      'Across the force, 390 of the 1,198 surveys sent in October 2026 whose 72 h response window had closed were answered (response rate 32.6%).',
    )
    expect(email.text).toContain(
      '75 more surveys sent in the month were still inside their window: they count once it closes, not in these figures.',
    )
    expect(email.text).toContain('Answers received within 72 h of sending, to the surveys sent in the month')
    const rows = csvRows(email)
    const cell = (measure: string) =>
      rows.find((r) => r.table === 'survey_response' && r.row === 'surveys' && r.measure === measure)
    expect(cell('closed')).toMatchObject({ value: '1198', status: 'shown' })
    expect(cell('open')).toMatchObject({ value: '75', status: 'shown' })
  })

  it('shows the patrol effect with its interval and displacement in plain words, programme-level only', () => {
    expect(email.text).toContain(
      'On days a hotspot was assigned a patrol, harm was 25.7% lower than on days it was not (95% confidence interval 11.0% to 38.1%).',
    )
    expect(email.text).toContain('WDQ: 0.29, above 0: a diffusion of benefit')
    expect(email.text).toContain('Total net effect: about 334.4 fewer incidents')
    // HS-C's own effect, displacement counts and small survey groups are not in the report
    for (const output of [email.text, visibleText(email.html), csvOf(email)]) {
      expect(output).not.toContain('61.11')
      expect(output).not.toContain('0.44')
      expect(output).not.toContain('16-24')
      expect(output).not.toContain('Firearms')
    }
  })

  it('keeps to the programme, its hotspots and the force: no finer places, no personal data', () => {
    const rows = csvRows(email)
    expect(new Set(rows.map((r) => r.table))).toEqual(
      new Set([
        'crime',
        'patrol',
        'activity',
        'arrests_weekly',
        'patrol_effect',
        'dose_response_month',
        'dose_response_all',
        'displacement_counts',
        'displacement',
        'satisfaction',
        'survey_response',
        'stop_search_ethnicity',
        'hotspots',
      ]),
    )
    const hotspotRows = new Set(rows.filter((r) => r.table === 'hotspots').map((r) => r.row))
    expect(hotspotRows).toEqual(new Set(['hotspot:HS-A', 'hotspot:HS-B', 'hotspot:HS-C', 'all']))
    for (const output of [email.html, email.text, csvOf(email)]) {
      expect(output).not.toContain(FUNDER.email)
      expect(output).not.toContain(FUNDER.name)
    }
    // the weekly arrests are the programme's, for the weeks starting in the month
    expect(
      rows.filter((r) => r.table === 'arrests_weekly' && r.measure === 'week').map((r) => r.row),
    ).toEqual(['2026-10-05', '2026-10-12', '2026-10-19', '2026-10-26'])
  })
})

describe('funder report: crime by patrol presence (dose-response)', async () => {
  const email = await renderFunderReport(input())
  const rows = csvRows(email)
  const cell = (table: string, row: string, measure: string) =>
    rows.find((r) => r.table === table && r.row === row && r.measure === measure)

  it("prints the month's bands with their intervals, and the share of assigned days at the 10-minute target", () => {
    // 30 / 120 = 0.25 crimes a day; 400 / 120 = 3.33 harm days; 46 of 62 assigned days = 74.2%
    expect(email.text).toContain('Crime by patrol presence, October 2026:')
    expect(email.text).toContain(
      '- Under one minute: Hotspot-days 120; Crimes 30; Crimes per day (95% CI) 0.25 (0.16 to 0.34); Harm per day, CCHI days (95% CI) 3.33 (1.20 to 5.46)\n',
    )
    // 11 / 60 = 0.18; 220.2 / 60 = 3.67
    expect(email.text).toContain(
      '- 10 to 16 minutes: Hotspot-days 60; Crimes 11; Crimes per day (95% CI) 0.18 (0.08 to 0.29); Harm per day, CCHI days (95% CI) 3.67 (1.75 to 5.59)\n',
    )
    // no row for over 30 minutes: no hotspot-days, nothing to divide
    expect(email.text).toContain(
      '- Over 30 minutes: Hotspot-days 0; Crimes 0; Crimes per day (95% CI) n/a; Harm per day, CCHI days (95% CI) n/a\n',
    )
    // 59 / 219 = 0.27; 758.5 / 219 = 3.46
    expect(email.text).toContain(
      '- All measured hotspot-days: Hotspot-days 219; Crimes 59; Crimes per day (95% CI) 0.27 (0.20 to 0.34); Harm per day, CCHI days (95% CI) 3.46 (2.10 to 4.83); Assigned days at target 74.2%\n',
    )
    expect(visibleText(email.html).replace(/\s+/g, ' ')).toContain(
      'Under one minute 120 30 0.25 (0.16 to 0.34) 3.33 (1.20 to 5.46)',
    )
    expect(cell('dose_response_month', 'all', 'share_at_target')).toMatchObject({
      value: '74.2',
      status: 'shown',
    })
    expect(cell('dose_response_month', 'all', 'assigned_days')).toMatchObject({ value: '62' })
    expect(cell('dose_response_month', 'all', 'assigned_days_at_target')).toMatchObject({ value: '46' })
    expect(cell('dose_response_month', 'minutes_under_1', 'crimes_per_day')).toMatchObject({
      value: '0.25',
      kind: 'statistic',
    })
  })

  it('withholds a band of under 10 hotspot-days as a whole, and what a small crime count is made into', () => {
    // one to nine minutes: 4 hotspot-days (<10); its 12 crimes and every figure of the band withheld
    expect(email.text).toContain(
      '- One to nine minutes: Hotspot-days <10; Crimes withheld; Crimes per day (95% CI) withheld; Harm per day, CCHI days (95% CI) withheld\n',
    )
    expect(cell('dose_response_month', 'minutes_1_to_9', 'hotspot_days')).toMatchObject({
      value: '<10',
      status: 'under10',
    })
    expect(cell('dose_response_month', 'minutes_1_to_9', 'crimes')).toMatchObject({
      value: 'withheld',
      status: 'withheld',
    })
    for (const measure of [
      'crimes_per_day',
      'crimes_ci_low',
      'crimes_ci_high',
      'harm_per_day',
      'harm_ci_high',
    ])
      expect(cell('dose_response_month', 'minutes_1_to_9', measure)).toMatchObject({ value: 'withheld' })
    // 17 to 30 minutes: 6 crimes (<10); its 35 hotspot-days are the next smallest of their column (4 + 35 cannot
    // be worked out from the total 219), and its rates go with them
    expect(email.text).toContain(
      '- 17 to 30 minutes: Hotspot-days withheld; Crimes <10; Crimes per day (95% CI) withheld; Harm per day, CCHI days (95% CI) withheld\n',
    )
    expect(cell('dose_response_month', 'minutes_17_to_30', 'hotspot_days')).toMatchObject({
      status: 'secondary',
    })
    expect(cell('dose_response_month', 'minutes_17_to_30', 'crimes')).toMatchObject({ value: '<10' })
    // nowhere the withheld figures: 4 or 35 hotspot-days, 12 crimes, 3.00 or 0.17 a day
    const october = email.text.slice(email.text.indexOf('Crime by patrol presence, October 2026:'))
    expect(october.slice(0, october.indexOf('Crime by patrol presence, every month'))).not.toMatch(
      /\b35\b|\b12\b|3\.00|0\.17|2\.24/,
    )
  })

  it('prints every month measured since the first, and says what the table shows and what it does not', () => {
    expect(email.text).toContain(
      'Crime by patrol presence, every month measured: September 2026 to October 2026:',
    )
    expect(email.text).toContain(
      '- One to nine minutes: Hotspot-days 30; Crimes 12; Crimes per day (95% CI) 0.40 (0.20 to 0.60); Harm per day, CCHI days (95% CI) 3.20 (1.10 to 5.30)\n',
    )
    expect(cell('dose_response_all', 'all', 'share_at_target')).toMatchObject({ value: '77.7' })
    expect(email.text).toContain('a normal interval across the hotspot-days')
    expect(email.text).toContain('An incident counts on the day it occurred, as for the patrol effect')
    expect(email.text).toContain('These figures show association, not cause')
    expect(email.text).toContain(
      'The patrol effect above, from the random allocation of patrols, is the estimate',
    )
    expect(email.text).toContain('The target dose is 10 minutes of presence in the day (Koper)')
    expect(email.text).toContain('A band of fewer than 10 hotspot-days is withheld as a whole.')
  })

  it('says so in one line when no presence was measured in the month, and shows one table for a first month', async () => {
    const base = input()
    const none = await renderFunderReport({
      ...base,
      rows: { ...base.rows, dose_response: DOSE_RESPONSE.filter((r) => r.period !== '2026-10') },
    })
    const section = none.text.slice(
      none.text.indexOf('Patrol presence and crime\n'),
      none.text.indexOf('Displacement\n'),
    )
    expect(section).toBe(
      'Patrol presence and crime\n=========================\n\nNo patrol presence was measured from GPS pings in October 2026.\n\n',
    )
    expect(csvRows(none).some((r) => r.table?.startsWith('dose_response'))).toBe(false)
    // pings sent that found no one: every hotspot-day measured, all under one minute, is a table to show
    const zeros = await renderFunderReport({
      ...base,
      rows: {
        ...base.rows,
        dose_response: [
          ...DOSE_RESPONSE.filter((r) => r.period !== '2026-10'),
          doseRow('2026-10', '0', [310, 70, 900], [0.17, 0.28, 2.1, 3.7], [62, 0]),
          doseRow('2026-10', 'all', [310, 70, 900], [0.17, 0.28, 2.1, 3.7], [62, 0]),
        ],
      },
    })
    expect(zeros.text).toContain('Crime by patrol presence, October 2026:')
    expect(zeros.text).not.toContain('No patrol presence was measured from GPS pings in October 2026.')
    const first = await renderFunderReport({
      ...base,
      rows: { ...base.rows, dose_response: DOSE_RESPONSE.filter((r) => r.period !== '2026-09') },
    })
    expect(first.text).toContain('Crime by patrol presence, October 2026:')
    expect(first.text).not.toContain('every month measured')
  })
})

describe('funder report: rendering', () => {
  it('names the month and the force in the subject, and attaches the CSV', async () => {
    const email = await renderFunderReport(input())
    expect(email.subject).toBe('Hotspot policing: monthly report, October 2026 (Demo Constabulary)')
    expect(email.attachments).toHaveLength(1)
    expect(email.attachments[0]).toMatchObject({
      filename: 'funder-report-2026-10.csv',
      contentType: 'text/csv; charset=utf-8',
    })
    expect(email.inlineImages).toEqual([])
  })

  it('is valid MJML (no errors at validation level strict)', async () => {
    const images: InlineImage[] = [
      {
        cid: 'effect@hotspot',
        filename: 'effect.png',
        content: Buffer.from('png'),
        alt: 'Harm on "patrol" days <chart>',
      },
    ]
    const source = documentMjml(funderReportDocument(input({ images })))
    const soft = await mjml2html(source, { validationLevel: 'soft' })
    expect(soft.errors).toEqual([])
    await expect(mjml2html(source, { validationLevel: 'strict' })).resolves.toBeDefined()
    const email = await renderFunderReport(input({ images }))
    expect(email.html).toContain('src="cid:effect@hotspot"')
    expect(email.html).toContain('alt="Harm on &quot;patrol&quot; days &lt;chart&gt;"')
    expect(email.text).toContain('[Chart: Harm on "patrol" days <chart>]')
    expect(email.inlineImages).toEqual(images)
  })

  it('escapes every value: the force name, hotspot names, ethnicity groups', async () => {
    const force = '<script>alert("x")</script> & Co'
    const base = input()
    const email = await renderFunderReport({
      ...base,
      force,
      hotspotNames: { 'HS-A': '<img src=x onerror=alert(1)>' },
      rows: {
        ...base.rows,
        stop_search_monthly: [
          ...base.rows.stop_search_monthly.filter((r) => r.group_value !== 'White'),
          searchRow('ethnicity', '<b>White</b>', 335, 107, 55),
        ],
      },
    })
    expect(email.html).not.toContain('<script>')
    expect(email.html).not.toContain('<img src=x')
    expect(email.html).not.toContain('<b>White')
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co')
    expect(email.html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(email.html).toContain('&lt;b&gt;White&lt;/b&gt;')
    expect(email.subject).toBe(`Hotspot policing: monthly report, October 2026 (${force})`)
    expect(email.text).toContain(force)
  })

  it.each([
    ['a force name with CRLF', { force: 'Demo\r\nBcc: someone@example.org' }],
    ['a force name with LF', { force: 'Demo\nX-Injected: yes' }],
    ['a funder name with CR', { funder: { ...FUNDER, name: 'Trust\rBcc: x@example.org' } }],
    ['a funder address with LF', { funder: { ...FUNDER, email: 'grants@example.org\nBcc: x@example.org' } }],
    [
      'an image Content-ID with CRLF',
      { images: [{ cid: 'a\r\nX: y', filename: 'a.png', content: Buffer.from(''), alt: 'chart' }] },
    ],
  ])('rejects %s', async (_, overrides) => {
    await expect(renderFunderReport(input(overrides as Partial<FunderReportInput>))).rejects.toThrow(
      HeaderInjectionError,
    )
  })

  it('defuses formulas in the CSV', async () => {
    const base = input()
    const email = await renderFunderReport({
      ...base,
      hotspotNames: { 'HS-A': '@SUM(A1)' },
      rows: {
        ...base.rows,
        stop_search_monthly: [
          ...base.rows.stop_search_monthly.filter((r) => r.group_value !== 'White'),
          searchRow('ethnicity', '=SUM(1)', 335, 107, 55),
        ],
      },
    })
    const labels = csvRows(email).map((r) => r.row_label)
    expect(labels).toContain("'=SUM(1)")
    expect(labels).toContain("'@SUM(A1)")
    expect(labels).not.toContain('=SUM(1)')
    // numbers stay numbers, negative ones too
    expect(csvRows(email).find((r) => r.table === 'crime' && r.measure === 'change_pct')?.value).toBe('-9.5')
  })

  it('explains WDQ below 0 as displacement, and a missing WDQ as not applicable', async () => {
    const base = input()
    const all = base.rows.displacement.find((r) => r.hotspot_id === 'all') as MartRow
    const withWdq = async (wdq: number | null) =>
      (
        await renderFunderReport({
          ...base,
          rows: { ...base.rows, displacement: [{ ...all, wdq, tne: -12.34 }] },
        })
      ).text
    const negative = await withWdq(-0.35)
    expect(negative).toContain('WDQ: \u22120.35, below 0: displacement (crime rose in the buffer')
    expect(negative).toContain('about 12.3 more incidents')
    const missing = await withWdq(null)
    expect(missing).toContain(
      'WDQ: not applicable: crime in the hotspots did not fall relative to the control areas',
    )
    expect(missing).toContain('- Weighted displacement quotient (WDQ): Value not applicable')
  })

  it('withholds the displacement measures when a count they are made from is under 10', async () => {
    const base = input()
    const all = base.rows.displacement.find((r) => r.hotspot_id === 'all') as MartRow
    const email = await renderFunderReport({
      ...base,
      rows: { ...base.rows, displacement: [{ ...all, db: 8 }] },
    })
    expect(email.text).toContain('- Buffer around them: Before <10; After 347')
    expect(email.text).toContain('WDQ: withheld.')
    expect(email.text).toContain('Total net effect: withheld.')
  })

  it("prints the control areas' own counts, from the displacement mart of two hotspots and one control", async () => {
    const lake = await TestLake.create(programmeGiven())
    try {
      const displacement = (await lake.mart('displacement', PROGRAMME_AS_OF)) as MartRow[]
      const base = input()
      const email = await renderFunderReport({ ...base, rows: { ...base.rows, displacement } })
      // K had 60 incidents before and 66 after; each hotspot's row counts K's 60 and 66 too, and the report
      // printed 120 and 132 when the programme row summed them
      expect(email.text).toContain(
        `- Control areas: Before ${CONTROL_OWN.before}; After ${CONTROL_OWN.after}`,
      )
      expect(email.text).toContain("the control areas' figures are their own counts")
    } finally {
      await lake.close()
    }
  })

  it('refuses a period it has no figures for, and a weekly period', async () => {
    await expect(renderFunderReport(input({ period: monthlyPeriod('2026-11') }))).rejects.toThrow(
      /no figures for November 2026/,
    )
    const weekly = { ...monthlyPeriod('2026-10'), report: 'weekly' as const }
    await expect(renderFunderReport(input({ period: weekly }))).rejects.toThrow(/monthly/)
  })

  it('shows last year as n/a when the lake does not reach back a year', async () => {
    const base = input()
    const rows = base.rows.funder_monthly
      .filter((r) => r.month === MONTH)
      // as the mart gives it then: no last-year count, and so no change flag
      .map((r) => ({ ...r, flag: null, ...(r.measure === 'crime_count_last_year' ? { value: null } : {}) }))
    const email = await renderFunderReport({ ...base, rows: { ...base.rows, funder_monthly: rows } })
    expect(email.text).toContain(
      '- Incidents (crime and anti-social behaviour): October 2026 57; October 2025 n/a; Change n/a',
    )
    expect(email.text).toContain('- Arrests: October 2026 <10; October 2025 n/a; Change n/a')
  })
})

describe('stop-and-search disproportionality', () => {
  /** An ethnicity row with the population figures the mart gives when a population is loaded. */
  const rated = (
    group: string,
    [searches, finds, arrests]: [number, number, number],
    residents: number,
    perThousand: number,
    ratio: [number, number, number] | null,
  ) => ({
    ...searchRow('ethnicity', group, searches, finds, arrests),
    residents,
    searches_per_1000: perThousand,
    disproportionality: ratio?.[0] ?? null,
    disproportionality_ci_low: ratio?.[1] ?? null,
    disproportionality_ci_high: ratio?.[2] ?? null,
    population_version: 'p-test',
  })
  // per 1,000 = 1000 searches / residents; ratio = per 1,000 / White's (1000 x 335 / 125,000 = 2.68);
  // CI = ratio x exp(-/+ 1.96 sqrt(1/a + 1/335))
  //   Black: 1000 x 265 / 37,500 = 7.0667; 7.0667 / 2.68 = 2.6368; SE sqrt(1/265 + 1/335) = 0.08222,
  //     exp(0.16115) = 1.17485: 2.6368 / 1.17485 = 2.2444 to 2.6368 x 1.17485 = 3.0978
  //   Asian: 1000 x 141 / 50,000 = 2.82; 2.82 / 2.68 = 1.0522; CI 0.8643 to 1.2810
  //   Mixed: 5 searches (<10): 1000 x 5 / 15,000 = 0.3333; ratio 0.1244: withheld with its count
  const rows = (white: [number, number, number]) => [
    searchRow('all', 'all', 776, 213, 118),
    rated('Asian', [141, 38, 14], 50_000, 2.82, [1.052239, 0.8643, 1.281045]),
    rated('Black', [265, 57, 34], 37_500, 7.066667, [2.636816, 2.2444, 3.097842]),
    rated('Mixed', [5, 2, 3], 15_000, 0.333333, [0.124378, 0.051433, 0.300781]),
    rated('White', white, 125_000, (1000 * white[0]) / 125_000, null),
    searchRow('ethnicity', 'Not stated', 30, 9, 12),
  ]
  const render = async (white: [number, number, number]) => {
    const base = input()
    return renderFunderReport({ ...base, rows: { ...base.rows, stop_search_monthly: rows(white) } })
  }
  const cellOf = (email: RenderedEmail, row: string, measure: string) =>
    csvRows(email).find((r) => r.table === 'stop_search_ethnicity' && r.row === row && r.measure === measure)

  it('shows each group rate ratio against White with its 95% CI, and withholds it with a small count', async () => {
    const email = await render([335, 107, 55])
    expect(cellOf(email, 'ethnicity:Black', 'searches_per_1000')).toMatchObject({ value: '7.1' })
    expect(cellOf(email, 'ethnicity:Black', 'ratio')).toMatchObject({ value: '2.64', status: 'shown' })
    expect(cellOf(email, 'ethnicity:Black', 'ratio_ci_low')).toMatchObject({ value: '2.24' })
    expect(cellOf(email, 'ethnicity:Black', 'ratio_ci_high')).toMatchObject({ value: '3.1' })
    expect(email.text).toContain(
      '- Black: Searches per 1,000 residents 7.1; Rate ratio against White (95% CI) 2.64 (2.24 to 3.10)',
    )
    expect(email.text).toContain(
      '- Asian: Searches per 1,000 residents 2.8; Rate ratio against White (95% CI) 1.05 (0.86 to 1.28)',
    )
    expect(email.text).toContain(
      '- White: Searches per 1,000 residents 2.7; Rate ratio against White (95% CI) reference',
    )
    // Mixed: 5 searches are '<10', so neither its rate nor its ratio is shown
    expect(cellOf(email, 'ethnicity:Mixed', 'searches')).toMatchObject({ value: '<10' })
    for (const measure of ['searches_per_1000', 'ratio', 'ratio_ci_low', 'ratio_ci_high'])
      expect(cellOf(email, 'ethnicity:Mixed', measure)).toMatchObject({
        value: 'withheld',
        status: 'withheld',
      })
    expect(email.text).toMatch(/Residents are a weak denominator where most people present do not live there/)
  })

  it('withholds every ratio when White searches are suppressed', async () => {
    const email = await render([4, 1, 1])
    for (const group of ['Asian', 'Black'])
      expect(cellOf(email, `ethnicity:${group}`, 'ratio')).toMatchObject({ value: 'withheld' })
    expect(cellOf(email, 'ethnicity:Black', 'searches_per_1000')).toMatchObject({ value: '7.1' })
  })

  it('is left out without a population', async () => {
    const email = await renderFunderReport(input())
    expect(csvRows(email).some((r) => r.measure === 'ratio')).toBe(false)
    expect(email.text).not.toContain('Rate ratio against White')
  })
})
