import { parse } from 'csv-parse/sync'
import mjml2html from 'mjml'
import { beforeAll, describe, expect, it } from 'vitest'
import { documentMjml, htmlPreview } from '../../functions/core/reports/document/mjml.ts'
import type { RenderedEmail } from '../../functions/core/reports/model.ts'
import { monthlyPeriod, weeklyPeriod } from '../../functions/core/reports/periods.ts'
import {
  renderWeeklyScorecard,
  weeklyScorecardDocument,
} from '../../functions/core/reports/weekly/document.ts'
import type { WeeklyScorecardRows } from '../../functions/core/reports/weekly/figures.ts'
import {
  COMMANDER,
  HOTSPOTS,
  OTHER,
  scorecardImages,
  scorecardInput,
  scorecardRows,
  visibleText,
} from './helpers/scorecard-input.ts'

// Every expected figure below is worked out by hand from the rows in helpers/scorecard-input.ts.

type CsvRecord = Record<string, string>

let email: RenderedEmail
let html: string
let csv: CsvRecord[]

beforeAll(async () => {
  email = await renderWeeklyScorecard(scorecardInput())
  html = visibleText(email.html)
  const attachment = email.attachments[0]
  csv = parse(String(attachment?.content), { columns: true, bom: true }) as CsvRecord[]
})

const rowOf = (hotspot: string, measure: string, period: string, comparedWith?: string): CsvRecord => {
  const found = csv.filter(
    (r) =>
      r.hotspot_id === hotspot &&
      r.measure === measure &&
      r.period === period &&
      (comparedWith === undefined || r.compared_with === comparedWith),
  )
  expect(found, `${hotspot} ${measure} ${period} ${comparedWith ?? ''}`).toHaveLength(1)
  return found[0] as CsvRecord
}

describe('weekly scorecard: subject and summary', () => {
  it('names the week and the commander in the subject', () => {
    expect(email.subject).toBe('Hotspot scorecard: Week 46, 9 to 15 November 2026 (Ch Insp Ada Okafor)')
  })

  it('opens with one summary line per hotspot: flags with the % change beside them', () => {
    // HS-01: 7 vs 5 last year = +40%; vs the seasonal mean 7.444: (7 - 7.444) / 7.444 = -5.97% -> -6%
    const hs01 =
      'HS-01 Market Square: 7 crimes, harm 958 days \u2014 no significant change vs last year (5, +40%), within the seasonal range (usual 7.4, \u22126%)'
    // HS-02 has no last year and no baseline
    const hs02 =
      'HS-02 Canal Walk: 12 crimes, harm 48.6 days \u2014 vs last year: no history, seasonal range: no history'
    expect(email.text).toContain(`- ${hs01}\n- ${hs02}\n`)
    expect(html).toContain(hs01.replace(': 7 crimes', ' 7 crimes'))
    expect(html).toContain(hs02.replace(': 12 crimes', ' 12 crimes'))
    // the summary comes before the first hotspot's table
    expect(html.indexOf('Canal Walk 12 crimes')).toBeLessThan(html.indexOf('Period Crimes Harm (days)'))
  })

  it('never shows a bare % change: every % is beside a flag or a figure', () => {
    for (const match of email.text.matchAll(/[+\u2212]\d[\d.,]*%/g)) {
      const before = email.text.slice(Math.max(0, (match.index ?? 0) - 60), match.index)
      expect(before, match[0]).toMatch(/(change|rise|fall|range|difference|CI|\(\d[\d,.]*, |harm )[^\n]*$/)
    }
  })
})

describe('weekly scorecard: the figures in HTML, text and CSV equal the mart rows', () => {
  it('crime table: week, 28 days and FYTD against last year', () => {
    // 28 days: (26 - 28) / 28 = -7.14%; FYTD: (211 - 238) / 238 = -11.3%; HS-02 28 days: (40 - 12) / 12 = +233%
    expect(html).toContain(
      'Period Crimes Harm (days) vs last year Week 7 958 no significant change (5, +40%) 28 days 26 3,293 no significant change (28, \u22127.1%) FY to date 211 21,271 no significant change (238, \u221211%)',
    )
    expect(html).toContain(
      'Week 12 48.6 no history 28 days 40 612 significant rise (12, +233%) FY to date 311 4,021 no history',
    )
    expect(email.text).toContain(
      '- Week: Crimes 7; Harm (days) 958; vs last year no significant change (5, +40%)',
    )
    expect(email.text).toContain(
      '- 28 days: Crimes 26; Harm (days) 3,293; vs last year no significant change (28, \u22127.1%)',
    )
    expect(email.text).toContain(
      '- FY to date: Crimes 211; Harm (days) 21,271; vs last year no significant change (238, \u221211%)',
    )
    expect(email.text).toContain(
      '- 28 days: Crimes 40; Harm (days) 612; vs last year significant rise (12, +233%)',
    )
    expect(email.text).toContain('- FY to date: Crimes 311; Harm (days) 4,021; vs last year no history')

    expect(rowOf('HS-01', 'crimes', '2026-W46', 'same week last year')).toMatchObject({
      value: '7',
      comparison_value: '5',
      pct_change: '40',
      z: '0.819',
      flag: 'no significant change',
    })
    expect(rowOf('HS-01', 'harm (days)', '2026-W46', 'same week last year')).toMatchObject({
      value: '957.63',
      comparison_value: '405.42',
    })
    expect(rowOf('HS-01', 'crimes', '2026-10-19 to 2026-11-15')).toMatchObject({
      value: '26',
      comparison_value: '28',
      pct_change: '-7.1',
      flag: 'no significant change',
    })
    expect(rowOf('HS-01', 'harm (days)', '2026-10-19 to 2026-11-15').value).toBe('3293.15')
    expect(rowOf('HS-01', 'crimes', '2026-04-01 to 2026-11-15')).toMatchObject({
      value: '211',
      comparison_value: '238',
      pct_change: '-11.3',
      z: '-1.803',
    })
    expect(rowOf('HS-01', 'harm (days)', '2026-04-01 to 2026-11-15').value).toBe('21270.57')
    expect(rowOf('HS-02', 'crimes', '2026-10-19 to 2026-11-15')).toMatchObject({
      value: '40',
      comparison_value: '12',
      pct_change: '233.3',
      z: '5.721',
      flag: 'up',
    })
  })

  it('seasonal baseline', () => {
    expect(html).toContain(
      'Seasonal baseline 7 crimes vs usual 7.4 \u00b1 2.9 within the seasonal range (\u22126%) harm 958 vs usual 850 \u00b1 310 days',
    )
    expect(rowOf('HS-01', 'harm (days)', '2026-W46', 'seasonal baseline (mean of 9 weeks)')).toMatchObject({
      value: '957.63',
      comparison_value: '850.25',
      comparison_sd: '310.4',
    })
    expect(email.text).toContain(
      'Seasonal baseline: 7 crimes vs usual 7.4 \u00b1 2.9 \u2014 within the seasonal range (\u22126%)',
    )
    expect(rowOf('HS-01', 'crimes', '2026-W46', 'seasonal baseline (mean of 9 weeks)')).toMatchObject({
      value: '7',
      comparison_value: '7.44',
      comparison_sd: '2.88',
      pct_change: '-6',
      z: '-0.154',
      flag: 'no significant change',
    })
  })

  it('serious violence, arrests, stop and search, tips', () => {
    expect(html).toContain('Serious violence 3 crimes harm 753 days')
    expect(email.text).toContain('Serious violence: 3 crimes; harm 753 days')
    expect(rowOf('HS-01', 'serious violence crimes', '2026-W46').value).toBe('3')
    expect(rowOf('HS-01', 'serious violence harm (days)', '2026-W46').value).toBe('753.42')

    // arrests: 1 against 0 last year: the flag stands, the % change cannot be computed
    expect(html).toContain('Arrests 1 no significant change vs last year (0 last year)')
    expect(email.text).toContain('Arrests: 1 \u2014 no significant change vs last year (0 last year)')
    expect(rowOf('HS-01', 'arrests', '2026-W46')).toMatchObject({
      value: '1',
      comparison_value: '0',
      pct_change: '',
      flag: 'no significant change',
    })
    expect(html).toContain('Arrests 0 vs last year: no history')
    expect(rowOf('HS-02', 'arrests', '2026-W46')).toMatchObject({
      value: '0',
      comparison_value: '',
      flag: 'no history',
    })

    // stop and search: 2 of 10 = 20% finds, 1 of 10 = 10% arrests; HS-02 1 of 6 = 17%
    expect(html).toContain(
      'Stop and search 4 this week 1 to 15 November 2026: 10 searches, 2 finds (20%), 1 arrest (10%)',
    )
    expect(html).toContain(
      'Stop and search 1 this week 1 to 15 November 2026: 6 searches, 1 find (17%), 1 arrest (17%)',
    )
    expect(email.text).toContain(
      'Stop and search: 4 this week; 1 to 15 November 2026: 10 searches, 2 finds (20%), 1 arrest (10%)',
    )
    expect(rowOf('HS-01', 'stop and search', '2026-W46').value).toBe('4')
    expect(rowOf('HS-01', 'stop and search', '2026-11').value).toBe('10')
    expect(rowOf('HS-01', 'stop and search finds', '2026-11').value).toBe('2')
    expect(rowOf('HS-01', 'stop and search find rate (%)', '2026-11').value).toBe('20')
    expect(rowOf('HS-01', 'stop and search arrest rate (%)', '2026-11').value).toBe('10')

    // tips: 2 of 3 actioned = 67%
    expect(html).toContain(
      'Tips 2 this week 1 to 15 November 2026: 3 received, 2 actioned within 48 h (67%), 1 intervention, 0 arrests',
    )
    expect(email.text).toContain(
      'Tips: 2 this week; 1 to 15 November 2026: 3 received, 2 actioned within 48 h (67%), 1 intervention, 0 arrests',
    )
    expect(rowOf('HS-01', 'tips', '2026-W46').value).toBe('2')
    expect(rowOf('HS-01', 'tips received', '2026-11').value).toBe('3')
    expect(rowOf('HS-01', 'tips actioned within 48 h (%)', '2026-11').value).toBe('66.7')
    expect(rowOf('HS-01', 'tips leading to an intervention', '2026-11').value).toBe('1')
  })

  it('patrol dosage for the week and the patrol effect', () => {
    // 5 of 6 assigned days = 83%
    expect(html).toContain(
      'Patrol visits 18 visits 211 minutes, 15 compliant (10 to 16 min) Patrol days covered 5 of 6 (83%)',
    )
    expect(email.text).toContain('Patrol visits: 18 visits; 211 minutes, 15 compliant (10 to 16 min)')
    expect(html).toContain('Patrol visits no patrols recorded Patrol days covered no days assigned')
    expect(rowOf('HS-01', 'patrol visits', '2026-W46').value).toBe('18')
    expect(rowOf('HS-01', 'patrol minutes', '2026-W46').value).toBe('211.1')
    expect(rowOf('HS-01', 'compliant patrol visits (10 to 16 min)', '2026-W46').value).toBe('15')
    expect(rowOf('HS-01', 'assigned patrol days', '2026-W46').value).toBe('6')
    expect(rowOf('HS-01', 'assigned days with a compliant visit', '2026-W46').value).toBe('5')
    expect(rowOf('HS-01', 'assigned days with a compliant visit (%)', '2026-W46').value).toBe('83.3')
    expect(rowOf('HS-02', 'patrol visits', '2026-W46').value).toBe('0')

    // effect 0.0427 = 4.3% less harm; CI of the effect -0.375..0.334 = harm +38% .. -33%
    expect(html).toContain(
      'Patrol effect harm \u22124.3% on patrol days no significant difference 95% CI \u221233% to +38%; 87.3 vs 91.2 harm days per day trial to date: 146 patrol days, 190 other days',
    )
    expect(html).toContain('Patrol effect not in the trial')
    expect(
      rowOf('HS-01', 'harm per day on patrol days vs other days (% change)', 'trial to 2026-11-15'),
    ).toMatchObject({
      value: '-4.3',
      ci_low: '-33.4',
      ci_high: '37.5',
      n: '336',
      flag: 'no significant difference',
    })
  })

  it('GPS presence against the 10-minute target, for hotspots whose presence was measured that week', () => {
    // HS-01: 84.25 minutes over 5 measured days; 3 of 4 assigned days at target = 75%; 2 vehicles passing
    const line =
      'GPS presence: 84 minutes over 5 measured days; 3 of 4 assigned days reached the 10-minute target (75%) (passing vehicles not counted: 2)'
    expect(email.text).toContain(line)
    expect(html).toContain(
      'GPS presence 84 minutes over 5 measured days 3 of 4 assigned days reached the 10-minute target (75%) passing vehicles not counted: 2',
    )
    // after the patrol lines, in HS-01's section only: HS-02 has no presence row
    expect(email.text.match(/GPS presence: /g)).toHaveLength(1)
    expect(email.text.indexOf(line)).toBeGreaterThan(email.text.indexOf('Patrol days covered: 5 of 6'))
    expect(email.text.indexOf(line)).toBeLessThan(email.text.indexOf('HS-02 Canal Walk\n'))
    expect(email.text).toContain('a day reached the target with 10 minutes of presence or more')
    expect(rowOf('HS-01', 'GPS presence minutes', '2026-W46').value).toBe('84.3')
    expect(rowOf('HS-01', 'days with GPS presence measured', '2026-W46').value).toBe('5')
    expect(rowOf('HS-01', 'assigned days with GPS presence measured', '2026-W46').value).toBe('4')
    expect(rowOf('HS-01', 'assigned days at the 10-minute presence target', '2026-W46').value).toBe('3')
    expect(rowOf('HS-01', 'assigned days at the 10-minute presence target (%)', '2026-W46').value).toBe('75')
    expect(rowOf('HS-01', 'vehicles passing through (not counted as presence)', '2026-W46').value).toBe('2')
    expect(csv.filter((r) => r.hotspot_id === 'HS-02' && /GPS|presence/.test(r.measure ?? ''))).toEqual([])
  })

  it('GPS presence: a week without assigned days, or without vehicles passing, says so briefly', async () => {
    const rows = scorecardRows()
    rows.presence_weekly = [
      {
        hotspot_id: 'HS-02',
        week_start: '2026-11-09',
        days_measured: 1,
        presence_minutes: 12.5,
        officer_minutes: 12.5,
        visits: 1,
        days_with_presence: 1,
        assigned_days: 0,
        assigned_days_at_target: 0,
        pass_throughs: 0,
      },
    ]
    const rendered = await renderWeeklyScorecard(scorecardInput({ rows }))
    expect(rendered.text).toContain(
      'GPS presence: 13 minutes over 1 measured day; no assigned days measured\n',
    )
    expect(rendered.text).not.toContain('passing vehicles')
  })

  it('a force that sends no pings sees no presence line and no presence note; pings that found no one give 0 minutes', async () => {
    // presence_weekly has rows only for weeks whose pings were sent (days without a drop are not measured)
    const none = await renderWeeklyScorecard(
      scorecardInput({ rows: { ...scorecardRows(), presence_weekly: [] } }),
    )
    for (const part of [none.text, none.html, String(none.attachments[0]?.content)]) {
      expect(part).not.toMatch(/GPS|presence/)
    }
    // the pings were sent and found no one in the hotspot: the week was measured, and 0 minutes is news
    const zeros: WeeklyScorecardRows['presence_weekly'] = scorecardRows()
      .presence_weekly.filter((r) => r.week_start === '2026-11-09')
      .map((r) => ({
        ...r,
        presence_minutes: 0,
        officer_minutes: 0,
        visits: 0,
        days_with_presence: 0,
        assigned_days_at_target: 0,
        pass_throughs: 0,
      }))
    const rendered = await renderWeeklyScorecard(
      scorecardInput({ rows: { ...scorecardRows(), presence_weekly: zeros } }),
    )
    expect(rendered.text).toContain(
      'GPS presence: 0 minutes over 5 measured days; 0 of 4 assigned days reached the 10-minute target (0%)\n',
    )
    expect(rendered.text).not.toContain('HS-77')
  })

  it('victim satisfaction: latest month with answers, with its Wilson interval and n', () => {
    expect(html).toContain('Victim satisfaction 75% satisfied 95% CI 60% to 86%, n = 40, October 2026')
    expect(html).not.toContain('n = 40, October 2026 small sample')
    // which answers a month's figure holds: the same closed cohort as the funder report
    expect(html).toContain(
      'answers received within 72 h of sending, to the surveys sent in the month whose 72 h response window had closed',
    )
    // 5 of 8: a small sample, said so; December (after the week) is not read
    expect(html).toContain(
      'Victim satisfaction 63% satisfied 95% CI 31% to 86%, n = 8, November 2026 small sample (under 30 answers): read with care',
    )
    expect(rowOf('HS-01', 'victims satisfied overall (%)', '2026-10')).toMatchObject({
      value: '75',
      ci_low: '59.8',
      ci_high: '85.8',
      n: '40',
    })
    expect(rowOf('HS-02', 'victims satisfied overall (%)', '2026-11')).toMatchObject({
      value: '62.5',
      n: '8',
    })
  })

  it('tips by source across the force, for the month of the week only', () => {
    expect(html).toContain('Source Received Actioned in 48 h Resident 28 10 (36%) Youth worker 6 3 (50%)')
    expect(html).not.toContain('Shopkeeper')
    expect(email.text).toContain('- Resident: Received 28; Actioned in 48 h 10 (36%)')
  })

  it('reads the report week only', () => {
    for (const part of [html, email.text, String(email.attachments[0]?.content)]) {
      expect(part).not.toMatch(/\b999\b|8,?888|9,?999|77,?777|\b91 visits|\b61\b/)
    }
  })
})

describe('weekly scorecard: only the commander hotspots', () => {
  it('another commander hotspot appears nowhere, given whole mart rows with it', () => {
    const rows = scorecardRows()
    expect(rows.scorecard_weekly.some((r) => r.hotspot_id === OTHER.id)).toBe(true)
    const csvText = String(email.attachments[0]?.content)
    for (const part of [email.subject, email.html, email.text, csvText]) {
      expect(part).not.toContain(OTHER.id)
      expect(part).not.toContain(OTHER.name)
      // its figures: 4321 crimes, 98765.4 harm, 777 visits, 4545 arrests, 333 searches, 94% satisfied
      expect(part).not.toMatch(/4,?321|98,?765|\b777\b|4,?545|\b333\b|\b94%/)
    }
    expect(new Set(csv.map((r) => r.hotspot_id))).toEqual(new Set(['HS-01', 'HS-02', '']))
  })

  it('refuses a hotspot that is not the commander\u2019s, and a chart of one', async () => {
    await expect(renderWeeklyScorecard(scorecardInput({ hotspots: [...HOTSPOTS, OTHER] }))).rejects.toThrow(
      /HS-77.*not one of CMD-NORTH/,
    )
    await expect(
      renderWeeklyScorecard(
        scorecardInput({ images: [...scorecardImages(), ...scorecardImages([OTHER]).slice(0, 1)] }),
      ),
    ).rejects.toThrow(/not the commander/)
  })

  it('a hotspot without a row for the week says so', async () => {
    const rows = scorecardRows()
    rows.scorecard_weekly = rows.scorecard_weekly.filter((r) => r.hotspot_id !== 'HS-02')
    const rendered = await renderWeeklyScorecard(scorecardInput({ rows }))
    expect(rendered.text).toContain('- HS-02 Canal Walk: no figures for this week')
    expect(rendered.text).not.toContain('Canal Walk: 0 crimes')
  })

  it('names the month the monthly figures cover: whole, partial, or one day', async () => {
    const tips = (month: string): WeeklyScorecardRows['tips_monthly'] => [
      {
        month,
        group_type: 'hotspot',
        group_value: 'HS-01',
        received: 3,
        actioned_within_48h: 3,
        share_actioned_within_48h: 1,
        interventions: 0,
        arrests: 0,
      },
    ]
    // 25 to 31 May 2026 ends the month; 26 October to 1 November 2026 has one day of November
    const may = await renderWeeklyScorecard(
      scorecardInput({
        period: weeklyPeriod('2026-W22'),
        rows: { ...scorecardRows(), tips_monthly: tips('2026-05-01') },
      }),
    )
    expect(may.text).toContain('Tips: no data this week; May 2026: 3 received')
    const november = await renderWeeklyScorecard(
      scorecardInput({
        period: weeklyPeriod('2026-W44'),
        rows: { ...scorecardRows(), tips_monthly: tips('2026-11-01') },
      }),
    )
    expect(november.text).toContain('; 1 November 2026: 3 received')
  })

  it('refuses a monthly period', async () => {
    await expect(renderWeeklyScorecard(scorecardInput({ period: monthlyPeriod('2026-10') }))).rejects.toThrow(
      /weekly period/,
    )
  })
})

describe('weekly scorecard: images, CSV, MJML', () => {
  it('has an <img> with alt text for every chart, and passes the charts on', () => {
    const images = scorecardImages()
    expect(email.inlineImages).toEqual(images)
    for (const image of images) {
      const tag = new RegExp(`<img[^>]*src="cid:${image.cid.replace(/[.]/g, '\\.')}"[^>]*>`).exec(
        email.html,
      )?.[0]
      expect(tag, image.cid).toBeDefined()
      expect(tag).toContain(`alt="${image.alt}"`)
    }
    expect(email.html.match(/<img\b/g)).toHaveLength(images.length)
    // each hotspot's charts sit in its own section, the heat map after the last one
    expect(email.html.indexOf('cid:harm-HS-01@hotspot')).toBeLessThan(email.html.indexOf('Canal Walk</div>'))
    expect(email.html.indexOf('cid:patrol-HS-02@hotspot')).toBeLessThan(
      email.html.indexOf('cid:heatmap@hotspot'),
    )
    // the text part describes them
    expect(email.text).toContain('[Chart: Heat map of harm by grid cell around your hotspots]')
  })

  it('htmlPreview inlines every image as a data: URI', () => {
    const preview = htmlPreview(email)
    expect(preview).not.toContain('cid:')
    for (const image of email.inlineImages) {
      expect(preview).toContain(`src="data:image/png;base64,${image.content.toString('base64')}"`)
    }
  })

  it('attaches the CSV under a name with the commander and the week', () => {
    expect(email.attachments).toHaveLength(1)
    expect(email.attachments[0]).toMatchObject({
      filename: 'scorecard-CMD-NORTH-2026-W46.csv',
      contentType: 'text/csv; charset=utf-8',
    })
    expect(Object.keys(csv[0] ?? {})).toEqual([
      'hotspot_id',
      'hotspot_name',
      'measure',
      'period',
      'value',
      'compared_with',
      'comparison_value',
      'comparison_sd',
      'pct_change',
      'z',
      'flag',
      'ci_low',
      'ci_high',
      'n',
    ])
    expect(csv.find((r) => r.hotspot_id === 'HS-01')?.hotspot_name).toBe('Market Square')
  })

  it('null comparisons are "no history", never 0', () => {
    expect(rowOf('HS-02', 'crimes', '2026-W46', 'same week last year')).toMatchObject({
      value: '12',
      comparison_value: '',
      pct_change: '',
      z: '',
      flag: 'no history',
    })
    expect(rowOf('HS-02', 'crimes', '2026-W46', 'seasonal baseline (mean of 9 weeks)')).toMatchObject({
      comparison_value: '',
      flag: 'no history',
    })
    expect(email.text).toContain('Seasonal baseline: no history')
    expect(html).not.toMatch(/Canal Walk 12 crimes, harm 48\.6 days \S+ \S*0%/)
  })

  it('the MJML compiles without errors at validation level strict', async () => {
    const { errors, html: compiled } = await mjml2html(
      documentMjml(weeklyScorecardDocument(scorecardInput())),
      {
        validationLevel: 'strict',
      },
    )
    expect(errors).toEqual([])
    expect(compiled).toContain('Market Square')
    // no web fonts fetched from elsewhere
    expect(compiled).not.toMatch(/fonts\.googleapis/)
  })

  it('the commander name and the force are escaped too', async () => {
    const rendered = await renderWeeklyScorecard(
      scorecardInput({
        commander: { ...COMMANDER, name: 'Insp. Jane O\u2019Neil & <Deputy>' },
        force: 'North & South <Police>',
      }),
    )
    expect(rendered.html).toContain('For Insp. Jane O\u2019Neil &amp; &lt;Deputy&gt;')
    expect(rendered.html).toContain('North &amp; South &lt;Police&gt;')
    expect(rendered.html).not.toContain('<Deputy>')
  })
})

describe('weekly scorecard: rounding', () => {
  it('rounds half away from zero on the decimal value: harm 39.55 shows as 39.6, a CSV harm of 2.675 as 2.68', async () => {
    const rows = scorecardRows()
    rows.scorecard_weekly = rows.scorecard_weekly.map((r) =>
      r.hotspot_id === 'HS-02' && r.week_start === '2026-11-09' ? { ...r, harm: 39.55, harm_28d: 2.675 } : r,
    )
    const rounded = await renderWeeklyScorecard(scorecardInput({ rows }))
    // toFixed(1) gives 39.5 and Number((2.675).toFixed(2)) 2.67: both round the binary double, just below the tie
    expect(visibleText(rounded.html)).toContain('Week 12 39.6 no history 28 days 40 2.7 ')
    expect(rounded.text).toContain('- Week: Crimes 12; Harm (days) 39.6; vs last year no history')
    const records = parse(String(rounded.attachments[0]?.content), {
      columns: true,
      bom: true,
    }) as CsvRecord[]
    const harm = (period: string) =>
      records.find((r) => r.hotspot_id === 'HS-02' && r.measure === 'harm (days)' && r.period === period)
        ?.value
    expect(harm('2026-W46')).toBe('39.55')
    expect(harm('2026-10-19 to 2026-11-15')).toBe('2.68')
  })
})
