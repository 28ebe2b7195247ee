import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, rectangle, TestLake, weights } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * Hotspots H1 (cells 20000..20001 x 7000..7001) and H2 (20001..20002 x 7001..7002) share cell (20001, 7001).
 * H1 also has a buffer ring cell and there is a control area C1: neither is reported.
 * Harm weights: Burglary 10, Robbery 100, Violence and sexual offences 50, Drugs 5, Anti-social behaviour 0.
 */
const inH1 = cellCentre(20_000, 7_000)
const inH2 = cellCentre(20_002, 7_002)
const inBoth = cellCentre(20_001, 7_001)
const inBuffer = cellCentre(20_003, 7_000)
const inControl = cellCentre(23_000, 9_500)
const outside = cellCentre(20_100, 7_100)

const incident = (id: string, at: string, crimeType: string, where: object, extra: object = {}) => ({
  incident_id: id,
  reported_at: at,
  crime_type: crimeType,
  ...where,
  ...extra,
})
const visit = (id: string, hotspot: string, start: string, minutes: number) => ({
  visit_id: id,
  hotspot_id: hotspot,
  started_at: start,
  ended_at: new Date(Date.parse(start) + minutes * 60_000).toISOString(),
})

type Expected = [
  section: string,
  measure: string,
  breakdown: string,
  value: number | null,
  unit: string,
  numerator?: number,
  denominator?: number,
]

describe('funder_monthly', () => {
  let lake: TestLake
  let rows: Record<string, unknown>[]
  beforeAll(async () => {
    lake = await TestLake.create({
      area_cells: [
        ...rectangle('H1', 'hotspot', 20_000, 7_000, 2, 2),
        ...rectangle('H1', 'buffer', 20_003, 7_000, 1, 1),
        ...rectangle('H2', 'hotspot', 20_001, 7_001, 2, 2),
        ...rectangle('C1', 'control', 23_000, 9_500, 1, 1),
      ],
      harm_weights: weights({
        Burglary: 10,
        Robbery: 100,
        'Violence and sexual offences': 50,
        Drugs: 5,
        'Anti-social behaviour': 0,
      }),
      feeds: {
        incidents: [
          // a year earlier: two burglaries in H1 in March 2025, one outside
          incident('L1', '2025-03-10T10:00:00Z', 'Burglary', inH1),
          incident('L2', '2025-03-20T10:00:00Z', 'Burglary', inH1),
          incident('L3', '2025-03-20T10:00:00Z', 'Burglary', outside),
          // 23:30 GMT on 28 February: February
          incident('A0', '2026-02-28T23:30:00Z', 'Burglary', inH1),
          incident('A1', '2026-03-05T10:00:00Z', 'Burglary', inH1),
          // A1 recorded as a robbery by the 20 April drop
          incident('A1', '2026-03-05T10:00:00Z', 'Robbery', inH1, { drop_date: '2026-04-20' }),
          incident('A2', '2026-03-06T10:00:00Z', 'Robbery', inH1),
          incident('A3', '2026-03-07T10:00:00Z', 'Violence and sexual offences', inH2),
          incident('A4', '2026-03-08T10:00:00Z', 'Drugs', inH2, { police_initiated: true }),
          incident('A5', '2026-03-09T10:00:00Z', 'Anti-social behaviour', inH2),
          incident('A6', '2026-03-10T10:00:00Z', 'Burglary', outside),
          incident('A7', '2026-03-11T10:00:00Z', 'Burglary', inBoth),
          incident('A9', '2026-03-12T10:00:00Z', 'Robbery', inBuffer),
          incident('A10', '2026-03-12T11:00:00Z', 'Robbery', inControl),
          // 23:30 UTC on 31 March is 00:30 BST on 1 April
          incident('A8', '2026-03-31T23:30:00Z', 'Burglary', inH1),
        ],
        patrol_visits: [
          visit('V1', 'H1', '2026-03-02T10:00:00Z', 12), // compliant
          visit('V2', 'H1', '2026-03-02T15:00:00Z', 20), // too long
          visit('V3', 'H1', '2026-03-03T10:00:00Z', 10), // compliant (edge)
          visit('V4', 'H2', '2026-03-02T09:00:00Z', 16), // compliant (edge)
          visit('V5', 'H2', '2026-03-04T09:00:00Z', 9), // too short
          visit('V6', 'C1', '2026-03-02T09:00:00Z', 12), // a control area: not programme dosage
        ],
        patrol_allocations: [
          { hotspot_id: 'H1', date: '2026-03-02', assigned: true }, // V1 compliant
          { hotspot_id: 'H1', date: '2026-03-03', assigned: true }, // V3 compliant
          { hotspot_id: 'H1', date: '2026-03-04', assigned: false },
          { hotspot_id: 'H2', date: '2026-03-02', assigned: true }, // V4 compliant
          { hotspot_id: 'H2', date: '2026-03-04', assigned: true }, // V5 only: not compliant
          { hotspot_id: 'H2', date: '2026-03-05', assigned: true }, // no visit
        ],
        arrests: [
          { arrest_id: 'R1', arrested_at: '2026-03-05T12:00:00Z', offence_category: 'Theft', ...inH1 },
          { arrest_id: 'R2', arrested_at: '2026-03-06T12:00:00Z', offence_category: 'Theft', ...inBoth },
          { arrest_id: 'R3', arrested_at: '2026-03-07T12:00:00Z', offence_category: 'Theft', ...outside },
          { arrest_id: 'R4', arrested_at: '2026-03-08T12:00:00Z', offence_category: 'Theft' },
        ],
        stop_searches: [
          { search_id: 'K1', searched_at: '2026-03-05T12:00:00Z', outcome_linked: true, ...inH1 },
          { search_id: 'K2', searched_at: '2026-03-06T12:00:00Z', outcome_linked: false, ...inH1 },
          { search_id: 'K3', searched_at: '2026-03-07T12:00:00Z', outcome_linked: true, ...inH2 },
          { search_id: 'K4', searched_at: '2026-03-08T12:00:00Z', outcome_linked: true, ...outside },
          { search_id: 'K5', searched_at: '2026-03-09T12:00:00Z', outcome_linked: true },
        ],
        tips: [
          { tip_id: 'T1', received_at: '2026-03-05T12:00:00Z', source_type: 'resident', hotspot_id: 'H2' },
          { tip_id: 'T2', received_at: '2026-03-06T12:00:00Z', source_type: 'resident', ...inH1 },
          {
            tip_id: 'T3',
            received_at: '2026-03-07T12:00:00Z',
            source_type: 'school',
            hotspot_id: 'H1',
            ...inH1,
          },
          { tip_id: 'T4', received_at: '2026-03-08T12:00:00Z', source_type: 'other', ...outside },
        ],
        survey_responses: [
          { response_id: 'S1', incident_id: 'A1', sent_at: '2026-03-06T12:00:00Z', q_overall: 2 },
          { response_id: 'S2', incident_id: 'A2', sent_at: '2026-03-07T12:00:00Z', q_overall: 5 },
          { response_id: 'S3', incident_id: 'A3', sent_at: '2026-03-08T12:00:00Z', q_overall: 1 },
          { response_id: 'S4', incident_id: 'A6', sent_at: '2026-03-11T12:00:00Z', q_overall: 1 },
          { response_id: 'S5', incident_id: 'A7', sent_at: '2026-03-12T12:00:00Z', q_overall: null },
        ],
      },
    })
    rows = await lake.mart('funder_monthly', '2026-04-15')
  })
  afterAll(async () => {
    await lake.close()
  })

  const pick = (from: Record<string, unknown>[], month: string, measure: string, breakdown: string) =>
    from.find((r) => r.month === month && r.measure === measure && r.breakdown === breakdown)

  it('covers every month from the first with data to the last complete one, for all and each hotspot', () => {
    // first data: March 2025 (L1); as of 15 April 2026 the last complete month is March 2026: 13 months
    const months = [...new Set(rows.map((r) => r.month))]
    expect(months).toHaveLength(13)
    expect(months[0]).toBe('2025-03-01')
    expect(months.at(-1)).toBe('2026-03-01')
    // the buffer and the control area are not breakdowns: 18 measures x 3 breakdowns x 13 months
    expect([...new Set(rows.map((r) => r.breakdown))].sort()).toEqual(['H1', 'H2', 'all'])
    expect(rows).toHaveLength(18 * 3 * 13)
  })

  it('gives every March 2026 figure, rates with their numerators and denominators', () => {
    const expected: Expected[] = [
      // Crime. H1: A1 Burglary 10 (its robbery correction is dropped after 15 April), A2 Robbery 100 (serious
      // violence), A7 Burglary 10 (the shared cell): 3, harm 120, SV 1.
      // H2: A3 VSO 50 (no subcategory: SV), A4 Drugs police-initiated 0, A5 ASB 0, A7 10: 4, harm 60, SV 1.
      // all: A1 A2 A3 A4 A5 A7 (A7 once): 6, harm 170, SV 2. A6 is outside, A9 in the buffer, A10 in the control.
      // Last year (March 2025): H1 L1 L2 = 2, H2 0, all 2 (L3 is outside).
      ['crime', 'crime_count', 'H1', 3, 'count'],
      ['crime', 'crime_count', 'H2', 4, 'count'],
      ['crime', 'crime_count', 'all', 6, 'count'],
      ['crime', 'crime_count_last_year', 'H1', 2, 'count'],
      ['crime', 'crime_count_last_year', 'H2', 0, 'count'],
      ['crime', 'crime_count_last_year', 'all', 2, 'count'],
      ['crime', 'harm', 'H1', 120, 'days'],
      ['crime', 'harm', 'H2', 60, 'days'],
      ['crime', 'harm', 'all', 170, 'days'],
      ['crime', 'serious_violence_count', 'H1', 1, 'count'],
      ['crime', 'serious_violence_count', 'H2', 1, 'count'],
      ['crime', 'serious_violence_count', 'all', 2, 'count'],
      // Patrol. H1: V1 12, V2 20, V3 10 min: 3 visits, 42 min, compliant V1 V3 = 2 -> 2/3 = 66.667%.
      // H2: V4 16, V5 9: 2 visits, 25 min, compliant V4 -> 1/2 = 50%. all: 5 visits, 67 min, 3 -> 3/5 = 60%.
      // Assigned days: H1 2 and 3 March, both with a compliant visit: 2/2 = 100%; H2 2, 4 and 5 March, only
      // the 2nd has one: 1/3 = 33.333%; all 3/5 = 60%. V6 (control C1) counts nowhere.
      ['patrol', 'assigned_days', 'H1', 2, 'count'],
      ['patrol', 'assigned_days', 'H2', 3, 'count'],
      ['patrol', 'assigned_days', 'all', 5, 'count'],
      ['patrol', 'assigned_days_compliant_pct', 'H1', 100, 'percent', 2, 2],
      ['patrol', 'assigned_days_compliant_pct', 'H2', 100 / 3, 'percent', 1, 3],
      ['patrol', 'assigned_days_compliant_pct', 'all', 60, 'percent', 3, 5],
      ['patrol', 'compliant_visit_pct', 'H1', 200 / 3, 'percent', 2, 3],
      ['patrol', 'compliant_visit_pct', 'H2', 50, 'percent', 1, 2],
      ['patrol', 'compliant_visit_pct', 'all', 60, 'percent', 3, 5],
      ['patrol', 'compliant_visits', 'H1', 2, 'count'],
      ['patrol', 'compliant_visits', 'H2', 1, 'count'],
      ['patrol', 'compliant_visits', 'all', 3, 'count'],
      ['patrol', 'patrol_minutes', 'H1', 42, 'minutes'],
      ['patrol', 'patrol_minutes', 'H2', 25, 'minutes'],
      ['patrol', 'patrol_minutes', 'all', 67, 'minutes'],
      ['patrol', 'visits', 'H1', 3, 'count'],
      ['patrol', 'visits', 'H2', 2, 'count'],
      ['patrol', 'visits', 'all', 5, 'count'],
      // Arrests: R1 (H1), R2 (shared cell: H1 and H2, once in all); R3 outside, R4 no location
      ['arrests', 'arrests', 'H1', 2, 'count'],
      ['arrests', 'arrests', 'H2', 1, 'count'],
      ['arrests', 'arrests', 'all', 2, 'count'],
      // Stop and search: H1 K1 (find) K2: 1 of 2; H2 K3 (find): 1 of 1; all 2 of 3. K4 outside, K5 unlocated.
      ['stop_search', 'find_rate', 'H1', 0.5, 'rate', 1, 2],
      ['stop_search', 'find_rate', 'H2', 1, 'rate', 1, 1],
      ['stop_search', 'find_rate', 'all', 2 / 3, 'rate', 2, 3],
      ['stop_search', 'finds', 'H1', 1, 'count'],
      ['stop_search', 'finds', 'H2', 1, 'count'],
      ['stop_search', 'finds', 'all', 2, 'count'],
      ['stop_search', 'searches', 'H1', 2, 'count'],
      ['stop_search', 'searches', 'H2', 1, 'count'],
      ['stop_search', 'searches', 'all', 3, 'count'],
      // Tips: T1 names H2; T2 lies in H1; T3 names H1 and lies in it (once); T4 outside
      ['tips', 'tips_received', 'H1', 2, 'count'],
      ['tips', 'tips_received', 'H2', 1, 'count'],
      ['tips', 'tips_received', 'all', 3, 'count'],
      // Satisfaction (q_overall) by the incident's place: H1 S1 (2: satisfied), S2 (5), S5 (shared cell, no
      // answer): 1 of 2 valid. Wilson p = 1/2, n = 2: centre 0.5; half = 1.96 sqrt(0.25/2 + 3.8416/16) /
      // (1 + 3.8416/2) = 1.96 sqrt(0.3651) / 2.9208 = 1.96 x 0.6042350536 / 2.9208 = 0.4054713452: 9.4528654801
      // .. 90.5471345199. H2: S3 (1) and S5: 1 of 1: 100%, lower = 1 / (1 + 3.8416) = 20.6543291474, upper 100.
      // all: S1 S2 S3 S5: 2 of 3: 66.667%, Wilson 20.7654955126 .. 93.8509684724 (as victim_satisfaction_monthly).
      // S4's incident is outside.
      ['satisfaction', 'q_overall_ci_high', 'H1', 90.5471345199, 'percent', 1, 2],
      ['satisfaction', 'q_overall_ci_high', 'H2', 100, 'percent', 1, 1],
      ['satisfaction', 'q_overall_ci_high', 'all', 93.8509684724, 'percent', 2, 3],
      ['satisfaction', 'q_overall_ci_low', 'H1', 9.4528654801, 'percent', 1, 2],
      ['satisfaction', 'q_overall_ci_low', 'H2', 20.6543291474, 'percent', 1, 1],
      ['satisfaction', 'q_overall_ci_low', 'all', 20.7654955126, 'percent', 2, 3],
      ['satisfaction', 'q_overall_pct_satisfied', 'H1', 50, 'percent', 1, 2],
      ['satisfaction', 'q_overall_pct_satisfied', 'H2', 100, 'percent', 1, 1],
      ['satisfaction', 'q_overall_pct_satisfied', 'all', 200 / 3, 'percent', 2, 3],
    ]
    // Change flags of the counts against March 2025, where only L1 and L2 (H1) happened: Z = 2(sqrt(now) -
    // sqrt(then)). Crime: H1 3 vs 2: 0.64; H2 4 vs 0: 4 (up); all 6 vs 2: 2.07. Every other count against 0:
    // 1 gives 2, 2 gives 2.83 (no significant change), 3 gives 3.46 and 5 gives 4.47 (up).
    const up = ['crime_count/H2', 'visits/H1', 'visits/all', 'compliant_visits/all', 'assigned_days/H2']
    up.push('assigned_days/all', 'searches/all', 'tips_received/all')
    const flagOf = (measure: string, breakdown: string, unit: string) =>
      unit !== 'count' || measure === 'crime_count_last_year'
        ? null
        : up.includes(`${measure}/${breakdown}`)
          ? 'up'
          : 'no significant change'
    const march = rows.filter((r) => r.month === '2026-03-01')
    const sortKey = (r: Record<string, unknown>) => `${r.section}/${r.measure}/${r.breakdown}`
    expect(march.map(sortKey)).toEqual(
      expected.map(([s, m, b]) => `${s}/${m}/${b}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    )
    for (const [section, measure, breakdown, value, unit, numerator, denominator] of expected) {
      const got = pick(march, '2026-03-01', measure, breakdown)
      expect(got, `${measure} ${breakdown}`).toEqual({
        month: '2026-03-01',
        section,
        measure,
        breakdown,
        value: value === null ? null : sixDecimals(value),
        unit,
        numerator: numerator ?? null,
        denominator: denominator ?? null,
        weights_version: measure === 'harm' ? 'w-test' : null,
        flag: flagOf(measure, breakdown, unit),
      })
    }
  })

  it('leaves last year unknown before the first incident in the lake, and rates empty without a denominator', () => {
    // February 2026: A0 (23:30 GMT on 28 February) in H1; February 2025 is before March 2025, the first month
    // with any incident: not known, so null rather than 0
    expect(pick(rows, '2026-02-01', 'crime_count', 'all')?.value).toBe(1)
    expect(pick(rows, '2026-02-01', 'crime_count_last_year', 'all')?.value).toBeNull()
    // and so is every count's change flag
    expect(pick(rows, '2026-02-01', 'crime_count', 'all')?.flag).toBeNull()
    expect(pick(rows, '2026-02-01', 'arrests', 'H1')?.flag).toBeNull()
    // March 2025 itself: L1 and L2 in H1
    expect(pick(rows, '2025-03-01', 'crime_count', 'H1')?.value).toBe(2)
    expect(pick(rows, '2025-03-01', 'crime_count_last_year', 'H1')?.value).toBeNull()
    // no searches in February: the rate is empty, its counts are 0
    expect(pick(rows, '2026-02-01', 'find_rate', 'all')).toMatchObject({
      value: null,
      numerator: 0,
      denominator: 0,
    })
    expect(pick(rows, '2026-02-01', 'q_overall_ci_low', 'H1')).toMatchObject({
      value: null,
      numerator: 0,
      denominator: 0,
    })
  })

  it('reports a month only once it is complete, with the versions known by then', async () => {
    // 29 April: April is not complete yet
    const before = await lake.mart('funder_monthly', '2026-04-29')
    expect(before.at(-1)?.month).toBe('2026-03-01')
    // 30 April: April is. A8 (00:30 BST on 1 April) is April's, and A1 is now a robbery (dropped 20 April):
    // H1 March harm = A1 100 + A2 100 + A7 10 = 210, serious violence A1, A2 = 2
    const after = await lake.mart('funder_monthly', '2026-04-30')
    expect(after.at(-1)?.month).toBe('2026-04-01')
    expect(pick(after, '2026-04-01', 'crime_count', 'H1')?.value).toBe(1)
    expect(pick(after, '2026-03-01', 'harm', 'H1')?.value).toBe(210)
    expect(pick(after, '2026-03-01', 'serious_violence_count', 'H1')?.value).toBe(2)
    expect(pick(after, '2026-03-01', 'crime_count', 'H1')?.value).toBe(3)
  })
})

describe('funder_monthly: limits that the engines count differently', () => {
  /*
   * H1 is the single 25 m cell (20000, 7000): eastings 500000 .. 500024, northings 175000 .. 175024.
   * - An incident at easting 500024, northing 175024 (mod 25 = 24 on both axes) lies in H1. With easting / 25.0
   *   Trino divided as DECIMAL, keeping one decimal rounded half up: 20000.96 -> 20001.0, the next cell. One at
   *   500025, 175000 is in cell 20001: outside.
   * - Four visits on a Koper limit, with fractions of a second so that counting whole seconds elapsed (Trino) or
   *   second boundaries crossed (DuckDB) would put one of them on the wrong side; compared in milliseconds, the
   *   rule patrol_dosage uses (600 000 .. 960 000 ms):
   *     1 June  599 999 ms  (9:59.999)   not compliant
   *     2 June  600 000 ms  (10:00.000)  compliant
   *     3 June  960 000 ms  (16:00.000)  compliant
   *     4 June  960 001 ms  (16:00.001)  not compliant
   *   patrol_minutes = 3 120 000 ms / 60 000 = 52 (the 1 ms short and 1 ms over cancel out). Each of the four days is assigned:
   *   assigned_days 4, of which 2 have a compliant visit: 50%.
   * As of 30 June 2026, June is the last complete month and the first with data: one month.
   */
  let lake: TestLake
  let rows: Record<string, unknown>[]
  beforeAll(async () => {
    const visitAt = (id: string, start: string, end: string) => ({
      visit_id: id,
      hotspot_id: 'H1',
      started_at: start,
      ended_at: end,
    })
    lake = await TestLake.create({
      area_cells: rectangle('H1', 'hotspot', 20_000, 7_000, 1, 1),
      harm_weights: weights({ Burglary: 10 }),
      feeds: {
        incidents: [
          incident('E1', '2026-06-10T12:00:00Z', 'Burglary', { easting: 500_024, northing: 175_024 }),
          incident('E2', '2026-06-10T12:00:00Z', 'Burglary', { easting: 500_025, northing: 175_000 }),
        ],
        patrol_visits: [
          visitAt('V1', '2026-06-01T10:00:00.500Z', '2026-06-01T10:10:00.499Z'),
          visitAt('V2', '2026-06-02T10:00:00.700Z', '2026-06-02T10:10:00.700Z'),
          visitAt('V3', '2026-06-03T10:00:00.300Z', '2026-06-03T10:16:00.300Z'),
          visitAt('V4', '2026-06-04T10:00:00.999Z', '2026-06-04T10:16:01.000Z'),
        ],
        patrol_allocations: ['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04'].map((date) => ({
          hotspot_id: 'H1',
          date,
          assigned: true,
        })),
      },
    })
    rows = await lake.mart('funder_monthly', '2026-06-30')
  })
  afterAll(async () => {
    await lake.close()
  })

  it('keeps an easting with mod 25 = 24 in its cell and counts visits to the millisecond', () => {
    const june = (measure: string) =>
      rows
        .filter((r) => r.month === '2026-06-01' && r.measure === measure)
        .map((r) => [r.breakdown, r.value, r.numerator, r.denominator])
    expect(june('crime_count')).toEqual([
      ['H1', 1, null, null],
      ['all', 1, null, null],
    ])
    expect(june('harm')).toEqual([
      ['H1', 10, null, null],
      ['all', 10, null, null],
    ])
    expect(june('visits')).toEqual([
      ['H1', 4, null, null],
      ['all', 4, null, null],
    ])
    expect(june('patrol_minutes')).toEqual([
      ['H1', 52, null, null],
      ['all', 52, null, null],
    ])
    expect(june('compliant_visits')).toEqual([
      ['H1', 2, null, null],
      ['all', 2, null, null],
    ])
    expect(june('compliant_visit_pct')).toEqual([
      ['H1', 50, 2, 4],
      ['all', 50, 2, 4],
    ])
    expect(june('assigned_days')).toEqual([
      ['H1', 4, null, null],
      ['all', 4, null, null],
    ])
    expect(june('assigned_days_compliant_pct')).toEqual([
      ['H1', 50, 2, 4],
      ['all', 50, 2, 4],
    ])
  })
})

describe('funder_monthly: satisfaction over the surveys whose 72 h window closed', () => {
  /*
   * As of 31 October 2026 (GMT: London = UTC), October is complete, but its last surveys are still inside their
   * 72 h response window. Incidents E1..E4 in H1:
   *   S1 sent 10 Oct, answered within the window, q_overall 1 (satisfied)       counted
   *   S2 sent 12 Oct, answered 72 h + 1 min later, q_overall 7                   closed; a late answer: not counted
   *   S3 sent 30 Oct 12:00 (window ends 2 Nov), answered 31 Oct, q_overall 7     open: not counted yet
   * H1 and all: 1 of 1 satisfied = 100% (not 1 of 3 = 33.3%), Wilson 1 of 1: 20.65432914739 .. 100.
   * As of 2 November the window of S3 has closed (ended 2 Nov 12:00, a day on or before 2 Nov): 1 of 2 = 50%.
   */
  let lake: TestLake
  beforeAll(async () => {
    const inH1Incident = (id: string, at: string) => incident(id, at, 'Burglary', inH1)
    lake = await TestLake.create({
      area_cells: rectangle('H1', 'hotspot', 20_000, 7_000, 2, 2),
      harm_weights: weights({ Burglary: 10 }),
      feeds: {
        incidents: [
          inH1Incident('E1', '2026-10-09T12:00:00Z'),
          inH1Incident('E2', '2026-10-11T12:00:00Z'),
          inH1Incident('E3', '2026-10-29T12:00:00Z'),
        ],
        survey_responses: [
          {
            response_id: 'S1',
            incident_id: 'E1',
            sent_at: '2026-10-10T12:00:00Z',
            responded_at: '2026-10-10T13:00:00Z',
            q_overall: 1,
          },
          {
            response_id: 'S2',
            incident_id: 'E2',
            sent_at: '2026-10-12T12:00:00Z',
            responded_at: '2026-10-15T12:01:00Z',
            q_overall: 7,
          },
          {
            response_id: 'S3',
            incident_id: 'E3',
            sent_at: '2026-10-30T12:00:00Z',
            responded_at: '2026-10-31T08:00:00Z',
            q_overall: 7,
          },
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  const october = (rows: Record<string, unknown>[], measure: string) =>
    rows
      .filter((r) => r.month === '2026-10-01' && r.measure === measure)
      .map((r) => [r.breakdown, r.value, r.numerator, r.denominator])

  it('leaves out the open surveys and answers received after the window', async () => {
    const rows = await lake.mart('funder_monthly', '2026-10-31')
    expect(october(rows, 'q_overall_pct_satisfied')).toEqual([
      ['H1', 100, 1, 1],
      ['all', 100, 1, 1],
    ])
    expect(october(rows, 'q_overall_ci_low')).toEqual([
      ['H1', sixDecimals(20.65432914739), 1, 1],
      ['all', sixDecimals(20.65432914739), 1, 1],
    ])
  })

  it('counts a survey once its window has closed', async () => {
    const rows = await lake.mart('funder_monthly', '2026-11-02')
    expect(october(rows, 'q_overall_pct_satisfied')).toEqual([
      ['H1', 50, 1, 2],
      ['all', 50, 1, 2],
    ])
  })
})
