import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, type GivenRow, rectangle, TestLake } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * arrests_weekly, given/expect; expected rows worked out by hand (arithmetic in the comments).
 *
 * H1 is cells x 21000..21001, H2 is x 21001..21002 (y 7200..7201): they share the column x = 21001.
 * Programme start: H1's clear_from, Wednesday 18 March 2026, so weeks start on Monday 16 March (week 12).
 */

const H1_ONLY = cellCentre(21_000, 7_200)
const SHARED = cellCentre(21_001, 7_200)
const H2_ONLY = cellCentre(21_002, 7_200)
const H1_BUFFER = cellCentre(20_999, 7_200)
const OUTSIDE = cellCentre(21_050, 7_250)

let serial = 0
function arrest(
  arrestedAt: string,
  at: { easting: number; northing: number } | null,
  extra: GivenRow = {},
): GivenRow {
  serial += 1
  return { arrest_id: `R${serial}`, arrested_at: arrestedAt, offence_category: 'Robbery', ...at, ...extra }
}

function times(n: number, row: () => GivenRow): GivenRow[] {
  return Array.from({ length: n }, row)
}

function hotspot(areaId: string, clearFrom: string): GivenRow {
  return {
    area_id: areaId,
    role: 'hotspot',
    name: `Hotspot ${areaId}`,
    borough: 'Southend',
    commander_id: 'C1',
    buffer_m: 100,
    clear_from: clearFrom,
  }
}

describe('arrests_weekly', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: [hotspot('H1', '2026-03-18'), hotspot('H2', '2026-04-01')],
      area_cells: [
        ...rectangle('H1', 'hotspot', 21_000, 7_200, 2, 2),
        ...rectangle('H1', 'buffer', 20_999, 7_200, 1, 2),
        ...rectangle('H2', 'hotspot', 21_001, 7_200, 2, 2),
      ],
      feeds: {
        arrests: [
          // the arrest data begin at 00:30 GMT Monday 24 March 2025 (2025 week 13)
          arrest('2025-03-24T00:30:00Z', H1_ONLY),
          // an older arrest first dropped after both as-of dates: it does not move the start of the data
          arrest('2024-01-10T12:00:00Z', OUTSIDE, { drop_date: '2026-04-20' }),
          ...times(16, () => arrest('2025-04-02T12:00:00Z', H1_ONLY)), // 2025 week 14 (31 March .. 6 April)
          arrest('2026-03-22T23:30:00Z', H1_ONLY), // 23:30 GMT Sunday 22 March: 2026 week 12
          ...times(15, () => arrest('2026-03-25T12:00:00Z', H1_ONLY)), // week 13
          arrest('2026-03-29T22:30:00Z', H1_ONLY), // 23:30 BST Sunday 29 March: week 13
          arrest('2026-03-29T23:30:00Z', H1_ONLY), // 00:30 BST Monday 30 March: week 14
          arrest('2026-04-01T12:00:00Z', SHARED), // week 14, in H1 and in H2
          // in H2 on the 1 April drop, moved out of it by the 8 April drop
          arrest('2026-04-01T12:00:00Z', H2_ONLY, { arrest_id: 'MOVED', drop_date: '2026-04-01' }),
          arrest('2026-04-01T12:00:00Z', OUTSIDE, { arrest_id: 'MOVED', drop_date: '2026-04-08' }),
          arrest('2026-04-02T12:00:00Z', H1_ONLY, { drop_date: '2026-04-08' }), // week 14, known from 8 April
          arrest('2026-03-25T12:00:00Z', null), // no location: no hotspot, not in all
          arrest('2026-03-25T12:00:00Z', H1_BUFFER), // the buffer is not the hotspot
          arrest('2026-04-06T12:00:00Z', H1_ONLY), // week 15: not complete as of 7 or 10 April
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('counts each week against the same ISO week last year, per hotspot and for all', async () => {
    // as of Tuesday 7 April 2026: weeks 12, 13, 14 (16 March .. 5 April); rows by hotspot_id: H1, H2, all
    const rows = await lake.mart('arrests_weekly', '2026-04-07')
    // 2025 week 12 (17 .. 23 March 2025) starts before the arrest data (24 March 2025): unknown, not 0
    const unknown = { arrests_last_year: null, pct_change_last_year: null, z_last_year: null, flag: null }
    expect(rows).toEqual([
      { hotspot_id: 'H1', week_start: '2026-03-16', arrests: 1, ...unknown },
      {
        hotspot_id: 'H1',
        week_start: '2026-03-23',
        arrests: 16, // 15 on 25 March + 23:30 BST Sunday 29 March
        arrests_last_year: 1, // 2025 week 13 (24 .. 30 March 2025): the first arrest in the lake
        pct_change_last_year: 1500, // 100 * (16 - 1) / 1
        z_last_year: 6, // 2(sqrt 16 - sqrt 1) = 2(4 - 1)
        flag: 'up',
      },
      {
        hotspot_id: 'H1',
        week_start: '2026-03-30',
        arrests: 2, // 00:30 BST Monday 30 March, and the shared cell; the 2 April arrest is not known yet
        arrests_last_year: 16, // 2025 week 14
        pct_change_last_year: -87.5, // 100 * (2 - 16) / 16
        z_last_year: sixDecimals(2 * (Math.sqrt(2) - 4)), // -5.171573
        flag: 'down',
      },
      { hotspot_id: 'H2', week_start: '2026-03-16', arrests: 0, ...unknown },
      {
        hotspot_id: 'H2',
        week_start: '2026-03-23',
        arrests: 0,
        arrests_last_year: 0,
        pct_change_last_year: null, // last year 0
        z_last_year: 0,
        flag: 'no significant change',
      },
      {
        hotspot_id: 'H2',
        week_start: '2026-03-30',
        arrests: 2, // the shared cell, and MOVED as of 7 April (still in H2)
        arrests_last_year: 0,
        pct_change_last_year: null,
        z_last_year: sixDecimals(2 * Math.sqrt(2)), // 2.828427: just short of 3
        flag: 'no significant change',
      },
      { hotspot_id: 'all', week_start: '2026-03-16', arrests: 1, ...unknown },
      {
        hotspot_id: 'all',
        week_start: '2026-03-23',
        arrests: 16,
        arrests_last_year: 1,
        pct_change_last_year: 1500,
        z_last_year: 6,
        flag: 'up',
      },
      {
        hotspot_id: 'all',
        week_start: '2026-03-30',
        arrests: 3, // Monday 30 March, the shared one once (not twice), MOVED
        arrests_last_year: 16,
        pct_change_last_year: -81.25, // 100 * (3 - 16) / 16
        z_last_year: sixDecimals(2 * (Math.sqrt(3) - 4)), // -4.535898
        flag: 'down',
      },
    ])
  })

  it('uses the versions current on the as-of date', async () => {
    // as of Friday 10 April the last complete week is still 30 March .. 5 April; MOVED is now outside, and the
    // 2 April arrest of the 8 April drop is known
    const rows = await lake.mart('arrests_weekly', '2026-04-10')
    expect(rows.filter((r) => r.week_start === '2026-03-30')).toEqual([
      {
        hotspot_id: 'H1',
        week_start: '2026-03-30',
        arrests: 3, // Monday 30 March, shared, 2 April
        arrests_last_year: 16,
        pct_change_last_year: -81.25,
        z_last_year: sixDecimals(2 * (Math.sqrt(3) - 4)),
        flag: 'down',
      },
      {
        hotspot_id: 'H2',
        week_start: '2026-03-30',
        arrests: 1, // shared only
        arrests_last_year: 0,
        pct_change_last_year: null,
        z_last_year: 2,
        flag: 'no significant change',
      },
      {
        hotspot_id: 'all',
        week_start: '2026-03-30',
        arrests: 3, // Monday 30 March, shared (once), 2 April
        arrests_last_year: 16,
        pct_change_last_year: -81.25,
        z_last_year: sixDecimals(2 * (Math.sqrt(3) - 4)),
        flag: 'down',
      },
    ])
  })
})

describe('arrests_weekly: the October clock change, ISO week 53, and cell edges', () => {
  /*
   * H is the single 25 m cell (21000, 7200); every arrest in it is at easting 525024, northing 180024, the last
   * metre of the cell (mod 25 = 24): easting / 25.0 on Trino is DECIMAL division rounded half up to one decimal
   * (21000.96 -> 21001.0), which put such arrests in the next cell. Weeks are Monday to Monday, London time.
   * Programme start Monday 19 October 2026 (week 43); as of Tuesday 5 January 2027 the last complete week is
   * 2026 week 53 (Mon 28 December 2026 .. Sun 3 January 2027). Arrest data begin on 1 October 2025.
   *   2026 week 43 (19 .. 25 Oct; clocks go back 01:00 UTC Sunday 25 October):
   *     18 Oct 23:30 UTC = 00:30 BST Monday 19        week 43 (its UTC date is in week 42)
   *     25 Oct 00:30 UTC = 01:30 BST Sunday 25 (the first 01:30)
   *     25 Oct 23:30 UTC = 23:30 GMT Sunday 25        week 43: 3
   *   2026 week 44: 26 Oct 00:30 UTC = 00:30 GMT Monday 26: 1
   *   2026 week 52 (21 .. 27 Dec): 27 Dec 23:59:59.999 UTC: 1
   *   2026 week 53: 28 Dec 00:00 UTC (Monday) and 3 Jan 2027 23:30 UTC (Sunday): 2; 4 Jan 2027 00:00 is week 1
   *   Last year: 2025 week 43 (20 .. 26 Oct 2025, clocks back Sunday 26): 26 Oct 00:30 UTC (01:30 BST) and
   *     26 Oct 23:30 UTC (23:30 GMT): 2. 2025 week 44 (27 Oct .. 2 Nov): none, 0.
   *     2025 week 52 (22 .. 28 Dec 2025): 22 Dec 12:00 and 28 Dec 23:30 UTC: 2; week 53 compares with it.
   *     2026 week 1 (29 Dec 2025 .. 4 Jan 2026) holds one more, which week 53 must not take.
   *   week 43: 3 vs 2: +50%, Z = 2 (sqrt 3 - sqrt 2) = 0.635674; week 44: 1 vs 0: % null, Z = 2;
   *   week 52: 1 vs 2: -50%, Z = 2 (1 - sqrt 2) = -0.828427; week 53: 2 vs 2: 0%, Z = 0.
   */
  const EDGE = { easting: 525_024, northing: 180_024 }
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: [hotspot('H', '2026-10-19')],
      area_cells: rectangle('H', 'hotspot', 21_000, 7_200, 1, 1),
      feeds: {
        arrests: [
          arrest('2025-10-01T12:00:00Z', OUTSIDE), // the arrest data begin
          arrest('2025-10-26T00:30:00Z', EDGE),
          arrest('2025-10-26T23:30:00Z', EDGE),
          arrest('2025-12-22T12:00:00Z', EDGE),
          arrest('2025-12-28T23:30:00Z', EDGE),
          arrest('2025-12-29T12:00:00Z', EDGE), // 2026 week 1
          arrest('2026-10-18T23:30:00Z', EDGE),
          arrest('2026-10-25T00:30:00Z', EDGE),
          arrest('2026-10-25T23:30:00Z', EDGE),
          arrest('2026-10-26T00:30:00Z', EDGE),
          arrest('2026-12-27T23:59:59.999Z', EDGE),
          arrest('2026-12-28T00:00:00Z', EDGE),
          arrest('2027-01-03T23:30:00Z', EDGE),
          arrest('2027-01-04T00:00:00Z', EDGE), // 2027 week 1: not complete as of 5 January
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('puts each arrest in its London week and compares week 53 with week 52', async () => {
    const rows = await lake.mart('arrests_weekly', '2027-01-05')
    const weeks = ['2026-10-19', '2026-10-26', '2026-12-21', '2026-12-28']
    const expected = [
      { week_start: '2026-10-19', arrests: 3, arrests_last_year: 2, pct_change_last_year: 50 },
      { week_start: '2026-10-26', arrests: 1, arrests_last_year: 0, pct_change_last_year: null },
      { week_start: '2026-12-21', arrests: 1, arrests_last_year: 2, pct_change_last_year: -50 },
      { week_start: '2026-12-28', arrests: 2, arrests_last_year: 2, pct_change_last_year: 0 },
    ]
    const z = [sixDecimals(2 * (Math.sqrt(3) - Math.sqrt(2))), 2, sixDecimals(2 * (1 - Math.sqrt(2))), 0]
    for (const hotspotId of ['H', 'all']) {
      expect(rows.filter((r) => r.hotspot_id === hotspotId && weeks.includes(String(r.week_start)))).toEqual(
        expected.map((e, i) => ({
          hotspot_id: hotspotId,
          ...e,
          z_last_year: z[i],
          flag: 'no significant change',
        })),
      )
    }
    // every week from week 43 to week 53 has a row, the weeks between with no arrests
    expect(rows.filter((r) => r.hotspot_id === 'H').map((r) => r.week_start)).toHaveLength(11)
  })
})
