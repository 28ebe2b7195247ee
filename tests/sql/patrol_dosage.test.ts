import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GivenRow, rectangle, TestLake } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * patrol_dosage, given/expect; expected rows worked out by hand (arithmetic in the comments).
 * Koper: a visit is compliant when 10 <= minutes <= 16 (600 000 .. 960 000 ms).
 */

let serial = 0
function visit(hotspotId: string, startedAt: string, endedAt: string, extra: GivenRow = {}): GivenRow {
  serial += 1
  return {
    visit_id: `V${serial}`,
    hotspot_id: hotspotId,
    started_at: startedAt,
    ended_at: endedAt,
    officers: 2,
    source: 'gps',
    ...extra,
  }
}

function allocation(hotspotId: string, date: string, assigned: boolean, extra: GivenRow = {}): GivenRow {
  return { hotspot_id: hotspotId, date, assigned, trial_id: 'T1', ...extra }
}

function hotspot(areaId: string, role: 'hotspot' | 'control' = 'hotspot'): GivenRow {
  return {
    area_id: areaId,
    role,
    name: `Area ${areaId}`,
    borough: 'Southend',
    commander_id: role === 'hotspot' ? 'C1' : null,
    buffer_m: role === 'hotspot' ? 100 : 0,
    clear_from: role === 'hotspot' ? '2026-03-16' : null,
  }
}

describe('patrol_dosage', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: [hotspot('H1'), hotspot('H2'), hotspot('C9', 'control')],
      area_cells: [
        ...rectangle('H1', 'hotspot', 21_000, 7_200, 2, 2),
        ...rectangle('H2', 'hotspot', 21_010, 7_200, 2, 2),
      ],
      feeds: {
        patrol_visits: [
          // week 12 (16 .. 22 March): a visit and no allocation
          visit('H1', '2026-03-16T10:00:00Z', '2026-03-16T10:12:00Z'), // 12 min: compliant
          // week 13 (23 .. 29 March; BST from 01:00 UTC Sunday 29)
          visit('H1', '2026-03-23T10:00:00Z', '2026-03-23T10:15:00Z'), // Mon 23: 900 s = 15 min, compliant
          visit('H1', '2026-03-23T12:00:00Z', '2026-03-23T12:09:59Z'), // Mon 23: 599 s, not compliant
          visit('H1', '2026-03-24T10:00:00Z', '2026-03-24T10:10:00Z'), // Tue 24: 600 s = 10 min, compliant
          visit('H1', '2026-03-25T10:00:00Z', '2026-03-25T10:16:01Z'), // Wed 25: 961 s, not compliant
          // Wed 25: 599.7 s (11:00:00.500 .. 11:10:00.200): under 10 minutes, though it crosses 600 second marks
          visit('H1', '2026-03-25T11:00:00.500Z', '2026-03-25T11:10:00.200Z'),
          visit('H1', '2026-03-26T10:00:00Z', '2026-03-26T10:16:00Z'), // Thu 26: 960 s = 16 min, compliant
          // 23:55 BST Sunday 29 .. 00:11 BST Monday 30: 16 min, compliant, on Sunday 29 (week 13)
          visit('H1', '2026-03-29T22:55:00Z', '2026-03-29T23:11:00Z'),
          // week 14: 00:05 BST Monday 30 .. 00:17: 12 min, compliant, on Monday 30
          visit('H1', '2026-03-29T23:05:00Z', '2026-03-29T23:17:00Z'),
          // not counted: a control area, an id the register does not know, a visit first dropped after as_of,
          // a visit in week 15 (not complete)
          visit('C9', '2026-03-24T10:00:00Z', '2026-03-24T10:12:00Z'),
          visit('HX', '2026-03-24T10:00:00Z', '2026-03-24T10:12:00Z'),
          visit('H1', '2026-03-27T10:00:00Z', '2026-03-27T10:12:00Z', { drop_date: '2026-04-08' }),
          visit('H1', '2026-04-06T10:00:00Z', '2026-04-06T10:12:00Z'),
        ],
        patrol_allocations: [
          allocation('H1', '2026-03-23', true), // compliant visit (15 min)
          allocation('H1', '2026-03-24', true), // compliant visit (10 min)
          allocation('H1', '2026-03-25', true), // visits of 961 s and 599.7 s: none compliant
          allocation('H1', '2026-03-27', false), // not assigned (its visit is only known from 8 April)
          // assigned on the 20 March drop, unassigned by the 8 April drop: assigned as of 7 April, no visit
          allocation('H1', '2026-03-28', true, { drop_date: '2026-03-20' }),
          allocation('H1', '2026-03-28', false, { drop_date: '2026-04-08' }),
          allocation('H1', '2026-03-29', true), // compliant visit started 23:55 BST that Sunday
          allocation('H1', '2026-03-30', true), // compliant visit started 00:05 BST that Monday
          allocation('H1', '2026-03-31', true), // no visit
          // H2 is in the trial in week 13 but never drew a patrol day
          allocation('H2', '2026-03-23', false),
          allocation('H2', '2026-03-24', false),
          allocation('C9', '2026-03-24', true), // a control area: left out
          allocation('H1', '2026-04-06', true), // week 15: not complete
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('as of Tuesday 7 April 2026: visits, minutes, Koper compliance and assigned days per week', async () => {
    const rows = await lake.mart('patrol_dosage', '2026-04-07')
    expect(rows).toEqual([
      {
        hotspot_id: 'H1',
        week_start: '2026-03-16',
        visits: 1,
        minutes: 12,
        compliant_visits: 1,
        assigned_days: 0,
        assigned_days_with_compliant_visit: 0,
        share_assigned_days_compliant: null, // no assigned days
      },
      {
        hotspot_id: 'H1',
        week_start: '2026-03-23',
        visits: 7,
        // 900 + 599 + 600 + 961 + 599.7 + 960 (Thu 26) + 960 (Sun 29) = 5579.7 s = 92.995 min
        minutes: sixDecimals(5579.7 / 60),
        compliant_visits: 4, // 15 min, 10 min, 16 min (Thu 26), 16 min (Sun 29)
        assigned_days: 5, // 23, 24, 25, 28 (as of 7 April), 29; not 27
        assigned_days_with_compliant_visit: 3, // 23, 24, 29; not 25 (none compliant), 28 (no visit)
        share_assigned_days_compliant: 0.6, // 3 / 5
      },
      {
        hotspot_id: 'H1',
        week_start: '2026-03-30',
        visits: 1,
        minutes: 12,
        compliant_visits: 1,
        assigned_days: 2, // 30, 31
        assigned_days_with_compliant_visit: 1, // 30
        share_assigned_days_compliant: 0.5,
      },
      {
        hotspot_id: 'H2',
        week_start: '2026-03-23',
        visits: 0,
        minutes: 0,
        compliant_visits: 0,
        assigned_days: 0,
        assigned_days_with_compliant_visit: 0,
        share_assigned_days_compliant: null,
      },
    ])
  })

  it('as of Thursday 9 April 2026: the later allocation and visit versions apply', async () => {
    const rows = await lake.mart('patrol_dosage', '2026-04-09')
    // 28 March is now unassigned; the 27 March visit (12 min, compliant, on an unassigned day) is known
    expect(rows.find((r) => r.hotspot_id === 'H1' && r.week_start === '2026-03-23')).toEqual({
      hotspot_id: 'H1',
      week_start: '2026-03-23',
      visits: 8,
      minutes: sixDecimals((5579.7 + 720) / 60), // 104.995 min: 92.995 + 12
      compliant_visits: 5,
      assigned_days: 4, // 23, 24, 25, 29
      assigned_days_with_compliant_visit: 3, // 23, 24, 29
      share_assigned_days_compliant: 0.75, // 3 / 4
    })
  })
})

describe('patrol_dosage: Koper limits to the millisecond', () => {
  /*
   * Durations come from date_diff('millisecond', ...): for timestamps with fractions of a second, Trino's
   * date_diff('second') counts whole seconds elapsed and DuckDB's counts second boundaries crossed, so a rule in
   * seconds (or minutes) gives different answers on the two engines right at the limits. Each visit below sits on
   * a limit with fractions chosen so that one of the two second counts is wrong:
   *   Mon 1 June  10:00:00.500 .. 10:10:00.499   599 999 ms = 9:59.999   not compliant (DuckDB seconds: 600)
   *   Tue 2 June  10:00:00.700 .. 10:10:00.700   600 000 ms = 10:00.000  compliant
   *   Wed 3 June  10:00:00.300 .. 10:16:00.300   960 000 ms = 16:00.000  compliant
   *   Thu 4 June  10:00:00.999 .. 10:16:01.000   960 001 ms = 16:00.001  not compliant (Trino seconds: 960)
   * Each of the four days is assigned. Week of Monday 1 June 2026; as of Tuesday 9 June it is complete.
   * minutes = (599 999 + 600 000 + 960 000 + 960 001) / 60 000 = 3 120 000 / 60 000 = 52 exactly (the
   * 1 ms short and the 1 ms over cancel out)
   */
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: [hotspot('H1')],
      area_cells: rectangle('H1', 'hotspot', 21_000, 7_200, 1, 1),
      feeds: {
        patrol_visits: [
          visit('H1', '2026-06-01T10:00:00.500Z', '2026-06-01T10:10:00.499Z'),
          visit('H1', '2026-06-02T10:00:00.700Z', '2026-06-02T10:10:00.700Z'),
          visit('H1', '2026-06-03T10:00:00.300Z', '2026-06-03T10:16:00.300Z'),
          visit('H1', '2026-06-04T10:00:00.999Z', '2026-06-04T10:16:01.000Z'),
        ],
        patrol_allocations: ['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04'].map((day) =>
          allocation('H1', day, true),
        ),
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('counts 10:00.000 and 16:00.000 as compliant, 9:59.999 and 16:00.001 as not', async () => {
    expect(await lake.mart('patrol_dosage', '2026-06-09')).toEqual([
      {
        hotspot_id: 'H1',
        week_start: '2026-06-01',
        visits: 4,
        minutes: 3_120_000 / 60_000, // 52
        compliant_visits: 2, // Tue and Wed
        assigned_days: 4,
        assigned_days_with_compliant_visit: 2, // Tue and Wed
        share_assigned_days_compliant: 0.5,
      },
    ])
  })
})

/** A presence_visits row as an earlier presence run wrote it (a foot visit, unless a kind is given). */
function gpsVisit(
  hotspotId: string,
  device: string,
  startedAt: string,
  endedAt: string,
  patrolStartedAt: string | null,
  kind: 'foot' | 'vehicle' = 'foot',
): GivenRow {
  return {
    hotspot_id: hotspotId,
    device_id: device,
    visit_date: startedAt.slice(0, 10),
    started_at: startedAt,
    ended_at: endedAt,
    minutes: (Date.parse(endedAt) - Date.parse(startedAt)) / 60_000,
    pings: 10,
    median_speed_mps: kind === 'foot' ? 1 : 12,
    kind,
    patrol_started_at: patrolStartedAt,
  }
}

/** presence_daily rows of a run's window: every hotspot on every day (the figures do not matter here). */
function coverage(days: string[]): GivenRow[] {
  return ['H1', 'H2'].flatMap((hotspotId) =>
    days.map((day) => ({
      hotspot_id: hotspotId,
      visit_date: day,
      presence_minutes: 0,
      officer_minutes: 0,
      visits: 0,
      devices: 0,
      pass_throughs: 0,
    })),
  )
}

describe('patrol_dosage with patrols derived from GPS pings (queries/shared/shr_patrol_visits.sql)', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: [hotspot('H1'), hotspot('H2')],
      area_cells: [
        ...rectangle('H1', 'hotspot', 21_000, 7_200, 2, 2),
        ...rectangle('H2', 'hotspot', 21_010, 7_200, 2, 2),
      ],
      results: [
        // the presence run as of Wed 25 March: its window is 23, 24, 25
        {
          mart: 'presence_daily',
          as_of: '2026-03-25',
          rows: coverage(['2026-03-23', '2026-03-24', '2026-03-25']),
        },
        {
          mart: 'presence_visits',
          as_of: '2026-03-25',
          rows: [
            // Mon 23: two officers together, 10:00 .. 10:14: one patrol of 14 minutes (compliant)
            gpsVisit('H1', 'dv-a', '2026-03-23T10:00:00Z', '2026-03-23T10:12:00Z', '2026-03-23T10:00:00Z'),
            gpsVisit('H1', 'dv-b', '2026-03-23T10:05:00Z', '2026-03-23T10:14:00Z', '2026-03-23T10:00:00Z'),
            gpsVisit('H1', 'dv-v', '2026-03-23T11:00:00Z', '2026-03-23T11:00:20Z', null, 'vehicle'), // not a visit
            gpsVisit('H1', 'dv-a', '2026-03-24T12:00:00Z', '2026-03-24T12:05:00Z', '2026-03-24T12:00:00Z'),
            // Wed 25 as first computed: 11 minutes; the run of the 26th computes it again
            gpsVisit('H1', 'dv-a', '2026-03-25T09:00:00Z', '2026-03-25T09:11:00Z', '2026-03-25T09:00:00Z'),
          ],
        },
        // the run as of Thu 26 (window 24, 25, 26) covers the 25th last: 8 minutes, with the pings dropped late
        {
          mart: 'presence_daily',
          as_of: '2026-03-26',
          rows: coverage(['2026-03-24', '2026-03-25', '2026-03-26']),
        },
        {
          mart: 'presence_visits',
          as_of: '2026-03-26',
          rows: [
            gpsVisit('H1', 'dv-a', '2026-03-24T12:00:00Z', '2026-03-24T12:05:00Z', '2026-03-24T12:00:00Z'),
            gpsVisit('H1', 'dv-a', '2026-03-25T09:00:00Z', '2026-03-25T09:08:00Z', '2026-03-25T09:00:00Z'),
          ],
        },
        // a run after the as-of date: not read as of 31 March
        {
          mart: 'presence_daily',
          as_of: '2026-04-02',
          rows: coverage(['2026-03-31', '2026-04-01', '2026-04-02']),
        },
        {
          mart: 'presence_visits',
          as_of: '2026-04-02',
          rows: [
            gpsVisit('H1', 'dv-a', '2026-03-27T09:00:00Z', '2026-03-27T09:15:00Z', '2026-03-27T09:00:00Z'),
          ],
        },
      ],
      feeds: {
        patrol_visits: [
          // Mon 23, H1 has a derived patrol: the force's own gps visit is the same patrol (left out), and so is
          // a manual visit overlapping the patrol; a manual visit after it counts (15 min, compliant)
          visit('H1', '2026-03-23T10:00:00Z', '2026-03-23T10:13:00Z', { source: 'gps' }),
          visit('H1', '2026-03-23T10:10:00Z', '2026-03-23T10:20:00Z', { source: 'manual' }),
          visit('H1', '2026-03-23T10:30:00Z', '2026-03-23T10:45:00Z', { source: 'manual' }),
          // Fri 27: no presence run covers it (as of 31 March): the sent gps visit counts (12 min, compliant)
          visit('H1', '2026-03-27T10:00:00Z', '2026-03-27T10:12:00Z', { source: 'gps' }),
          // H2 has no derived patrol: its manual visit counts (11 min, compliant)
          visit('H2', '2026-03-24T08:00:00Z', '2026-03-24T08:11:00Z', { source: 'manual' }),
        ],
        patrol_allocations: [
          allocation('H1', '2026-03-23', true),
          allocation('H1', '2026-03-24', true),
          allocation('H1', '2026-03-25', true),
          allocation('H1', '2026-03-27', true),
          allocation('H2', '2026-03-24', true),
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('as of Tuesday 31 March 2026: derived patrols count once, with the sent visits they do not repeat', async () => {
    expect(await lake.mart('patrol_dosage', '2026-03-31')).toEqual([
      {
        hotspot_id: 'H1',
        week_start: '2026-03-23',
        visits: 5, // derived 23 (2 officers), 24, 25 (as of the 26th); sent manual 23 10:30; sent gps 27
        minutes: 54, // 14 + 5 + 8 + 15 + 12
        compliant_visits: 3, // 14 (23), 15 (23), 12 (27)
        assigned_days: 4, // 23, 24, 25, 27
        assigned_days_with_compliant_visit: 2, // 23, 27; not 24 (5 min), 25 (8 min)
        share_assigned_days_compliant: 0.5,
      },
      {
        hotspot_id: 'H2',
        week_start: '2026-03-23',
        visits: 1,
        minutes: 11,
        compliant_visits: 1,
        assigned_days: 1,
        assigned_days_with_compliant_visit: 1,
        share_assigned_days_compliant: 1,
      },
    ])
  })
})
