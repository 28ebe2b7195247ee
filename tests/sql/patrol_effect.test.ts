import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, type GivenRow, rectangle, TestLake, weights } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * A tiny random-allocation trial: hotspots H1 and H2, six days each (2 to 7 March 2026, GMT so London days are
 * UTC days). Harm weights: violence 10 (serious violence: no subcategory), burglary 4, criminal damage 6,
 * drugs 3, anti-social behaviour 0.
 *
 *            day:  02   03   04   05    06   07
 *   H1 assigned:   A    U    A    U     A    U      (02 corrected U -> A before as_of; 07 corrected after)
 *   H1 incidents:  B    V    ASB  V+B   B    V
 *   H2 assigned:   U    A    U    A     U    A
 *   H2 incidents:  V    D*   CD   B     V    -      (D* = drugs found by police: no harm, not counted)
 *
 * Per hotspot-day (A = assigned days, U = unassigned days):
 *   harm   H1 A [4, 0, 4]  U [10, 14, 10]   H2 A [0, 4, 0]  U [10, 6, 10]
 *   count  H1 A [1, 1, 1]  U [1, 2, 1]      H2 A [0, 1, 0]  U [1, 1, 1]
 *   sv     H1 A [0, 0, 0]  U [10, 10, 10]   H2 A [0, 0, 0]  U [10, 0, 10]
 */
/**
 * Dating (DESIGN section 7: an event belongs to the London day it occurred, occurred_at, else reported_at):
 * hotspot H3, trial days 1 to 5 June 2026, in British Summer Time (London = UTC + 1).
 *
 *            day:  01   02   03   04   05
 *   H3 assigned:   A    U    A    U    A
 *
 *   CD  occurred 31 May 20:00Z, reported 1 June 09:00Z  -> 31 May: no trial day, not counted (reported: 01)
 *   B   occurred 1 June 22:00Z (23:00 BST), reported 2 June 08:00Z    -> 01 (reported: 02)
 *   V   no occurred_at, reported 2 June 12:00Z                         -> 02
 *   D*  police-initiated drugs, occurred and reported 2 June           -> not in the effect
 *   V   occurred 3 June 23:30Z = 4 June 00:30 BST, reported 5 June 10:00Z -> 04 (UTC day: 03; reported: 05)
 *   B   occurred and reported 5 June 10:00Z                            -> 05
 *   V   occurred 5 June 10:00Z, reported and dropped 6 June            -> not known as of 5 June
 *   B   occurred 4 June 10:00Z, period_precision month (no day)        -> not counted
 *
 *   per hotspot-day   count A [1, 0, 1]  U [1, 1]     harm A [4, 0, 4]  U [10, 10]
 */
const hotspotDay = (hotspot: string, day: string, assigned: boolean, dropDate = '2026-03-01'): GivenRow => ({
  hotspot_id: hotspot,
  date: day,
  assigned,
  trial_id: 'T1',
  drop_date: dropDate,
})

let serial = 0
const incident = (
  cell: [number, number],
  day: string,
  crimeType: string,
  extra: GivenRow = {},
): GivenRow => ({
  incident_id: `I${++serial}`,
  reported_at: `${day}T10:00:00Z`,
  crime_type: crimeType,
  ...cellCentre(...cell),
  ...extra,
})

/** An incident with its own occurrence and report times; dropped on the London day it was reported. */
const occurrence = (
  cell: [number, number],
  occurredAt: string | null,
  reportedAt: string,
  crimeType: string,
  extra: GivenRow = {},
): GivenRow =>
  incident(cell, reportedAt.slice(0, 10), crimeType, {
    occurred_at: occurredAt,
    reported_at: reportedAt,
    drop_date: reportedAt.slice(0, 10),
    ...extra,
  })

const H1: [number, number] = [1000, 2000]
const H2: [number, number] = [1100, 2001]
const H3: [number, number] = [1200, 2000]
const H1_BUFFER: [number, number] = [999, 2000]

const V = 'Violence and sexual offences'
const B = 'Burglary'

/** 1 - exp(log ratio -/+ 1.96 se): the low and high ends of the effect's 95% CI. */
const ciLow = (ratio: number, se: number) => 1 - Math.exp(Math.log(ratio) + 1.96 * se)
const ciHigh = (ratio: number, se: number) => 1 - Math.exp(Math.log(ratio) - 1.96 * se)
/** To 8 decimal places: the mart rounds SDs to 9, so that reruns give identical numbers. */

describe('patrol_effect', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      feeds: {
        patrol_allocations: [
          hotspotDay('H1', '2026-03-02', false),
          hotspotDay('H1', '2026-03-02', true, '2026-03-02'), // correction, current from 2 March
          hotspotDay('H1', '2026-03-03', false),
          hotspotDay('H1', '2026-03-04', true),
          hotspotDay('H1', '2026-03-05', false),
          hotspotDay('H1', '2026-03-06', true),
          hotspotDay('H1', '2026-03-07', false),
          hotspotDay('H1', '2026-03-07', true, '2026-03-09'), // correction dropped after as_of: not seen
          hotspotDay('H1', '2026-03-08', true), // a day after as_of: not in the trial yet
          hotspotDay('H2', '2026-03-02', false),
          hotspotDay('H2', '2026-03-03', true),
          hotspotDay('H2', '2026-03-04', false),
          hotspotDay('H2', '2026-03-05', true),
          hotspotDay('H2', '2026-03-06', false),
          hotspotDay('H2', '2026-03-07', true),
          hotspotDay('H9', '2026-03-02', true), // not in the register: no cells, left out
          hotspotDay('H3', '2026-06-01', true, '2026-05-31'),
          hotspotDay('H3', '2026-06-02', false, '2026-05-31'),
          hotspotDay('H3', '2026-06-03', true, '2026-05-31'),
          hotspotDay('H3', '2026-06-04', false, '2026-05-31'),
          hotspotDay('H3', '2026-06-05', true, '2026-05-31'),
        ],
        incidents: [
          incident(H1, '2026-03-02', B),
          incident(H1_BUFFER, '2026-03-02', V), // in the buffer, not the hotspot
          incident(H1, '2026-03-03', V),
          incident(H1, '2026-03-04', 'Anti-social behaviour'),
          incident(H1, '2026-03-05', V),
          incident([1001, 2001], '2026-03-05', B), // another cell of H1
          incident(H1, '2026-03-06', B),
          incident(H1, '2026-03-07', V),
          incident(H1, '2026-03-08', V), // after as_of
          incident(H2, '2026-03-02', V),
          incident(H2, '2026-03-03', 'Drugs', { police_initiated: true }),
          incident(H2, '2026-03-04', 'Criminal damage and arson'),
          incident(H2, '2026-03-05', B),
          incident(H2, '2026-03-06', V),
          occurrence(H3, '2026-05-31T20:00:00Z', '2026-06-01T09:00:00Z', 'Criminal damage and arson'),
          occurrence(H3, '2026-06-01T22:00:00Z', '2026-06-02T08:00:00Z', B),
          occurrence(H3, null, '2026-06-02T12:00:00Z', V),
          occurrence(H3, '2026-06-02T11:00:00Z', '2026-06-02T11:30:00Z', 'Drugs', { police_initiated: true }),
          occurrence(H3, '2026-06-03T23:30:00Z', '2026-06-05T10:00:00Z', V),
          occurrence(H3, '2026-06-05T10:00:00Z', '2026-06-05T10:00:00Z', B),
          occurrence(H3, '2026-06-05T10:00:00Z', '2026-06-06T10:00:00Z', V),
          occurrence(H3, null, '2026-06-04T10:00:00Z', B, { period_precision: 'month' }),
        ],
      },
      area_cells: [
        ...rectangle('H1', 'hotspot', 1000, 2000, 2, 2),
        ...rectangle('H1', 'buffer', 999, 2000, 1, 2),
        ...rectangle('H2', 'hotspot', 1100, 2000, 2, 2),
        ...rectangle('H3', 'hotspot', 1200, 2000, 2, 2),
      ],
      hotspots: [
        { area_id: 'H1', role: 'hotspot', name: 'One', buffer_m: 25, clear_from: '2026-01-01' },
        { area_id: 'H2', role: 'hotspot', name: 'Two', buffer_m: 0, clear_from: '2026-01-01' },
        { area_id: 'H3', role: 'hotspot', name: 'Three', buffer_m: 0, clear_from: '2026-05-01' },
      ],
      harm_weights: weights({
        [V]: 10,
        [B]: 4,
        'Criminal damage and arson': 6,
        Drugs: 3,
        'Anti-social behaviour': 0,
      }),
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('compares assigned with unassigned hotspot-days, pooled and per hotspot', async () => {
    const rows = await lake.mart('patrol_effect', '2026-03-07')

    // all, count: A [1,1,1, 0,1,0] mean 4/6 = 2/3, SS = 4(1/3)^2 + 2(2/3)^2 = 4/3, var 4/15, sd 0.5164
    //             U [1,2,1, 1,1,1] mean 7/6, SS = 5(1/6)^2 + (5/6)^2 = 5/6, var 1/6, sd 0.4082
    //   effect = 1 - (2/3)/(7/6) = 3/7 = 0.4286
    //   se^2 = (4/15)/(6 (2/3)^2) + (1/6)/(6 (7/6)^2) = 1/10 + 1/49 -> se = 0.3470
    //   CI = [1 - exp(ln(4/7) + 1.96 se), 1 - exp(ln(4/7) - 1.96 se)] = [-0.1291, 0.7160]
    const allCountSe = Math.sqrt(1 / 10 + 1 / 49)
    // all, harm: A [4,0,4, 0,4,0] mean 2, SS = 6 * 2^2 = 24, var 4.8, sd 2.1909
    //            U [10,14,10, 10,6,10] mean 10, SS = 4^2 + 4^2 = 32, var 6.4, sd 2.5298
    //   effect = 1 - 2/10 = 0.8; se^2 = 4.8/(6 * 4) + 6.4/(6 * 100) = 0.2 + 0.010667 -> se = 0.4590
    //   CI = [1 - exp(ln 0.2 + 0.8996), 1 - exp(ln 0.2 - 0.8996)] = [0.5083, 0.9187]
    const allHarmSe = Math.sqrt(0.2 + 6.4 / 600)
    // H1, count: A [1,1,1] mean 1 sd 0; U [1,2,1] mean 4/3, SS = 2/3, var 1/3
    //   effect = 1 - 3/4 = 0.25; se^2 = 0 + (1/3)/(3 (4/3)^2) = 1/16 -> se 0.25
    // H1, harm: A [4,0,4] mean 8/3, SS = 32/3, var 16/3; U [10,14,10] mean 34/3, var 16/3
    //   effect = 1 - 8/34 = 13/17; se^2 = (16/3)/(3 (8/3)^2) + (16/3)/(3 (34/3)^2) = 1/4 + 4/289
    // H2, count: A [0,1,0] mean 1/3, var 1/3; U [1,1,1] mean 1, sd 0
    //   effect = 2/3; se^2 = (1/3)/(3 (1/3)^2) = 1 -> se 1
    // H2, harm: A [0,4,0] mean 4/3, var 16/3; U [10,6,10] mean 26/3, var 16/3
    //   effect = 1 - 4/26 = 11/13; se^2 = (16/3)/(3 (4/3)^2) + (16/3)/(3 (26/3)^2) = 1 + 4/169
    // serious violence harm: no serious violence on any assigned day, mean 0: effect and CI null
    //   all U [10,10,10, 10,0,10] mean 25/3, SS = 5 (5/3)^2 + (25/3)^2 = 750/9, var 50/3
    //   H2 U [10,0,10] mean 20/3, SS = 2 (10/3)^2 + (20/3)^2 = 600/9, var 100/3
    const row = (
      scope: string,
      outcome: string,
      nA: number,
      nU: number,
      mA: number,
      mU: number,
      sA: number | null,
      sU: number | null,
      effect: [number, number, number] | null,
    ) => ({
      scope,
      outcome,
      n_assigned_days: nA,
      n_unassigned_days: nU,
      mean_assigned: sixDecimals(mA),
      mean_unassigned: sixDecimals(mU),
      sd_assigned: sA === null ? null : sixDecimals(sA),
      sd_unassigned: sU === null ? null : sixDecimals(sU),
      effect: effect === null ? null : sixDecimals(effect[0]),
      effect_ci_low: effect === null ? null : sixDecimals(effect[1]),
      effect_ci_high: effect === null ? null : sixDecimals(effect[2]),
      weights_version: 'w-test',
    })
    const withCi = (effect: number, se: number): [number, number, number] => [
      effect,
      ciLow(1 - effect, se),
      ciHigh(1 - effect, se),
    ]
    expect(rows).toEqual([
      row('all', 'count', 6, 6, 2 / 3, 7 / 6, Math.sqrt(4 / 15), Math.sqrt(1 / 6), withCi(3 / 7, allCountSe)),
      row('all', 'harm', 6, 6, 2, 10, Math.sqrt(4.8), Math.sqrt(6.4), withCi(0.8, allHarmSe)),
      row('all', 'serious_violence_harm', 6, 6, 0, 25 / 3, 0, Math.sqrt(50 / 3), null),
      row('H1', 'count', 3, 3, 1, 4 / 3, 0, Math.sqrt(1 / 3), withCi(0.25, 0.25)),
      row('H1', 'harm', 3, 3, 8 / 3, 34 / 3, 4 / Math.sqrt(3), 4 / Math.sqrt(3), [
        13 / 17,
        ciLow(4 / 17, Math.sqrt(1 / 4 + 4 / 289)),
        ciHigh(4 / 17, Math.sqrt(1 / 4 + 4 / 289)),
      ]),
      row('H1', 'serious_violence_harm', 3, 3, 0, 10, 0, 0, null),
      row('H2', 'count', 3, 3, 1 / 3, 1, Math.sqrt(1 / 3), 0, withCi(2 / 3, 1)),
      row('H2', 'harm', 3, 3, 4 / 3, 26 / 3, 4 / Math.sqrt(3), 4 / Math.sqrt(3), [
        11 / 13,
        ciLow(2 / 13, Math.sqrt(1 + 4 / 169)),
        ciHigh(2 / 13, Math.sqrt(1 + 4 / 169)),
      ]),
      row('H2', 'serious_violence_harm', 3, 3, 0, 20 / 3, 0, 10 / Math.sqrt(3), null),
    ])
    // the numbers behind the pooled harm CI, to four places
    expect(ciLow(0.2, allHarmSe)).toBeCloseTo(0.5083, 4)
    expect(ciHigh(0.2, allHarmSe)).toBeCloseTo(0.9187, 4)
  })

  it('dates an event by the London day it occurred, else the day it was reported', async () => {
    // H3 (see its table above): count A [1, 0, 1] mean 2/3, SS = 2 (1/3)^2 + (2/3)^2 = 2/3, var 1/3;
    //   U [1, 1] mean 1, sd 0. effect = 1 - 2/3 = 1/3; se^2 = (1/3)/(3 (2/3)^2) + 0 = 1/4 -> se 0.5
    // harm: A [4, 0, 4] mean 8/3, SS = 2 (4/3)^2 + (8/3)^2 = 32/3, var 16/3; U [10, 10] mean 10, sd 0
    //   effect = 1 - (8/3)/10 = 11/15; se^2 = (16/3)/(3 (8/3)^2) + 0 = 1/4 -> se 0.5
    // serious violence harm: A [0, 0, 0] mean 0 (no effect); U [10, 10] mean 10, sd 0
    const rows = await lake.mart('patrol_effect', '2026-06-05')
    const h3 = (outcome: string, mA: number, sA: number, mU: number, effect: number | null) => ({
      scope: 'H3',
      outcome,
      n_assigned_days: 3,
      n_unassigned_days: 2,
      mean_assigned: sixDecimals(mA),
      mean_unassigned: sixDecimals(mU),
      sd_assigned: sixDecimals(sA),
      sd_unassigned: sixDecimals(0),
      effect: effect === null ? null : sixDecimals(effect),
      effect_ci_low: effect === null ? null : sixDecimals(ciLow(1 - effect, 0.5)),
      effect_ci_high: effect === null ? null : sixDecimals(ciHigh(1 - effect, 0.5)),
      weights_version: 'w-test',
    })
    expect(rows.filter((r) => r.scope === 'H3')).toEqual([
      h3('count', 2 / 3, Math.sqrt(1 / 3), 1, 1 / 3),
      h3('harm', 8 / 3, 4 / Math.sqrt(3), 10, 11 / 15),
      h3('serious_violence_harm', 0, 0, 10, null),
    ])
  })

  it('gives no effect for an arm of fewer than 2 days', async () => {
    // as of 3 March: H1 A [02: 4] U [03: 10]; H2 U [02: 10] A [03: 0]. Each hotspot has one day per arm: null.
    // all, harm: A [4, 0] mean 2, SS = 8, var 8; U [10, 10] mean 10, var 0
    //   effect 0.8, se^2 = 8/(2 * 4) + 0 = 1 -> se 1
    const rows = await lake.mart('patrol_effect', '2026-03-03')
    const harm = rows.filter((r) => r.outcome === 'harm')
    expect(harm).toEqual([
      expect.objectContaining({
        scope: 'all',
        n_assigned_days: 2,
        n_unassigned_days: 2,
        mean_assigned: sixDecimals(2),
        mean_unassigned: sixDecimals(10),
        sd_assigned: sixDecimals(Math.sqrt(8)),
        sd_unassigned: sixDecimals(0),
        effect: sixDecimals(0.8),
        effect_ci_low: sixDecimals(ciLow(0.2, 1)),
        effect_ci_high: sixDecimals(ciHigh(0.2, 1)),
      }),
      expect.objectContaining({
        scope: 'H1',
        n_assigned_days: 1,
        mean_assigned: sixDecimals(4),
        sd_assigned: null,
        effect: null,
        effect_ci_low: null,
      }),
      expect.objectContaining({ scope: 'H2', n_unassigned_days: 1, effect: null, effect_ci_high: null }),
    ])
  })

  it('has no rows before the trial', async () => {
    expect(await lake.mart('patrol_effect', '2026-02-28')).toEqual([])
  })
})
