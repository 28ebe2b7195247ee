import { describe, expect, it } from 'vitest'
import { columnsOf } from '../../functions/core/contracts/columns.ts'
import { contractFor, FEED_NAMES, type FeedName, GROUP_LISTS } from '../../functions/core/contracts/feeds.ts'
import { validateRow } from '../../functions/core/contracts/validate.ts'
import { BAD_ROWS } from '../../functions/core/generate/bad-rows.ts'
import { AGE_BANDS, ETHNICITY_GROUPS, STOP_SEARCH, TIPS } from '../../functions/core/generate/catalogue.ts'
import { DROP_COLUMNS } from '../../functions/core/generate/columns.ts'
import { timelineOf } from '../../functions/core/generate/generate.ts'
import { AliasTable, Random } from '../../functions/core/generate/random.ts'
import { formatDay, parseDate, weekday } from '../../functions/core/time/days.ts'

describe('generator calendar', () => {
  it('ends the data on a Sunday and leaves at least 12 weeks either side of clear', () => {
    for (const years of [1, 2, 5]) {
      const t = timelineOf('2026-11-15', years)
      expect(formatDay(t.endDay)).toBe('2026-11-15')
      expect(weekday(t.startDay)).toBe(0)
      expect(t.days).toBe(364 * years)
      expect(t.clearFrom - t.startDay).toBeGreaterThanOrEqual(12 * 7)
      expect(t.endDay - t.clearFrom + 1).toBeGreaterThanOrEqual(12 * 7)
      expect(t.holdFrom - t.clearFrom).toBe(28)
    }
    // any other day moves back to the Sunday on or before it
    expect(formatDay(timelineOf('2026-11-19', 1).endDay)).toBe('2026-11-15')
    expect(formatDay(timelineOf('2026-11-22', 1).endDay)).toBe('2026-11-22')
    expect(() => timelineOf('2026-02-30', 1)).toThrow(/not a date/)
  })
})

describe('generator random numbers', () => {
  it('gives the same stream for the same (seed, name, index) and different ones otherwise', () => {
    const draw = (r: Random) => Array.from({ length: 5 }, () => r.nextUint32())
    expect(draw(new Random(7, 'incidents', 3))).toEqual(draw(new Random(7, 'incidents', 3)))
    expect(draw(new Random(7, 'incidents', 3))).not.toEqual(draw(new Random(8, 'incidents', 3)))
    expect(draw(new Random(7, 'incidents', 3))).not.toEqual(draw(new Random(7, 'incidents', 4)))
    expect(draw(new Random(7, 'incidents', 3))).not.toEqual(draw(new Random(7, 'calls', 3)))
  })

  it('draws uniforms, Poisson counts and alias-table choices with the right moments', () => {
    const r = new Random(1, 'moments')
    const n = 200_000
    let sum = 0
    for (let i = 0; i < n; i++) sum += r.next()
    expect(sum / n).toBeCloseTo(0.5, 2)
    for (const mean of [0.4, 4, 37, 3300]) {
      const xs = Array.from({ length: 20_000 }, () => r.poisson(mean))
      const m = xs.reduce((a, b) => a + b, 0) / xs.length
      const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)
      // mean within 4 standard errors; Poisson variance equals the mean (within 5%)
      expect(Math.abs(m - mean)).toBeLessThan(4 * Math.sqrt(mean / xs.length))
      expect(v / mean).toBeGreaterThan(0.95)
      expect(v / mean).toBeLessThan(1.05)
    }
    const table = new AliasTable([1, 2, 3, 4])
    const counts = new Float64Array(4)
    for (let i = 0; i < n; i++) {
      const k = table.draw(r)
      counts[k] = (counts[k] ?? 0) + 1
    }
    counts.forEach((c, i) => {
      expect(c / n).toBeCloseTo((i + 1) / 10, 2)
    })
    const picked = r.sample(20, 8)
    expect(new Set(picked).size).toBe(8)
    expect(picked.every((i) => i >= 0 && i < 20)).toBe(true)
  })
})

/** A valid row of each feed, as the generator writes them. */
const GOOD_ROWS: Record<FeedName, Record<string, string>> = {
  incidents: {
    incident_id: 'INC-00000001',
    reported_at: '2026-03-02T10:15:00Z',
    occurred_at: '2026-03-02T09:50:00Z',
    period_precision: 'exact',
    crime_type: 'Robbery',
    subcategory: '',
    outcome: 'Under investigation',
    status: 'open',
    weapon_flag: 'knife',
    domestic: 'false',
    police_initiated: 'false',
    location_description: 'On or near High Street',
    easting: '530120',
    northing: '180340',
  },
  calls: {
    call_id: 'CAD-00000001',
    received_at: '2026-03-02T10:12:00Z',
    category: 'robbery',
    grade: 'I',
    linked_incident_id: 'INC-00000001',
    lat: '51.512345',
    lon: '-0.101234',
  },
  stop_searches: {
    search_id: 'SS-00000001',
    searched_at: '2026-03-02T22:10:00+00:00',
    type: 'Person search',
    gender: 'Male',
    age_range: '18-24',
    self_defined_ethnicity: 'White - Any other White background',
    officer_defined_ethnicity: 'White',
    legislation: 'Misuse of Drugs Act 1971 (section 23)',
    object_of_search: 'Controlled drugs',
    outcome: 'A no further action disposal',
    outcome_linked: 'false',
    part_of_operation: 'false',
    operation: '',
    lat: '51.512345',
    lon: '-0.101234',
  },
  arrests: {
    arrest_id: 'ARR-00000001',
    arrested_at: '2026-03-02T12:00:00Z',
    offence_category: 'robbery',
    linked_incident_id: 'INC-00000001',
    easting: '530150',
    northing: '180300',
  },
  patrol_visits: {
    visit_id: 'PV-00000001',
    hotspot_id: 'HS-01',
    started_at: '2026-03-02T15:00:00Z',
    ended_at: '2026-03-02T15:13:00Z',
    officers: '2',
    source: 'gps',
  },
  patrol_allocations: { hotspot_id: 'HS-01', date: '2026-03-02', assigned: 'true', trial_id: 'TRIAL-1' },
  survey_responses: {
    response_id: 'SMS-00000001',
    incident_id: 'INC-00000001',
    sent_at: '2026-03-03T10:00:00Z',
    responded_at: '',
    q_ease: '',
    q_actions: '',
    q_informed: '',
    q_treatment: '',
    q_overall: '',
    ethnicity_group: 'Black',
    age_band: '25-44',
    phone_number: '07700 900123',
  },
  tips: {
    tip_id: 'TIP-00000001',
    received_at: '2026-03-02T09:00:00Z',
    source_type: 'resident',
    hotspot_id: 'HS-02',
    category: 'drug dealing',
    actioned_at: '',
    outcome: 'pending',
    lat: '',
    lon: '',
  },
  patrol_pings: {
    device_id: 'TRK-0001',
    recorded_at: '2026-03-02T10:15:05Z',
    lat: '51.5136',
    lon: '-0.0890',
    accuracy_m: '8',
    speed_mps: '1.2',
    heading: '90',
    team: 'B',
    shift_id: 'S-2026-03-02-B',
  },
}

/** An ingest's context for the good rows: now on 2026-11-21, the drop of their day (pings must not be after it). */
const context = { notAfterMs: Date.parse('2026-11-21T12:00:00Z'), dropDay: parseDate('2026-03-02') }

describe('generated drop columns and planted faults', () => {
  // a value off its list would be quarantined in every demo city; blank is an unstated group (absent)
  it.each([
    ['ethnicity_group', Object.keys(ETHNICITY_GROUPS), GROUP_LISTS.ethnicityGroup],
    ['age_band', Object.keys(AGE_BANDS), GROUP_LISTS.ageBand],
    ['gender', Object.keys(STOP_SEARCH.gender), GROUP_LISTS.gender],
    ['age_range', Object.keys(STOP_SEARCH.age), GROUP_LISTS.ageRange],
    [
      'officer_defined_ethnicity',
      Object.keys(STOP_SEARCH.officerEthnicity),
      GROUP_LISTS.officerDefinedEthnicity,
    ],
    [
      'self_defined_ethnicity',
      [...Object.values(STOP_SEARCH.selfDefined).flat(), 'Other ethnic group - Not stated'],
      GROUP_LISTS.selfDefinedEthnicity,
    ],
    ['object_of_search', Object.keys(STOP_SEARCH.object), GROUP_LISTS.objectOfSearch],
    [
      'outcome',
      [...Object.keys(STOP_SEARCH.outcomeAfterFind), ...Object.keys(STOP_SEARCH.outcomeWithoutFind)],
      GROUP_LISTS.searchOutcome,
    ],
    ['source_type', Object.keys(TIPS.source), GROUP_LISTS.tipSource],
    ['tip outcome', [...Object.keys(TIPS.actionedOutcome), 'pending'], GROUP_LISTS.tipOutcome],
  ] as const)('draws %s from its closed list', (_column, drawn, list) => {
    const listed: readonly string[] = list.values
    expect(drawn.filter((value) => value !== '' && !listed.includes(value))).toEqual([])
  })

  it.each(FEED_NAMES)('%s: every drop column is a contract column (or declared personal data)', (feed) => {
    const contract = contractFor(feed)
    const known = new Set([...columnsOf(contract.schema).map((c) => c.name), ...contract.personalColumns])
    expect(DROP_COLUMNS[feed].filter((c) => !known.has(c))).toEqual([])
    const required = columnsOf(contract.schema).filter((c) => c.required)
    expect(required.map((c) => c.name).filter((c) => !DROP_COLUMNS[feed].includes(c))).toEqual([])
    expect(Object.keys(GOOD_ROWS[feed]).sort()).toEqual([...DROP_COLUMNS[feed]].sort())
  })

  it.each(FEED_NAMES)('%s: each planted fault fails validation on its column, with its reason', (feed) => {
    const contract = contractFor(feed)
    expect(validateRow(contract, GOOD_ROWS[feed], context).ok).toBe(true)
    expect(BAD_ROWS[feed].length).toBeGreaterThanOrEqual(2)
    for (const kind of BAD_ROWS[feed]) {
      const values = { ...GOOD_ROWS[feed] }
      kind.apply(values)
      if (kind.truncate !== undefined) {
        expect(kind.code).toBe('wrong_field_count')
        expect(kind.reason).toBe(`expected ${DROP_COLUMNS[feed].length} fields, found ${kind.truncate}`)
        continue
      }
      const checked = validateRow(contract, values, context)
      expect(checked.ok, kind.kind).toBe(false)
      if (checked.ok) continue
      expect(checked.issues, kind.kind).toHaveLength(1)
      expect(checked.issues[0]?.column, kind.kind).toBe(kind.column)
      expect(checked.issues[0]?.reason, kind.kind).toContain(kind.reason)
    }
  })
})
