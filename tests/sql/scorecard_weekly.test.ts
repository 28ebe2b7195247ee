import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, type GivenRow, rectangle, TestLake, weights } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * scorecard_weekly, given/expect. Every expected value below is worked out by hand from the rows given, with
 * the arithmetic in the comments; floating values are compared to 9 decimals.
 *
 * Cells: H1 is 2 x 2 cells from (21000, 7200), H2 from (21010, 7200), H3 from (21020, 7200). Weights (days):
 * Burglary 10, Robbery 100, Drugs 5, Anti-social behaviour 0.
 */

const H1 = cellCentre(21_000, 7_200)
const H1_OTHER_CELL = cellCentre(21_001, 7_201)
const H1_BUFFER = cellCentre(21_002, 7_200)
const H2 = cellCentre(21_010, 7_200)
const H3 = cellCentre(21_020, 7_200)
const CONTROL = cellCentre(21_030, 7_200)
const OUTSIDE = cellCentre(21_050, 7_250)

const WEIGHTS = weights({ Burglary: 10, Robbery: 100, Drugs: 5, 'Anti-social behaviour': 0 })

let serial = 0
function incident(
  reportedAt: string,
  crimeType: string,
  at: { easting: number; northing: number },
  extra: GivenRow = {},
): GivenRow {
  serial += 1
  return { incident_id: `I${serial}`, reported_at: reportedAt, crime_type: crimeType, ...at, ...extra }
}

function times(n: number, row: () => GivenRow): GivenRow[] {
  return Array.from({ length: n }, row)
}

function hotspot(areaId: string, clearFrom: string | null, extra: GivenRow = {}): GivenRow {
  return {
    area_id: areaId,
    role: 'hotspot',
    name: `Hotspot ${areaId}`,
    borough: 'Southend',
    commander_id: 'C1',
    buffer_m: 100,
    clear_from: clearFrom,
    ...extra,
  }
}

/** A row of a hotspot-week with no events in it or in any comparison period (all covered by data). */
function emptyWeek(hotspotId: string, weekStart: string, weekEnd: string, isoWeek: number) {
  return {
    hotspot_id: hotspotId,
    week_start: weekStart,
    week_end: weekEnd,
    iso_year: 2026,
    iso_week: isoWeek,
    weights_version: 'w-test',
    crime_count: 0,
    harm: 0,
    serious_violence_count: 0,
    serious_violence_harm: 0,
    arrests: 0,
    stop_searches: 0,
    tips: 0,
    count_last_year: 0,
    harm_last_year: 0,
    pct_change_last_year: null, // comparison 0
    z_last_year: 0, // 2(sqrt 0 - sqrt 0)
    flag: 'no significant change',
    baseline_mean: 0, // zero baseline: 9 zeros
    baseline_sd: 0,
    z_baseline: null, // sd 0
    flag_baseline: 'no significant change',
    count_28d: 0,
    harm_28d: 0,
    count_28d_last_year: 0,
    z_28d: 0,
    flag_28d: 'no significant change',
    count_fytd: 0,
    harm_fytd: 0,
    count_fytd_last_year: 0,
    z_fytd: 0,
    flag_fytd: 'no significant change',
    baseline_harm_mean: 0, // 9 weeks of harm 0
    baseline_harm_sd: 0,
  }
}

describe('scorecard_weekly: weeks, clock changes, financial year, as-of versions', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: [
        hotspot('H1', '2026-03-25'), // programme start: a Wednesday, so the first week is Mon 23 March
        hotspot('H2', '2026-04-10'),
        // neither may move the programme start or get rows: a control area, and another register version
        hotspot('C9', '2026-01-05', { role: 'control', commander_id: null, buffer_m: 0 }),
        hotspot('H0', '2025-01-06', { register_version: 'r-old' }),
      ],
      area_cells: [
        ...rectangle('H1', 'hotspot', 21_000, 7_200, 2, 2),
        ...rectangle('H1', 'buffer', 21_002, 7_200, 1, 2),
        ...rectangle('H2', 'hotspot', 21_010, 7_200, 2, 2),
        ...rectangle('C9', 'control', 21_030, 7_200, 2, 2),
        ...rectangle('H0', 'hotspot', 21_050, 7_250, 1, 1).map((c) => ({ ...c, register_version: 'r-old' })),
      ],
      harm_weights: WEIGHTS,
      feeds: {
        incidents: [
          // the lake's incident data begin in 2022: every comparison period below is covered
          incident('2022-06-01T12:00:00Z', 'Burglary', OUTSIDE),
          // --- 2026 week 13 (Mon 23 .. Sun 29 March; clocks go forward 01:00 UTC Sunday 29 March) ---
          incident('2026-03-23T00:30:00Z', 'Burglary', H1), // a1: 00:30 GMT Monday 23: week 13
          incident('2026-03-29T22:30:00Z', 'Robbery', H1), // a2: 23:30 BST Sunday 29: week 13, serious violence
          incident('2026-03-29T23:30:00Z', 'Burglary', H1_OTHER_CELL), // a3: 00:30 BST Monday 30: week 14
          incident('2026-03-22T23:30:00Z', 'Burglary', H1), // a4: 23:30 GMT Sunday 22: week 12 (28-day only)
          incident('2026-03-25T12:00:00Z', 'Anti-social behaviour', H1), // a5: counted, harm 0
          incident('2026-03-26T12:00:00Z', 'Drugs', H1, { police_initiated: true }), // a6: counted, harm 0
          incident('2026-03-24T12:00:00Z', 'Burglary', H1_BUFFER), // a7: in the buffer: not the hotspot
          incident('2026-03-24T12:00:00Z', 'Burglary', CONTROL), // in the control area: no hotspot
          // a8: in H1 on the 28 March drop; the 9 April drop moves it out (current as of 7 April: in H1)
          { ...incident('2026-03-27T12:00:00Z', 'Burglary', H1), incident_id: 'A8', drop_date: '2026-03-28' },
          {
            ...incident('2026-03-27T12:00:00Z', 'Burglary', OUTSIDE),
            incident_id: 'A8',
            drop_date: '2026-04-09',
          },
          // a9: a Robbery of 28 March first dropped on 8 April: unknown as of 7 April
          incident('2026-03-28T12:00:00Z', 'Robbery', H1, { drop_date: '2026-04-08' }),
          // month-precision (data.police.uk) record dated 1 March: never placed in a week
          incident('2026-03-01T00:00:00Z', 'Burglary', H1, { period_precision: 'month' }),
          // --- 2026 week 14 (Mon 30 March .. Sun 5 April; the financial year starts Wednesday 1 April) ---
          incident('2026-03-31T22:30:00Z', 'Burglary', H1), // a10: 23:30 BST Tuesday 31 March: before FY
          incident('2026-03-31T23:30:00Z', 'Burglary', H1), // a11: 00:30 BST Wednesday 1 April: FYTD
          incident('2026-04-06T10:00:00Z', 'Burglary', H1), // a12: week 15, not complete as of 7 April
          // --- a year and two before ---
          incident('2025-03-24T10:00:00Z', 'Burglary', H1), // b1: 2025 week 13 (24 .. 30 March 2025)
          incident('2025-04-01T10:00:00Z', 'Burglary', H1), // b2: 2025 week 14 (31 March .. 6 April)
          incident('2025-04-02T10:00:00Z', 'Burglary', H1), // b3: 2025 week 14
          incident('2025-03-02T12:00:00Z', 'Burglary', H1), // b4: 2025 week 9
          incident('2025-03-03T00:30:00Z', 'Burglary', H1), // b5: 2025 week 10 (Monday 3 March)
          incident('2024-04-01T10:00:00Z', 'Burglary', H1), // b6: 2024 week 14 (1 .. 7 April 2024)
          incident('2024-04-02T10:00:00Z', 'Burglary', H1), // b7: 2024 week 14
          // --- October: clocks go back 01:00 UTC Sunday 25 October 2026 ---
          incident('2026-10-18T22:30:00Z', 'Burglary', H1), // c6: 23:30 BST Sunday 18: week 42
          incident('2026-10-18T23:30:00Z', 'Burglary', H1), // c3: 00:30 BST Monday 19: week 43
          incident('2026-10-25T00:30:00Z', 'Burglary', H1), // c4: 01:30 BST Sunday 25 (first 01:30): week 43
          incident('2026-10-25T01:30:00Z', 'Burglary', H1), // c5: 01:30 GMT Sunday 25 (second 01:30): week 43
          incident('2026-10-25T23:30:00Z', 'Burglary', H1), // c1: 23:30 GMT Sunday 25: week 43
          incident('2026-10-26T00:30:00Z', 'Burglary', H1), // c2: 00:30 GMT Monday 26: week 44
        ],
        arrests: [
          { arrest_id: 'R1', arrested_at: '2026-03-29T22:30:00Z', offence_category: 'Robbery', ...H1 }, // wk 13
          { arrest_id: 'R2', arrested_at: '2026-03-29T23:30:00Z', offence_category: 'Robbery', ...H1 }, // wk 14
          { arrest_id: 'R3', arrested_at: '2026-03-25T12:00:00Z', offence_category: 'Robbery' }, // no location
        ],
        stop_searches: [
          { search_id: 'S1', searched_at: '2026-03-24T12:00:00Z', ...H1 }, // week 13
          { search_id: 'S2', searched_at: '2026-03-31T12:00:00Z', ...H1_BUFFER }, // buffer: no hotspot
        ],
        tips: [
          // T1 names H1 and lies in it: one tip for H1
          {
            tip_id: 'T1',
            received_at: '2026-03-24T12:00:00Z',
            source_type: 'resident',
            hotspot_id: 'H1',
            ...H1,
          },
          // T2 names H1, no location (week 14); T3 lies in H1, names none (week 13)
          { tip_id: 'T2', received_at: '2026-04-01T12:00:00Z', source_type: 'school', hotspot_id: 'H1' },
          { tip_id: 'T3', received_at: '2026-03-25T12:00:00Z', source_type: 'shopkeeper', ...H1 },
          // T4 names the old register's hotspot only
          { tip_id: 'T4', received_at: '2026-03-25T12:00:00Z', source_type: 'other', hotspot_id: 'H0' },
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('as of Tuesday 7 April 2026: weeks 13 and 14 for both hotspots, every figure by hand', async () => {
    const rows = await lake.mart('scorecard_weekly', '2026-04-07')
    // Weeks: programme start Wed 25 March -> week of Mon 23 March; the last complete week ends Sun 5 April
    // (week 15 ends Sun 12 April, after 7 April). 2 hotspots x 2 weeks; C9 (control) and H0 (r-old) have none.
    const baselineMean = 5 / 9
    const baselineSd = Math.sqrt((9 * 9 - 5 * 5) / (9 * 8)) // sqrt(56 / 72) = 0.881917
    expect(rows).toEqual([
      {
        hotspot_id: 'H1',
        week_start: '2026-03-23',
        week_end: '2026-03-29',
        iso_year: 2026,
        iso_week: 13,
        weights_version: 'w-test',
        // a1 (Burglary 10), a2 (Robbery 100), a5 (ASB 0), a6 (Drugs, police-initiated: 0), a8 (Burglary 10);
        // not a3 (Monday 30 in London), a4 (week 12), a7 (buffer), a9 (dropped 8 April), the month record
        crime_count: 5,
        harm: 120, // 10 + 100 + 0 + 0 + 10
        serious_violence_count: 1, // a2 Robbery
        serious_violence_harm: 100,
        arrests: 1, // R1 (23:30 BST Sunday); R3 has no location
        stop_searches: 1, // S1
        tips: 2, // T1 (named and located: once) and T3
        // 2025 week 13 (24 .. 30 March 2025): b1
        count_last_year: 1,
        harm_last_year: 10,
        pct_change_last_year: 400, // 100 * (5 - 1) / 1
        z_last_year: sixDecimals(2 * (Math.sqrt(5) - 1)), // 2.472136
        flag: 'no significant change',
        // weeks 12, 13, 14 of 2025: 0, 1 (b1), 2 (b2, b3); of 2024: 0, 0, 2 (b6, b7); of 2023: 0, 0, 0
        // sum 5, sum of squares 9: mean 5/9; sd = sqrt((9 * 9 - 25) / 72) = sqrt(56/72) = 0.881917
        baseline_mean: sixDecimals(baselineMean),
        baseline_sd: sixDecimals(baselineSd),
        z_baseline: sixDecimals((5 - baselineMean) / baselineSd), // 4.444444 / 0.881917 = 5.039526
        flag_baseline: 'up',
        // 28 days 2 .. 29 March 2026: a4, a1, a2, a5, a6, a8 = 6; harm 10 + 10 + 100 + 0 + 0 + 10 = 130
        count_28d: 6,
        harm_28d: 130,
        count_28d_last_year: 2, // 3 .. 30 March 2025: b5 (Monday 3 March 00:30), b1; not b4 (2 March)
        z_28d: sixDecimals(2 * (Math.sqrt(6) - Math.sqrt(2))), // 2.070552
        flag_28d: 'no significant change',
        // FY 2025/26: 1 April 2025 .. 29 March 2026: b2, b3, a4, a1, a2, a5, a6, a8 = 8 (the month record left
        // out); harm 10 + 10 + 10 + 10 + 100 + 0 + 0 + 10 = 150
        count_fytd: 8,
        harm_fytd: 150,
        count_fytd_last_year: 4, // 2 April 2024 .. 30 March 2025: b7, b4, b5, b1 (not b6, 1 April 2024)
        z_fytd: sixDecimals(2 * (Math.sqrt(8) - 2)), // 1.656854
        flag_fytd: 'no significant change',
        // harm of the same 9 weeks, all burglaries (10 each): 0, 10, 20; 0, 0, 20; 0, 0, 0: ten times the
        // counts, so mean 50/9 = 5.555556 and sd 10 * 0.881917 = 8.819171 (rounded to 6 decimals)
        baseline_harm_mean: sixDecimals(5.555556),
        baseline_harm_sd: sixDecimals(8.819171),
      },
      {
        hotspot_id: 'H1',
        week_start: '2026-03-30',
        week_end: '2026-04-05',
        iso_year: 2026,
        iso_week: 14,
        weights_version: 'w-test',
        crime_count: 3, // a3 (00:30 BST Monday 30), a10, a11
        harm: 30,
        serious_violence_count: 0,
        serious_violence_harm: 0,
        arrests: 1, // R2 (00:30 BST Monday 30)
        stop_searches: 0, // S2 is in the buffer
        tips: 1, // T2
        count_last_year: 2, // 2025 week 14 (31 March .. 6 April 2025): b2, b3
        harm_last_year: 20,
        pct_change_last_year: 50, // 100 * (3 - 2) / 2
        z_last_year: sixDecimals(2 * (Math.sqrt(3) - Math.sqrt(2))), // 0.635674
        flag: 'no significant change',
        // weeks 13, 14, 15 of 2025: 1, 2, 0; of 2024: 0, 2, 0; of 2023: 0, 0, 0: sum 5, squares 9 again
        baseline_mean: sixDecimals(baselineMean),
        baseline_sd: sixDecimals(baselineSd),
        z_baseline: sixDecimals((3 - baselineMean) / baselineSd), // 2.444444 / 0.881917 = 2.771739
        flag_baseline: 'no significant change',
        // 9 March .. 5 April 2026: a4, a1, a2, a5, a6, a8, a3, a10, a11 = 9; harm 130 + 30 = 160
        count_28d: 9,
        harm_28d: 160,
        count_28d_last_year: 3, // 10 March .. 6 April 2025: b1, b2, b3
        z_28d: sixDecimals(2 * (3 - Math.sqrt(3))), // 2.535898
        flag_28d: 'no significant change',
        // FY 2026/27 starts Wednesday 1 April: 1 .. 5 April: a11 only (a3 Monday 30, a10 Tuesday 31 March)
        count_fytd: 1,
        harm_fytd: 10,
        count_fytd_last_year: 1, // 2 .. 6 April 2025: b3 (not b2, 1 April 2025)
        z_fytd: 0,
        flag_fytd: 'no significant change',
        baseline_harm_mean: sixDecimals(5.555556), // 10, 20, 0; 0, 20, 0; 0, 0, 0
        baseline_harm_sd: sixDecimals(8.819171),
      },
      // H2: nothing anywhere: zeros, a zero baseline (mean 0, sd 0, z null)
      emptyWeek('H2', '2026-03-23', '2026-03-29', 13),
      emptyWeek('H2', '2026-03-30', '2026-04-05', 14),
    ])
  })

  it('as of Tuesday 27 October 2026: later versions count, the October clock change, a zero comparison', async () => {
    const rows = await lake.mart('scorecard_weekly', '2026-10-27')
    // weeks 13 (23 March) .. 43 (19 .. 25 October): 31 weeks x 2 hotspots; week 44 ends Sunday 1 November
    expect(rows).toHaveLength(62)
    const row = (hotspotId: string, weekStart: string) =>
      rows.find((r) => r.hotspot_id === hotspotId && r.week_start === weekStart)
    expect(rows.at(-1)).toMatchObject({ hotspot_id: 'H2', week_start: '2026-10-19' })
    // week 13 now: a8 moved out by the 9 April drop, a9 (Robbery, dropped 8 April) in:
    // a1, a2, a5, a6, a9 = 5; harm 10 + 100 + 0 + 0 + 100 = 210; serious violence a2 and a9
    expect(row('H1', '2026-03-23')).toMatchObject({
      crime_count: 5,
      harm: 210,
      serious_violence_count: 2,
      serious_violence_harm: 200,
    })
    expect(row('H1', '2026-04-06')).toMatchObject({ crime_count: 1 }) // a12, now a complete week
    expect(row('H1', '2026-10-12')).toMatchObject({ crime_count: 1 }) // c6: 23:30 BST Sunday 18 October
    expect(row('H1', '2026-10-19')).toEqual({
      hotspot_id: 'H1',
      week_start: '2026-10-19',
      week_end: '2026-10-25',
      iso_year: 2026,
      iso_week: 43,
      weights_version: 'w-test',
      crime_count: 4, // c3 (00:30 BST Monday 19), c4 and c5 (both 01:30 on Sunday 25), c1 (23:30 GMT Sunday)
      harm: 40,
      serious_violence_count: 0,
      serious_violence_harm: 0,
      arrests: 0,
      stop_searches: 0,
      tips: 0,
      count_last_year: 0, // 2025 week 43: 20 .. 26 October 2025, nothing
      harm_last_year: 0,
      pct_change_last_year: null, // comparison 0
      z_last_year: 4, // 2(sqrt 4 - 0)
      flag: 'up',
      baseline_mean: 0, // weeks 42 .. 44 of 2023, 2024, 2025: nothing
      baseline_sd: 0,
      z_baseline: null,
      flag_baseline: 'no significant change',
      count_28d: 5, // 28 September .. 25 October: c6, c3, c4, c5, c1
      harm_28d: 50,
      count_28d_last_year: 0, // 29 September .. 26 October 2025
      z_28d: sixDecimals(2 * Math.sqrt(5)), // 4.472136
      flag_28d: 'up',
      count_fytd: 7, // 1 April .. 25 October 2026: a11, a12, c6, c3, c4, c5, c1 (c2 is Monday 26)
      harm_fytd: 70,
      count_fytd_last_year: 1, // 2 April .. 26 October 2025: b3
      z_fytd: sixDecimals(2 * (Math.sqrt(7) - 1)), // 3.291503
      flag_fytd: 'up',
      baseline_harm_mean: 0,
      baseline_harm_sd: 0,
    })
  })
})

describe('scorecard_weekly: ISO week 53 against week 52, seasonal baseline, up and down', () => {
  let lake: TestLake
  beforeAll(async () => {
    // the baseline pattern of H1 and H3 around the new year: 2 in 2026 week 1 (29 Dec 2025 .. 4 Jan 2026),
    // 1 in 2025 week 52 (22 .. 28 Dec 2025), 2 in 2024 week 51 (16 .. 22 Dec 2024), 2 in 2025 week 1
    // (30 Dec 2024 .. 5 Jan 2025), 2 in 2023 week 52 (25 .. 31 Dec 2023); nothing in 2025 week 51, 2024 week
    // 52, 2023 week 51, 2024 week 1. For H3 one of the 2024 week 51 pair is a Robbery (harm 100, not 10):
    // only its harm baseline differs from H1's
    const baselinePattern = (at: { easting: number; northing: number }, robbery = false) => [
      ...times(2, () => incident('2026-01-02T12:00:00Z', 'Burglary', at)),
      incident('2025-12-28T23:30:00Z', 'Burglary', at), // 23:30 GMT Sunday 28 Dec 2025: week 52
      incident('2024-12-18T12:00:00Z', 'Burglary', at),
      incident('2024-12-18T12:00:00Z', robbery ? 'Robbery' : 'Burglary', at),
      ...times(2, () => incident('2025-01-02T12:00:00Z', 'Burglary', at)),
      ...times(2, () => incident('2023-12-27T12:00:00Z', 'Burglary', at)),
    ]
    lake = await TestLake.create({
      hotspots: [hotspot('H1', '2026-12-28'), hotspot('H2', '2026-12-30'), hotspot('H3', '2027-01-01')],
      area_cells: [
        ...rectangle('H1', 'hotspot', 21_000, 7_200, 2, 2),
        ...rectangle('H2', 'hotspot', 21_010, 7_200, 2, 2),
        ...rectangle('H3', 'hotspot', 21_020, 7_200, 2, 2),
      ],
      harm_weights: WEIGHTS,
      feeds: {
        incidents: [
          incident('2022-06-01T12:00:00Z', 'Burglary', OUTSIDE), // data from 2022: all covered
          // H1: 16 in 2026 week 53 (Mon 28 Dec 2026 .. Sun 3 Jan 2027)
          ...times(15, () => incident('2026-12-30T12:00:00Z', 'Burglary', H1)),
          incident('2027-01-03T23:30:00Z', 'Burglary', H1), // 23:30 GMT Sunday 3 January: week 53
          incident('2027-01-04T00:30:00Z', 'Burglary', H1), // Monday 4 January: 2027 week 1, not complete
          ...baselinePattern(H1),
          ...times(33, () => incident('2025-06-15T12:00:00Z', 'Burglary', H1)), // last financial year only
          // H2: 4 in week 53, nothing ever before
          ...times(4, () => incident('2026-12-31T12:00:00Z', 'Burglary', H2)),
          // H3: 4 in week 53 and H1's baseline pattern, with the Robbery
          ...times(4, () => incident('2027-01-01T12:00:00Z', 'Burglary', H3)),
          ...baselinePattern(H3, true),
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('compares week 53 of 2026 with week 52 of 2025 and flags Z at 3 and -3', async () => {
    // as of Monday 4 January 2027, the last complete week is 2026 week 53 (28 Dec .. 3 Jan); every
    // hotspot's clear starts in it, so it is the only week
    const rows = await lake.mart('scorecard_weekly', '2027-01-04')
    const week53 = {
      week_start: '2026-12-28',
      week_end: '2027-01-03',
      iso_year: 2026,
      iso_week: 53,
      weights_version: 'w-test',
      serious_violence_count: 0,
      serious_violence_harm: 0,
      arrests: 0,
      stop_searches: 0,
      tips: 0,
    }
    expect(rows).toEqual([
      {
        hotspot_id: 'H1',
        ...week53,
        crime_count: 16, // 15 on 30 December + 23:30 GMT Sunday 3 January (not Monday 4 January)
        harm: 160,
        // week 53 compares with 2025 week 52 (22 .. 28 Dec 2025): 1. Not 2026 week 1, which holds 2
        count_last_year: 1,
        harm_last_year: 10,
        pct_change_last_year: 1500, // 100 * (16 - 1) / 1
        z_last_year: 6, // 2(4 - 1)
        flag: 'up',
        // week 53 reads as week 52 in 2025, 2024, 2023 (none has a week 53); with its neighbours:
        // 2025: wk 51 = 0, wk 52 = 1, 2026 wk 1 = 2; 2024: wk 51 = 2, wk 52 = 0, 2025 wk 1 = 2;
        // 2023: wk 51 = 0, wk 52 = 2, 2024 wk 1 = 0. Sum 9, squares 17: mean 1, sd sqrt((153 - 81) / 72) = 1
        baseline_mean: 1,
        baseline_sd: 1,
        z_baseline: 15, // (16 - 1) / 1
        flag_baseline: 'up',
        count_28d: 16, // 7 Dec 2026 .. 3 Jan 2027
        harm_28d: 160,
        count_28d_last_year: 3, // 8 Dec 2025 .. 4 Jan 2026: 1 (28 Dec) + 2 (2 Jan)
        z_28d: sixDecimals(2 * (4 - Math.sqrt(3))), // 4.535898
        flag_28d: 'up',
        count_fytd: 16, // 1 April 2026 .. 3 January 2027
        harm_fytd: 160,
        count_fytd_last_year: 36, // 2 April 2025 .. 4 January 2026: 33 (15 June) + 1 + 2
        z_fytd: -4, // 2(4 - 6)
        flag_fytd: 'down',
        // the harm of those 9 weeks, all burglaries: 0, 10, 20; 20, 0, 20; 0, 20, 0: mean 10, sd 10
        baseline_harm_mean: 10,
        baseline_harm_sd: 10,
      },
      {
        hotspot_id: 'H2',
        ...week53,
        crime_count: 4,
        harm: 40,
        count_last_year: 0,
        harm_last_year: 0,
        pct_change_last_year: null, // comparison 0
        z_last_year: 4, // 2(2 - 0)
        flag: 'up',
        baseline_mean: 0, // zero baseline
        baseline_sd: 0,
        z_baseline: null,
        flag_baseline: 'no significant change',
        count_28d: 4,
        harm_28d: 40,
        count_28d_last_year: 0,
        z_28d: 4,
        flag_28d: 'up',
        count_fytd: 4,
        harm_fytd: 40,
        count_fytd_last_year: 0,
        z_fytd: 4,
        flag_fytd: 'up',
        baseline_harm_mean: 0,
        baseline_harm_sd: 0,
      },
      {
        hotspot_id: 'H3',
        ...week53,
        crime_count: 4,
        harm: 40,
        count_last_year: 1,
        harm_last_year: 10,
        pct_change_last_year: 300, // 100 * (4 - 1) / 1
        z_last_year: 2, // 2(2 - 1)
        flag: 'no significant change',
        baseline_mean: 1, // H1's pattern
        baseline_sd: 1,
        z_baseline: 3, // (4 - 1) / 1: exactly 3 is up
        flag_baseline: 'up',
        count_28d: 4,
        harm_28d: 40,
        count_28d_last_year: 3,
        z_28d: sixDecimals(2 * (2 - Math.sqrt(3))), // 0.535898
        flag_28d: 'no significant change',
        count_fytd: 4,
        harm_fytd: 40,
        count_fytd_last_year: 3, // 28 Dec 2025 and 2 Jan 2026
        z_fytd: sixDecimals(2 * (2 - Math.sqrt(3))),
        flag_fytd: 'no significant change',
        // harm: H1's weeks but 2024 week 51 holds a Robbery and a Burglary (110): 0, 10, 20; 110, 0, 20;
        // 0, 20, 0. Sum 180: mean 20; deviations -20, -10, 0, 90, -20, 0, -20, 0, -20, squares
        // 400 + 100 + 8100 + 4 * 400 = 9800: sd = sqrt(9800 / 8) = sqrt(1225) = 35
        baseline_harm_mean: 20,
        baseline_harm_sd: 35,
      },
    ])
  })
})

describe('scorecard_weekly: comparisons before the data begin, and the week range', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: [hotspot('H1', '2026-03-23'), hotspot('H9', null, { register_version: 'r-two' })],
      area_cells: [
        ...rectangle('H1', 'hotspot', 21_000, 7_200, 2, 2),
        ...rectangle('H9', 'hotspot', 21_000, 7_200, 2, 2).map((c) => ({ ...c, register_version: 'r-two' })),
      ],
      harm_weights: WEIGHTS,
      feeds: {
        incidents: [
          // the incident data begin on Monday 17 March 2025 (2025 week 12)
          incident('2025-03-17T10:00:00Z', 'Burglary', OUTSIDE),
          // neither moves that: a month-precision record, and a record first dropped after the as-of dates
          incident('2024-01-01T00:00:00Z', 'Burglary', OUTSIDE, { period_precision: 'month' }),
          incident('2024-05-01T10:00:00Z', 'Burglary', OUTSIDE, { drop_date: '2026-04-20' }),
          ...times(2, () => incident('2026-03-25T12:00:00Z', 'Burglary', H1)), // 2026 week 13
          incident('2025-03-25T12:00:00Z', 'Burglary', H1), // 2025 week 13
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('leaves a comparison null when its period starts before the data', async () => {
    const rows = await lake.mart('scorecard_weekly', '2026-04-07')
    const unknownBaseline = { baseline_mean: null, baseline_sd: null, z_baseline: null, flag_baseline: null }
    const unknownHarmBaseline = { baseline_harm_mean: null, baseline_harm_sd: null }
    expect(rows).toEqual([
      {
        hotspot_id: 'H1',
        week_start: '2026-03-23',
        week_end: '2026-03-29',
        iso_year: 2026,
        iso_week: 13,
        weights_version: 'w-test',
        crime_count: 2,
        harm: 20,
        serious_violence_count: 0,
        serious_violence_harm: 0,
        arrests: 0,
        stop_searches: 0,
        tips: 0,
        count_last_year: 1, // 2025 week 13 starts 24 March 2025, after the data begin
        harm_last_year: 10,
        pct_change_last_year: 100,
        z_last_year: sixDecimals(2 * (Math.sqrt(2) - 1)), // 0.828427
        flag: 'no significant change',
        ...unknownBaseline, // 2024 and 2023 weeks are before the data
        count_28d: 2,
        harm_28d: 20,
        count_28d_last_year: null, // 3 .. 30 March 2025 starts before the data (17 March 2025)
        z_28d: null,
        flag_28d: null,
        count_fytd: 2,
        harm_fytd: 20,
        count_fytd_last_year: null, // from 2 April 2024
        z_fytd: null,
        flag_fytd: null,
        ...unknownHarmBaseline,
      },
      {
        hotspot_id: 'H1',
        week_start: '2026-03-30',
        week_end: '2026-04-05',
        iso_year: 2026,
        iso_week: 14,
        weights_version: 'w-test',
        crime_count: 0,
        harm: 0,
        serious_violence_count: 0,
        serious_violence_harm: 0,
        arrests: 0,
        stop_searches: 0,
        tips: 0,
        count_last_year: 0, // 2025 week 14 (from 31 March 2025): covered, empty
        harm_last_year: 0,
        pct_change_last_year: null,
        z_last_year: 0,
        flag: 'no significant change',
        ...unknownBaseline,
        count_28d: 2, // 9 March .. 5 April 2026
        harm_28d: 20,
        count_28d_last_year: null, // from 10 March 2025
        z_28d: null,
        flag_28d: null,
        count_fytd: 0, // 1 .. 5 April 2026
        harm_fytd: 0,
        count_fytd_last_year: 0, // 2 .. 6 April 2025: covered, empty
        z_fytd: 0,
        flag_fytd: 'no significant change',
        ...unknownHarmBaseline,
      },
    ])
  })

  it('without a clear phase, covers the 52 weeks ending with the last complete week (a Sunday as-of included)', async () => {
    const rows = await lake.mart('scorecard_weekly', '2026-04-05', { register: 'r-two' })
    expect(rows).toHaveLength(52)
    expect(rows.every((r) => r.hotspot_id === 'H9')).toBe(true)
    // 30 March 2026 - 51 weeks (357 days) = Monday 7 April 2025
    expect(rows[0]).toMatchObject({ week_start: '2025-04-07', iso_year: 2025, iso_week: 15 })
    expect(rows[51]).toMatchObject({ week_start: '2026-03-30', week_end: '2026-04-05', iso_week: 14 })
    expect(rows.find((r) => r.week_start === '2026-03-23')).toMatchObject({ crime_count: 2 })
  })

  it('has no rows before the programme has a complete week', async () => {
    // as of Friday 20 March the last complete week is 9 .. 15 March; the programme starts on 23 March
    expect(await lake.mart('scorecard_weekly', '2026-03-20')).toEqual([])
  })
})
