import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, type GivenRow, rectangle, TestLake, weights } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * dose_response and presence_weekly over the presence that earlier runs measured (DESIGN section 12), given/expect.
 * March 2026 before the 29th is GMT: London days are UTC days. Harm weights: violence 10, burglary 4, ASB 0.
 *
 * Presence runs (presence_daily results): as of 12 March (window 10-12), as of 14 March (12-14: it speaks for
 * the 12th, found 20.5 and 30.4 minutes where the first run found 5 and 3), as of 20 March (after as_of: unread).
 *
 *   presence minutes   10     11     12      13     14        (15: no run measured it)
 *   H1                 0      12     20.5    9.99   35
 *   H2                 0.5    16.9   30.4    10     0
 *   band H1            0      10-16  17-30   1-9    over 30
 *   band H2            0      10-16  17-30   10-16  0
 *   assigned           H1 10, 11, 12, 13 (and 15, unmeasured); H2 11, 12
 *   incidents H1       B      -      V, B    ASB    -         (V on the 15th: unmeasured)
 *   incidents H2       V, V   B      -       -      B
 *   (count, harm) H1   (1,4)  (0,0)  (2,14)  (1,0)  (0,0)
 *   (count, harm) H2   (2,20) (1,4)  (0,0)   (0,0)  (1,4)
 */

function coverageRow(
  hotspot: string,
  day: string,
  presence: number,
  officer = presence,
  visits = presence > 0 ? 1 : 0,
  passThroughs = 0,
): GivenRow {
  return {
    hotspot_id: hotspot,
    visit_date: day,
    presence_minutes: presence,
    officer_minutes: officer,
    visits,
    devices: visits,
    pass_throughs: passThroughs,
  }
}

const RUN_12 = [
  coverageRow('H1', '2026-03-10', 0),
  coverageRow('H1', '2026-03-11', 12, 12, 1, 2),
  coverageRow('H1', '2026-03-12', 5),
  coverageRow('H2', '2026-03-10', 0.5),
  coverageRow('H2', '2026-03-11', 16.9),
  coverageRow('H2', '2026-03-12', 3),
  coverageRow('H9', '2026-03-11', 40), // not in the register
]
const RUN_14 = [
  coverageRow('H1', '2026-03-12', 20.5, 41, 2),
  coverageRow('H1', '2026-03-13', 9.99),
  coverageRow('H1', '2026-03-14', 35, 35, 3),
  coverageRow('H2', '2026-03-12', 30.4, 30.4, 2),
  coverageRow('H2', '2026-03-13', 10),
  coverageRow('H2', '2026-03-14', 0),
]
const RUN_20 = [coverageRow('H1', '2026-03-18', 50), coverageRow('H2', '2026-03-18', 50)]

const H1: [number, number] = [21_000, 7_200]
const H2: [number, number] = [21_010, 7_200]
const V = 'Violence and sexual offences'
const B = 'Burglary'

let serial = 0
const incident = (cell: [number, number], day: string, crimeType: string): GivenRow => ({
  incident_id: `I${++serial}`,
  reported_at: `${day}T10:00:00Z`,
  crime_type: crimeType,
  ...cellCentre(...cell),
})

const allocation = (hotspot: string, day: string, assigned: boolean): GivenRow => ({
  hotspot_id: hotspot,
  date: day,
  assigned,
  trial_id: 'T1',
  drop_date: '2026-03-01',
})

/** n, the mean, and its 95% interval mean +- 1.96 s / sqrt(n) (s rounded to 9 places, as the mart does; low >= 0). */
function perDay(values: number[]) {
  const n = values.length
  const mean = values.reduce((a, b) => a + b, 0) / n
  if (n < 2) return { mean: sixDecimals(mean), low: null, high: null }
  const sd = Math.round(Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) * 1e9) / 1e9
  const half = (1.96 / Math.sqrt(n)) * sd
  return {
    mean: sixDecimals(mean),
    low: sixDecimals(Math.max(mean - half, 0)),
    high: sixDecimals(mean + half),
  }
}

function row(
  period: string,
  band: string,
  counts: number[],
  harms: number[],
  assigned: number,
  atTarget: number,
) {
  const crimes = perDay(counts)
  const harm = perDay(harms)
  return {
    period,
    band,
    hotspot_days: counts.length,
    crimes: counts.reduce((a, b) => a + b, 0),
    crimes_per_day: crimes.mean,
    crimes_ci_low: crimes.low,
    crimes_ci_high: crimes.high,
    harm: harms.reduce((a, b) => a + b, 0),
    harm_per_day: harm.mean,
    harm_ci_low: harm.low,
    harm_ci_high: harm.high,
    assigned_days: assigned,
    assigned_days_at_target: atTarget,
    share_assigned_at_target: assigned === 0 ? null : sixDecimals(atTarget / assigned),
    weights_version: 'w-test',
  }
}

describe('dose_response and presence_weekly', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: ['H1', 'H2'].map((id) => ({
        area_id: id,
        role: 'hotspot',
        name: `Area ${id}`,
        borough: 'Southend',
        commander_id: 'C1',
        buffer_m: 100,
        clear_from: '2026-01-05',
      })),
      area_cells: [...rectangle('H1', 'hotspot', ...H1, 2, 2), ...rectangle('H2', 'hotspot', ...H2, 2, 2)],
      harm_weights: weights({ [V]: 10, [B]: 4, 'Anti-social behaviour': 0 }),
      results: [
        { mart: 'presence_daily', as_of: '2026-03-12', rows: RUN_12 },
        { mart: 'presence_daily', as_of: '2026-03-14', rows: RUN_14 },
        { mart: 'presence_daily', as_of: '2026-03-20', rows: RUN_20 },
      ],
      feeds: {
        incidents: [
          incident(H1, '2026-03-10', B),
          incident(H1, '2026-03-12', V),
          incident(H1, '2026-03-12', B),
          incident(H1, '2026-03-13', 'Anti-social behaviour'),
          incident(H1, '2026-03-15', V),
          incident(H2, '2026-03-10', V),
          incident(H2, '2026-03-10', V),
          incident(H2, '2026-03-11', B),
          incident(H2, '2026-03-14', B),
        ],
        patrol_allocations: [
          allocation('H1', '2026-03-10', true),
          allocation('H1', '2026-03-11', true),
          allocation('H1', '2026-03-12', true),
          allocation('H1', '2026-03-13', true),
          allocation('H1', '2026-03-14', false),
          allocation('H1', '2026-03-15', true),
          allocation('H2', '2026-03-11', true),
          allocation('H2', '2026-03-12', true),
          allocation('H2', '2026-03-13', false),
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('dose_response as of 15 March: crimes and harm per hotspot-day by band of presence, with the share at target', async () => {
    const bands = (period: string) => [
      // H1-10, H2-10, H2-14; assigned H1-10, below the 10 minutes
      row(period, '0', [1, 2, 1], [4, 20, 4], 1, 0),
      row(period, '1-9', [1], [0], 1, 0), // H1-13 (9.99 minutes), assigned
      // H1-11, H2-11, H2-13 (10 minutes: at target); assigned H1-11, H2-11
      row(period, '10-16', [0, 1, 0], [0, 4, 0], 2, 2),
      row(period, '17-30', [2, 0], [14, 0], 2, 2), // H1-12, H2-12 (30.4: 30 whole minutes), both assigned
      row(period, 'over 30', [0], [0], 0, 0), // H1-14, not assigned
      // all ten measured hotspot-days; assigned 6 (H1 10-13, H2 11, 12), at target H1-11, H1-12, H2-11, H2-12
      row(period, 'all', [1, 0, 2, 1, 0, 2, 1, 0, 0, 1], [4, 0, 14, 0, 0, 20, 4, 0, 0, 4], 6, 4),
    ]
    expect(await lake.mart('dose_response', '2026-03-15')).toEqual([...bands('all'), ...bands('2026-03')])
  })

  it('presence_weekly as of Sunday 15 March: the week of 9 March from the run that speaks for each day', async () => {
    expect(await lake.mart('presence_weekly', '2026-03-15')).toEqual([
      {
        hotspot_id: 'H1',
        week_start: '2026-03-09',
        days_measured: 5,
        presence_minutes: sixDecimals(0 + 12 + 20.5 + 9.99 + 35),
        officer_minutes: sixDecimals(0 + 12 + 41 + 9.99 + 35),
        visits: 7, // 0 + 1 + 2 + 1 + 3
        days_with_presence: 4,
        assigned_days: 4, // 10 .. 13 (the 15th is not measured)
        assigned_days_at_target: 2, // 11 (12 minutes), 12 (20.5); not 10 (0), 13 (9.99)
        pass_throughs: 2,
      },
      {
        hotspot_id: 'H2',
        week_start: '2026-03-09',
        days_measured: 5,
        presence_minutes: sixDecimals(0.5 + 16.9 + 30.4 + 10 + 0),
        officer_minutes: sixDecimals(0.5 + 16.9 + 30.4 + 10 + 0),
        visits: 5, // 1 + 1 + 2 + 1 + 0
        days_with_presence: 4,
        assigned_days: 2,
        assigned_days_at_target: 2,
        pass_throughs: 0,
      },
    ])
  })
})
