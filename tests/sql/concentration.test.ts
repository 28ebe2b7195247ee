import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GivenRow, TestLake, weights } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * 100 m cells X = 5000 .. 5024 on one row (northing 200 000 .. 200 099; 25 m row y = 8000), as of 2026-03-15:
 * the period is 2025-04-01 .. 2026-03-15. Weights: violence 100, burglary 10, shoplifting 1, ASB 0.
 *
 *   X      incidents (at easting)                                   harm  count  25 m cells
 *   5000   1 violence (500010)                                      100   1      20000
 *   5001   1 violence (500110)                                      100   1      20004
 *   5002   2 ASB (500210), 3 ASB (500260)                           0     5      20008, 20010
 *   5003   3 burglary (500310), one at 00:30 BST on 1 April 2025    30    3      20012
 *   5004   3 shoplifting (500410, 500435, 500460)                   3     3      20016, 20017, 20018
 *   5005 .. 5024: 1 shoplifting each (X * 100 + 10)                 20    20     one each (20)
 *   total                                                           253   33
 *
 * Left out: a violence on 31 March 2025 (before the period), a violence with No Location, the first version
 * of a corrected record, and every harm of the other weights version.
 */
let serial = 0
const at = (easting: number, day: string, crimeType: string, extra: GivenRow = {}): GivenRow => ({
  incident_id: `I${++serial}`,
  reported_at: `${day}T12:00:00Z`,
  crime_type: crimeType,
  easting,
  northing: 200_010,
  ...extra,
})
const times = (n: number, row: () => GivenRow) => Array.from({ length: n }, row)

const V = 'Violence and sexual offences'

describe('concentration', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      feeds: {
        incidents: [
          at(500_010, '2025-06-01', V),
          at(500_010, '2025-03-31', V), // 31 March 2025: before the period
          at(500_110, '2026-03-15', V), // as_of itself
          ...times(2, () => at(500_210, '2025-07-01', 'Anti-social behaviour')),
          ...times(3, () => at(500_260, '2025-07-01', 'Anti-social behaviour')),
          ...times(2, () => at(500_310, '2025-08-01', 'Burglary')),
          // 23:30 UTC on 31 March is 00:30 on 1 April in London: inside the period
          { ...at(500_310, '2025-03-31', 'Burglary'), reported_at: '2025-03-31T23:30:00Z' },
          at(500_410, '2025-09-01', 'Shoplifting'),
          at(500_435, '2025-09-01', 'Shoplifting'),
          at(500_460, '2025-09-01', 'Shoplifting'),
          ...Array.from({ length: 19 }, (_, i) => at((5005 + i) * 100 + 10, '2025-10-01', 'Shoplifting')),
          // X 5024: first recorded as violence, corrected to shoplifting a day later
          { ...at(502_410, '2025-05-01', V), incident_id: 'corrected', drop_date: '2025-05-01' },
          { ...at(502_410, '2025-05-01', 'Shoplifting'), incident_id: 'corrected', drop_date: '2025-05-02' },
          // No Location: in no cell, in no total
          { ...at(0, '2025-06-01', V), easting: null, northing: null, location_description: 'No Location' },
        ],
      },
      harm_weights: [
        ...weights({ [V]: 100, Burglary: 10, Shoplifting: 1, 'Anti-social behaviour': 0 }),
        ...weights({ [V]: 1, Burglary: 1, Shoplifting: 1000, 'Anti-social behaviour': 0 }, 'w-other'),
      ],
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('gives the shares of harm and count in the top 1% and 5% of cells on both grids', async () => {
    const rows = await lake.mart('concentration', '2026-03-15')
    expect(rows).toEqual([
      // 25 m: 28 cells (1 + 1 + 2 + 1 + 3 + 20); top 1% = ceil(0.28) = 1, top 5% = ceil(1.4) = 2
      //   by harm: 20000 (100), 20004 (100) -> 100/253, 200/253
      //   by count: 20010 (3) and 20012 (3) lead -> 3/33, (3 + 3)/33
      {
        grid_m: 25,
        period_from: '2025-04-01',
        period_to: '2026-03-15',
        weights_version: 'w-test',
        cells: 28,
        top1_cells: 1,
        top5_cells: 2,
        top1_share_harm: sixDecimals(100 / 253),
        top5_share_harm: sixDecimals(200 / 253),
        top1_share_count: sixDecimals(3 / 33),
        top5_share_count: sixDecimals(6 / 33),
      },
      // 100 m: 25 cells; top 1% = ceil(0.25) = 1, top 5% = ceil(1.25) = 2
      //   by harm: 5000 (100), then 5001 (100) -> 100/253, 200/253
      //   by count: 5002 (5), then 5003 and 5004 tie at 3 -> 5/33, (5 + 3)/33
      {
        grid_m: 100,
        period_from: '2025-04-01',
        period_to: '2026-03-15',
        weights_version: 'w-test',
        cells: 25,
        top1_cells: 1,
        top5_cells: 2,
        top1_share_harm: sixDecimals(100 / 253),
        top5_share_harm: sixDecimals(200 / 253),
        top1_share_count: sixDecimals(5 / 33),
        top5_share_count: sixDecimals(8 / 33),
      },
    ])
  })

  it('takes whole calendar months: as of 14 March 2026 the period starts on 1 April 2025', async () => {
    // the violence of 15 March 2026 (X 5001) is not yet in: 24 cells at 100 m, harm 153, count 32
    //   harm: 5000 (100) then 5003 (30): 100/153, 130/153; count: 5002 (5), then 5003 (3): 5/32, 8/32
    const rows = await lake.mart('concentration', '2026-03-14')
    expect(rows[1]).toEqual({
      grid_m: 100,
      period_from: '2025-04-01',
      period_to: '2026-03-14',
      weights_version: 'w-test',
      cells: 24,
      top1_cells: 1,
      top5_cells: 2,
      top1_share_harm: sixDecimals(100 / 153),
      top5_share_harm: sixDecimals(130 / 153),
      top1_share_count: sixDecimals(5 / 32),
      top5_share_count: sixDecimals(8 / 32),
    })
  })

  it('costs harm with the weights version asked for', async () => {
    // w-other: violence 1, burglary 1, shoplifting 1000. 100 m harm: 5000: 1, 5001: 1, 5003: 3,
    // 5004: 3000, 5005 .. 5024: 1000 each (20 000); total 23 005. Top 1%: 5004 (3000);
    // top 5%: 5004 then 5005 (1000, the lowest cell_x of the 1000s) -> 3000/23005, 4000/23005
    const rows = await lake.mart('concentration', '2026-03-15', { weights: 'w-other' })
    expect(rows[1]).toMatchObject({
      grid_m: 100,
      weights_version: 'w-other',
      cells: 25,
      top1_share_harm: sixDecimals(3000 / 23_005),
      top5_share_harm: sixDecimals(4000 / 23_005),
      top1_share_count: sixDecimals(5 / 33),
    })
  })

  it('has a row per grid with no cells and no shares before any incident', async () => {
    const rows = await lake.mart('concentration', '2024-12-31')
    expect(rows.map((r) => [r.grid_m, r.period_from, r.cells, r.top1_cells, r.top5_share_harm])).toEqual([
      [25, '2024-01-01', 0, 0, null],
      [100, '2024-01-01', 0, 0, null],
    ])
  })
})
