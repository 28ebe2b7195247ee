import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GivenRow, rectangle, TestLake, weights } from './harness.ts'

/**
 * As of 2026-03-15 (months April 2025 .. March 2026, the last to the 15th). 100 m cells on northing row 1000
 * (25 m row 4000 .. 4003). Weights: violence 100, burglary 10, shoplifting 1, ASB 0.
 *
 *   cell       incidents                                              year harm  count
 *   P  6000    a violence in April, May and June 2025                  300        3
 *   Q  6001    a burglary every month but January 2026 (an ASB then)   110        12
 *   R  6002    11 burglaries in May 2025                               110        11
 *   S  5999    a burglary in July 2025                                 10         1
 *   6010..6029 a shoplifting each in April 2025                        1 each     1 each
 *
 * Year: 24 cells, top 5% = ceil(24 / 20) = 2: P (300), then Q and R tie at 110 and Q has the lower cell_x.
 * Months (top 5% = ceil(cells that month / 20)):
 *   Apr 2025  22 cells -> 2: P (100), Q (10)           May  P, Q, R -> 1: R (110)
 *   Jun       P, Q -> 1: P                              Jul  Q, S tie at 10 -> 1: S (cell_x 5999)
 *   Aug .. Dec 2025, Feb, Mar 2026: Q alone -> Q      Jan 2026: Q alone, harm 0 -> nobody
 *   P: April, June = 2. Q: April, August .. December (5), February, March = 8.
 */
let serial = 0
const at = (cellX: number, day: string, crimeType: string): GivenRow => ({
  incident_id: `I${++serial}`,
  reported_at: `${day}T12:00:00Z`,
  crime_type: crimeType,
  easting: cellX * 100 + 30,
  northing: 100_030,
})

/** Area cells dated by their area's phases (area_cells valid_from, and valid_to = the last day, inclusive). */
const since = (from: string, cells: GivenRow[], to: string | null = null) =>
  cells.map((c) => ({ ...c, valid_from: from, valid_to: to }))

const V = 'Violence and sexual offences'
const B = 'Burglary'
const Q_MONTHS = [
  '2025-04',
  '2025-05',
  '2025-06',
  '2025-07',
  '2025-08',
  '2025-09',
  '2025-10',
  '2025-11',
  '2025-12',
  '2026-02',
  '2026-03',
]

describe('hotspot_candidates', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      feeds: {
        incidents: [
          at(6000, '2025-04-15', V),
          at(6000, '2025-05-15', V),
          at(6000, '2025-06-15', V),
          ...Q_MONTHS.map((month) => at(6001, `${month}-10`, B)),
          at(6001, '2026-01-10', 'Anti-social behaviour'),
          at(6001, '2026-03-20', V), // after as_of
          ...Array.from({ length: 11 }, () => at(6002, '2025-05-20', B)),
          at(5999, '2025-07-20', B),
          ...Array.from({ length: 20 }, (_, i) => at(6010 + i, '2025-04-20', 'Shoplifting')),
          at(6002, '2025-03-31', V), // before the period
        ],
      },
      area_cells: [
        // a current hotspot cell inside P (25 m cell 24003 is in 100 m cell floor(24003 / 4) = 6000)
        ...since('2025-01-01', rectangle('H', 'hotspot', 24_003, 4002, 1, 1)),
        // Q (25 m cells 24004 .. 24007) holds H's buffer, a control and a hotspot whose phases ended on
        // 31 December 2025: none of them makes Q policed now
        ...since('2025-01-01', rectangle('H', 'buffer', 24_004, 4002, 1, 1)),
        ...since('2025-01-01', rectangle('K', 'control', 24_006, 4001, 1, 1)),
        ...since('2025-01-01', rectangle('OLD', 'hotspot', 24_005, 4000, 1, 1), '2025-12-31'),
        // R (24008 .. 24011) has a hotspot cell whose phases ended on 31 December 2025 too
        ...since('2025-01-01', rectangle('OLD2', 'hotspot', 24_011, 4003, 1, 1), '2025-12-31'),
      ],
      harm_weights: weights({ [V]: 100, [B]: 10, Shoplifting: 1, 'Anti-social behaviour': 0 }),
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('lists the top 5% of 100 m cells by harm with their months in the monthly top 5%', async () => {
    expect(await lake.mart('hotspot_candidates', '2026-03-15')).toEqual([
      {
        cell_x: 6000,
        cell_y: 1000,
        easting: 600_050,
        northing: 100_050,
        harm: 300,
        crime_count: 3,
        harm_rank: 1,
        months_in_top5: 2,
        in_hotspot: true,
        weights_version: 'w-test',
      },
      {
        cell_x: 6001,
        cell_y: 1000,
        easting: 600_150,
        northing: 100_050,
        harm: 110,
        crime_count: 12,
        harm_rank: 2,
        months_in_top5: 8,
        in_hotspot: false,
        weights_version: 'w-test',
      },
    ])
  })

  it('counts a hotspot as current through the last day of its last phase', async () => {
    // as of 31 December 2025 (months January .. December 2025): P 300; R 11 burglaries + the violence of
    // 31 March 2025 = 210; Q 9 burglaries (April .. December) = 90; S 10; 20 shoplifting cells: 24 cells, top 2:
    // P, R. Months: March R (alone), April P and Q, May R, June P, July S, August .. December Q: P 2, R 2.
    // OLD2 covers R through 31 December (its last day, inclusive).
    const lastDay = await lake.mart('hotspot_candidates', '2025-12-31')
    expect(
      lastDay.map((r) => [r.cell_x, r.harm, r.crime_count, r.harm_rank, r.months_in_top5, r.in_hotspot]),
    ).toEqual([
      [6000, 300, 3, 1, 2, true],
      [6002, 210, 12, 2, 2, true],
    ])
    // as of 1 January 2026 the months are February 2025 .. January 2026: the same incidents (Q's January
    // record is an ASB, no harm), so the same ranking and months, but OLD2 ended the day before
    const dayAfter = await lake.mart('hotspot_candidates', '2026-01-01')
    expect(dayAfter.map((r) => [r.cell_x, r.harm, r.harm_rank, r.months_in_top5, r.in_hotspot])).toEqual([
      [6000, 300, 1, 2, true],
      [6002, 210, 2, 2, false],
    ])
  })
})

describe('hotspot_candidates without harm', () => {
  it('never proposes a cell whose incidents carry no harm', async () => {
    // one cell with five anti-social behaviour reports: 1 cell, top 5% = 1 cell, but harm 0
    const lake = await TestLake.create({
      feeds: { incidents: Array.from({ length: 5 }, () => at(7000, '2025-06-01', 'Anti-social behaviour')) },
      harm_weights: weights({ 'Anti-social behaviour': 0 }),
    })
    try {
      expect(await lake.mart('hotspot_candidates', '2025-06-30')).toEqual([])
    } finally {
      await lake.close()
    }
  })
})

describe('hotspot_candidates at the edge of a 100 m cell', () => {
  it('keeps eastings and northings with mod 100 = 95 .. 99 in their own cell', async () => {
    // Two burglaries (10 each) in the last metres of 100 m cell (6000, 1000): easting 600099 / northing 100095
    // and easting 600095 / northing 100099. With / 100.0 Trino divided as DECIMAL, one decimal rounded half up
    // (6000.99 -> 6001.0, 1000.95 -> 1001.0), and floor put them in the next cells. One cell with an incident:
    // top 5% = ceil(1 / 20) = 1 cell, harm 20, in March's top 5% too. The hotspot's 25 m cell (23999, 3999) is
    // in 100 m cell (5999, 999) (floor(23999 / 4) = 5999; as 23999 / 4.0 = 5999.75 -> 5999.8 it was harmless):
    // not this one.
    const lake = await TestLake.create({
      feeds: {
        incidents: [
          { ...at(0, '2026-03-02', B), easting: 600_099, northing: 100_095 },
          { ...at(0, '2026-03-03', B), easting: 600_095, northing: 100_099 },
        ],
      },
      area_cells: since('2025-01-01', rectangle('H', 'hotspot', 23_999, 3_999, 1, 1)),
      harm_weights: weights({ [B]: 10 }),
    })
    try {
      expect(await lake.mart('hotspot_candidates', '2026-03-15')).toEqual([
        {
          cell_x: 6000,
          cell_y: 1000,
          easting: 600_050,
          northing: 100_050,
          harm: 20,
          crime_count: 2,
          harm_rank: 1,
          months_in_top5: 1,
          in_hotspot: false,
          weights_version: 'w-test',
        },
      ])
    } finally {
      await lake.close()
    }
  })
})
