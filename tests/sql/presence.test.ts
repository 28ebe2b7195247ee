import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GivenRow, rectangle, TestLake } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * presence_visits and presence_daily (DESIGN section 12), given/expect; expected rows worked out by hand
 * (arithmetic in the comments). March 2026 before the 29th is GMT: London days are UTC days.
 * Settings (queries/shared/shr_presence_settings.sql): a window of 3 days, a tolerance of 1 cell, gaps of at
 * most 5 min (300 s), walking pace 3 m/s.
 *
 * H1 is cells x 21000..21003, y 7200..7203; with the tolerance, x 20999..21004, y 7199..7204.
 * H2 is cells x 21100..21101, y 7200..7201. C9, a control area, is never a hotspot.
 */

/** A position at the centre of cell (x, y). */
const at = (x: number, y: number) => ({ easting: x * 25 + 12, northing: y * 25 + 12 })
const INSIDE_H1 = at(21_001, 7_201)
/** In the tolerance ring of H1: one cell west of its first column. */
const H1_TOLERANCE = at(20_999, 7_201)
/** Two cells west of H1: outside, even with the tolerance. */
const NEAR_H1 = at(20_997, 7_201)
const FAR = at(20_990, 7_200)

function ping(
  device: string,
  recordedAt: string,
  where: { easting: number; northing: number },
  extra: GivenRow = {},
): GivenRow {
  return {
    device_id: device,
    recorded_at: recordedAt,
    ...where,
    accuracy_m: 8,
    speed_mps: null,
    low_accuracy: false,
    ...extra,
  }
}

const walking = { speed_mps: 1 }

const PINGS: GivenRow[] = [
  // dv-a on 10 March, reporting 1 m/s:
  ping('dv-a', '2026-03-10T10:00:00Z', FAR, walking),
  // run 1: 10:00:20 .. 10:01:40, intervals 20 (from the ping outside), 20, 30, 10, 20 s: median 20, ends +10 s
  ping('dv-a', '2026-03-10T10:00:20Z', INSIDE_H1, walking),
  ping('dv-a', '2026-03-10T10:00:40Z', INSIDE_H1, walking),
  ping('dv-a', '2026-03-10T10:01:10Z', INSIDE_H1, walking),
  ping('dv-a', '2026-03-10T10:01:20Z', INSIDE_H1, walking),
  ping('dv-a', '2026-03-10T10:01:40Z', H1_TOLERANCE, walking),
  ping('dv-a', '2026-03-10T10:02:00Z', NEAR_H1, walking), // outside: ends run 1
  // run 2: 10:02:30 .. 10:06:00, intervals 30, 210 s: median 120, ends +60 s at 10:07:00
  ping('dv-a', '2026-03-10T10:02:30Z', at(21_000, 7_200), walking),
  ping('dv-a', '2026-03-10T10:06:00Z', INSIDE_H1, walking),
  // run 3: a gap of 360 s > 300 s starts it; intervals 360 (not counted), 15 s: ends +7.5 s at 10:12:22.5
  ping('dv-a', '2026-03-10T10:12:00Z', INSIDE_H1, walking),
  ping('dv-a', '2026-03-10T10:12:15Z', INSIDE_H1, walking),

  // dv-b standing still, no reported speed: speeds from displacement 0 m; its first ping has no interval.
  // 10:01:00 .. 10:05:00, intervals 30, 210 s: median 120, ends +60 s at 10:06:00 (300 s)
  ping('dv-b', '2026-03-10T10:01:00Z', at(21_002, 7_202)),
  ping('dv-b', '2026-03-10T10:01:30Z', at(21_002, 7_202)),
  ping('dv-b', '2026-03-10T10:05:00Z', at(21_002, 7_202)),

  // dv-c: a bad fix (low_accuracy) far away in the middle neither counts nor ends the run.
  // 11:00:00 .. 11:01:00, one interval of 60 s (to the previous accurate ping): ends +30 s at 11:01:30 (90 s)
  ping('dv-c', '2026-03-10T11:00:00Z', INSIDE_H1, { speed_mps: 0.5 }),
  ping('dv-c', '2026-03-10T11:00:30Z', FAR, { accuracy_m: 120, low_accuracy: true, speed_mps: 0.5 }),
  ping('dv-c', '2026-03-10T11:01:00Z', INSIDE_H1, { speed_mps: 0.5 }),

  // dv-l: only a flagged ping inside: no visit
  ping('dv-l', '2026-03-10T11:30:00Z', INSIDE_H1, { accuracy_m: 80, low_accuracy: true, speed_mps: 1 }),

  // dv-v, a car with no reported speed: 250 m in 10 s (25 m/s), then 75 m in 10 s (7.5 m/s): median 16.25 m/s.
  // 10:30:10 .. 10:30:20, intervals 10, 10 s: ends +5 s at 10:30:25 (15 s)
  ping('dv-v', '2026-03-10T10:30:00Z', at(20_990, 7_201)),
  ping('dv-v', '2026-03-10T10:30:10Z', at(21_000, 7_201)),
  ping('dv-v', '2026-03-10T10:30:20Z', at(21_003, 7_201)),
  ping('dv-v', '2026-03-10T10:30:30Z', at(21_010, 7_201)),

  // dv-d across midnight 9/10 March: the run starts on the 9th, so it is the 9th's (out of the window as of the
  // 12th, read as context). 23:58:00 .. 00:01:00, intervals 30, 60, 60, 30: median 45, ends +22.5 s (202.5 s)
  ping('dv-d', '2026-03-09T23:58:00Z', INSIDE_H1, walking),
  ping('dv-d', '2026-03-09T23:58:30Z', INSIDE_H1, walking),
  ping('dv-d', '2026-03-09T23:59:30Z', INSIDE_H1, walking),
  ping('dv-d', '2026-03-10T00:00:30Z', INSIDE_H1, walking),
  ping('dv-d', '2026-03-10T00:01:00Z', INSIDE_H1, walking),

  // dv-f: inside as dropped on the 11th, moved far away by a correction dropped on the 12th
  ping('dv-f', '2026-03-11T14:00:00Z', INSIDE_H1, walking),
  ping('dv-f', '2026-03-11T14:00:00Z', FAR, { ...walking, drop_date: '2026-03-12', drop_id: 'pp-12-fix' }),

  // dv-h inside the control area only
  ping('dv-h', '2026-03-11T09:00:00Z', at(21_200, 7_200), walking),

  // dv-e in H2 on the 12th: first ping without an interval, then 10, 10 s: ends +5 s at 09:00:25 (25 s)
  ping('dv-e', '2026-03-12T09:00:00Z', at(21_100, 7_200), walking),
  ping('dv-e', '2026-03-12T09:00:10Z', at(21_101, 7_201), walking),
  ping('dv-e', '2026-03-12T09:00:20Z', at(21_100, 7_201), walking),
  // dropped on the 13th, after the as-of date 12 March: not read; and then a ping outside the hotspots
  ping('dv-e', '2026-03-13T08:00:00Z', at(21_100, 7_200), walking),
  ping('dv-e', '2026-03-13T08:10:00Z', FAR, walking),
]

function hotspot(areaId: string, role: 'hotspot' | 'control' = 'hotspot'): GivenRow {
  return {
    area_id: areaId,
    role,
    name: `Area ${areaId}`,
    borough: 'Southend',
    commander_id: role === 'hotspot' ? 'C1' : null,
    buffer_m: role === 'hotspot' ? 100 : 0,
    clear_from: role === 'hotspot' ? '2026-01-05' : null,
  }
}

/** `2026-03-10 10:00:20` (UTC) as the harness gives a timestamp. */
const utc = (text: string) => new Date(`${text.replace(' ', 'T')}Z`).toISOString()

const visit = (
  hotspot_id: string,
  device_id: string,
  visit_date: string,
  started_at: string,
  ended_at: string,
  seconds: number,
  pings: number,
  median_speed_mps: number | null,
  patrolStartedAt: string | null,
  kind: 'foot' | 'vehicle' = 'foot',
) => ({
  hotspot_id,
  device_id,
  visit_date,
  started_at: utc(started_at),
  ended_at: utc(ended_at),
  minutes: sixDecimals(seconds / 60),
  pings,
  median_speed_mps,
  kind,
  patrol_started_at: patrolStartedAt && utc(patrolStartedAt),
})

const day = (
  hotspot_id: string,
  visit_date: string,
  presenceSeconds = 0,
  officerSeconds = 0,
  visits = 0,
  devices = 0,
  pass_throughs = 0,
) => ({
  hotspot_id,
  visit_date,
  presence_minutes: sixDecimals(presenceSeconds / 60),
  officer_minutes: sixDecimals(officerSeconds / 60),
  visits,
  devices,
  pass_throughs,
})

describe('presence from GPS pings', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: [hotspot('H1'), hotspot('H2'), hotspot('C9', 'control')],
      area_cells: [
        ...rectangle('H1', 'hotspot', 21_000, 7_200, 4, 4),
        ...rectangle('H2', 'hotspot', 21_100, 7_200, 2, 2),
        ...rectangle('C9', 'control', 21_200, 7_200, 2, 2),
      ],
      feeds: { patrol_pings: PINGS },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('presence_visits as of 12 March: runs, their ends, tolerance, gaps, bad fixes and a car apart', async () => {
    expect(await lake.mart('presence_visits', '2026-03-12')).toEqual([
      // patrols: a1, b and a2 overlap (from 10:00:20); a3 and c each alone
      visit(
        'H1',
        'dv-a',
        '2026-03-10',
        '2026-03-10 10:00:20',
        '2026-03-10 10:01:50',
        90,
        5,
        1,
        '2026-03-10 10:00:20',
      ),
      visit(
        'H1',
        'dv-a',
        '2026-03-10',
        '2026-03-10 10:02:30',
        '2026-03-10 10:07:00',
        270,
        2,
        1,
        '2026-03-10 10:00:20',
      ),
      visit(
        'H1',
        'dv-a',
        '2026-03-10',
        '2026-03-10 10:12:00',
        '2026-03-10 10:12:22.5',
        22.5,
        2,
        1,
        '2026-03-10 10:12:00',
      ),
      visit(
        'H1',
        'dv-b',
        '2026-03-10',
        '2026-03-10 10:01:00',
        '2026-03-10 10:06:00',
        300,
        3,
        0,
        '2026-03-10 10:00:20',
      ),
      visit(
        'H1',
        'dv-c',
        '2026-03-10',
        '2026-03-10 11:00:00',
        '2026-03-10 11:01:30',
        90,
        2,
        0.5,
        '2026-03-10 11:00:00',
      ),
      visit(
        'H1',
        'dv-v',
        '2026-03-10',
        '2026-03-10 10:30:10',
        '2026-03-10 10:30:25',
        15,
        2,
        16.25,
        null,
        'vehicle',
      ),
      visit(
        'H2',
        'dv-e',
        '2026-03-12',
        '2026-03-12 09:00:00',
        '2026-03-12 09:00:25',
        25,
        3,
        1,
        '2026-03-12 09:00:00',
      ),
    ])
  })

  it('presence_daily as of 12 March: every hotspot on each of the 3 days, overlaps merged', async () => {
    expect(await lake.mart('presence_daily', '2026-03-12')).toEqual([
      // 10:00:20 .. 10:07:00 (a1, b and a2 overlap: 400 s) + 22.5 s (a3) + 90 s (c) = 512.5 s;
      // officers 90 + 270 + 22.5 + 300 + 90 = 772.5 s; devices a, b, c; the car apart
      day('H1', '2026-03-10', 512.5, 772.5, 5, 3, 1),
      day('H1', '2026-03-11'), // dv-f's ping was moved out by the correction of the 12th
      day('H1', '2026-03-12'),
      day('H2', '2026-03-10'),
      day('H2', '2026-03-11'),
      day('H2', '2026-03-12', 25, 25, 1, 1),
    ])
  })

  it('as of 14 March: the 14th, without a drop of pings, is not measured (no rows), where the 13th is', async () => {
    expect(await lake.mart('presence_daily', '2026-03-14')).toEqual([
      day('H1', '2026-03-12'),
      day('H1', '2026-03-13'), // measured: the 13th has its drop
      day('H2', '2026-03-12', 25, 25, 1, 1),
      // dv-e's one ping in H2 at 08:00, 600 s before its next (outside): a visit of 0 s
      day('H2', '2026-03-13', 0, 0, 1, 1),
    ])
  })

  it('as of 11 March: the window moves back a day, and the ping as first dropped counts', async () => {
    expect(await lake.mart('presence_daily', '2026-03-11')).toEqual([
      day('H1', '2026-03-09', 202.5, 202.5, 1, 1), // dv-d across midnight, whole, on the 9th
      day('H1', '2026-03-10', 512.5, 772.5, 5, 3, 1),
      day('H1', '2026-03-11', 0, 0, 1, 1), // dv-f: one ping, no interval: a visit of 0 s
      day('H2', '2026-03-09'),
      day('H2', '2026-03-10'),
      day('H2', '2026-03-11'),
    ])
  })
})
