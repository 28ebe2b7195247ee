import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, type GivenRow, rectangle, TestLake, weights } from './harness.ts'

/**
 * hotspot_heatmap, given/expect. Every expected row below is worked out by hand from the rows given.
 *
 * H1 is 2 x 2 cells from (20000, 8000): its map is x 19994 .. 20007, y 7994 .. 8007 (6 cells around).
 * H2 is the one cell (20010, 8000): its map is x 20004 .. 20016, y 7994 .. 8006; the maps overlap at
 * x 20004 .. 20007. C9 is a control area, H0 a hotspot of another register version (r-old).
 * Weights (days): Burglary 10, Robbery 100, Drugs 5, Anti-social behaviour 0.
 *
 * As of Sunday 15 November 2026 the 28 days are Monday 19 October .. Sunday 15 November (London): the
 * clocks go back on 25 October, inside them.
 */

const WEIGHTS = [
  ...weights({ Burglary: 10, Robbery: 100, Drugs: 5, 'Anti-social behaviour': 0 }),
  ...weights({ Burglary: 1, Robbery: 1000, Drugs: 5, 'Anti-social behaviour': 0 }, 'w-other'),
]

let serial = 0
function incident(
  reportedAt: string,
  crimeType: string,
  cell: [number, number],
  extra: GivenRow = {},
): GivenRow {
  serial += 1
  return {
    incident_id: `I${serial}`,
    reported_at: reportedAt,
    crime_type: crimeType,
    ...cellCentre(cell[0], cell[1]),
    ...extra,
  }
}

function hotspot(areaId: string, extra: GivenRow = {}): GivenRow {
  return {
    area_id: areaId,
    role: 'hotspot',
    name: `Hotspot ${areaId}`,
    borough: 'Southend',
    commander_id: 'C1',
    buffer_m: 100,
    clear_from: '2026-11-09',
    ...extra,
  }
}

const cell = (
  hotspotId: string,
  x: number,
  y: number,
  inHotspot: boolean,
  harm: number,
  crimeCount: number,
  weightsVersion = 'w-test',
) => ({
  hotspot_id: hotspotId,
  cell_x: x,
  cell_y: y,
  in_hotspot: inHotspot,
  harm,
  crime_count: crimeCount,
  weights_version: weightsVersion,
})

describe('hotspot_heatmap', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      hotspots: [
        hotspot('H1'),
        hotspot('H2'),
        hotspot('C9', { role: 'control', commander_id: null, buffer_m: 0 }),
        hotspot('H0', { register_version: 'r-old' }),
      ],
      area_cells: [
        ...rectangle('H1', 'hotspot', 20_000, 8_000, 2, 2),
        ...rectangle('H1', 'buffer', 20_002, 8_000, 1, 2), // a buffer is not the hotspot: no outline
        ...rectangle('H2', 'hotspot', 20_010, 8_000, 1, 1),
        ...rectangle('C9', 'control', 20_050, 8_050, 1, 1),
        ...rectangle('H0', 'hotspot', 20_100, 8_100, 1, 1).map((c) => ({ ...c, register_version: 'r-old' })),
      ],
      harm_weights: WEIGHTS,
      feeds: {
        incidents: [
          // --- H1's own cells ---
          incident('2026-11-01T12:00:00Z', 'Burglary', [20_000, 8_000]), // e1
          incident('2026-11-10T12:00:00Z', 'Robbery', [20_000, 8_000]), // e2
          incident('2026-11-05T12:00:00Z', 'Anti-social behaviour', [20_001, 8_001]), // e3: count, harm 0
          incident('2026-10-18T23:30:00Z', 'Burglary', [20_001, 8_000]), // e4: 00:30 BST Mon 19 Oct: first day
          incident('2026-10-18T22:30:00Z', 'Burglary', [20_001, 8_000]), // e5: 23:30 BST Sun 18 Oct: before
          incident('2026-11-15T23:30:00Z', 'Robbery', [20_001, 8_001]), // e6: 23:30 GMT Sun 15 Nov: last day
          // month-precision record (data.police.uk, dated the 1st): left out
          incident('2026-11-01T00:00:00Z', 'Burglary', [20_000, 8_000], { period_precision: 'month' }),
          // V: a Robbery in (20000, 8001) on the 3 November drop, moved out of the map by the 4 November drop
          incident('2026-11-02T12:00:00Z', 'Robbery', [20_000, 8_001], {
            incident_id: 'V',
            drop_date: '2026-11-03',
          }),
          incident('2026-11-02T12:00:00Z', 'Robbery', [19_993, 8_000], {
            incident_id: 'V',
            drop_date: '2026-11-04',
          }),
          // L: reported 14 November, first dropped 16 November: unknown as of 15 November
          incident('2026-11-14T12:00:00Z', 'Burglary', [20_000, 8_001], { drop_date: '2026-11-16' }),
          // --- around H1 ---
          incident('2026-11-02T12:00:00Z', 'Burglary', [19_994, 7_994]), // the map's corner: in
          incident('2026-11-02T12:00:00Z', 'Burglary', [19_993, 8_000]), // 7 cells west: out
          incident('2026-11-02T12:00:00Z', 'Burglary', [20_007, 8_008]), // 7 cells north: out
          incident('2026-11-02T12:00:00Z', 'Burglary', [20_002, 8_000]), // H1's buffer: in the map, not the outline
          // W: first a Robbery, corrected to a Burglary the next day: the current version counts
          incident('2026-11-06T12:00:00Z', 'Robbery', [19_995, 8_000], {
            incident_id: 'W',
            drop_date: '2026-11-06',
          }),
          incident('2026-11-06T12:00:00Z', 'Burglary', [19_995, 8_000], {
            incident_id: 'W',
            drop_date: '2026-11-07',
          }),
          // in both maps: a police-initiated drugs record (counted, harm 0)
          incident('2026-11-08T12:00:00Z', 'Drugs', [20_005, 8_000], { police_initiated: true }),
          // Monday 16 November, 00:30 GMT: after as of 15 November; in both maps as of 16 November
          incident('2026-11-16T00:30:00Z', 'Burglary', [20_006, 7_995]),
          // --- H2 ---
          incident('2026-11-12T12:00:00Z', 'Burglary', [20_010, 8_000]),
          // --- elsewhere ---
          incident('2026-11-03T12:00:00Z', 'Burglary', [20_050, 8_050]), // the control area: no map
          incident('2026-11-04T12:00:00Z', 'Burglary', [20_100, 8_100]), // H0 (r-old)
          // no location: in no cell
          incident('2026-11-04T12:00:00Z', 'Robbery', [0, 0], {
            easting: null,
            northing: null,
            location_description: 'No Location',
          }),
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('as of Sunday 15 November 2026: the cells with incidents in the 28 days and every own cell', async () => {
    expect(await lake.mart('hotspot_heatmap', '2026-11-15')).toEqual([
      cell('H1', 19_994, 7_994, false, 10, 1), // the corner of the 6-cell margin
      cell('H1', 19_995, 8_000, false, 10, 1), // W, as corrected: Burglary
      // e1 + e2 = 10 + 100 (the month record left out)
      cell('H1', 20_000, 8_000, true, 110, 2),
      // empty own cell, kept for the outline: V moved out, L not yet dropped
      cell('H1', 20_000, 8_001, true, 0, 0),
      cell('H1', 20_001, 8_000, true, 10, 1), // e4 (first day); not e5 (the day before)
      cell('H1', 20_001, 8_001, true, 100, 2), // e3 (ASB, 0) + e6 (last day, 100)
      cell('H1', 20_002, 8_000, false, 10, 1), // the buffer cell
      cell('H1', 20_005, 8_000, false, 0, 1), // police-initiated drugs: counted, no harm
      // H2: its map reaches back to x 20004
      cell('H2', 20_005, 8_000, false, 0, 1),
      cell('H2', 20_010, 8_000, true, 10, 1),
    ])
  })

  it('as of Monday 16 November: the window moves a day, a late drop comes in', async () => {
    // 28 days: Tuesday 20 October .. Monday 16 November. e4 (19 October) drops out; L (dropped 16 November)
    // and the Monday 00:30 burglary at (20006, 7995) come in
    expect(await lake.mart('hotspot_heatmap', '2026-11-16')).toEqual([
      cell('H1', 19_994, 7_994, false, 10, 1),
      cell('H1', 19_995, 8_000, false, 10, 1),
      cell('H1', 20_000, 8_000, true, 110, 2),
      cell('H1', 20_000, 8_001, true, 10, 1), // L
      cell('H1', 20_001, 8_000, true, 0, 0), // e4 out: empty, still an own cell
      cell('H1', 20_001, 8_001, true, 100, 2),
      cell('H1', 20_002, 8_000, false, 10, 1),
      cell('H1', 20_005, 8_000, false, 0, 1),
      cell('H1', 20_006, 7_995, false, 10, 1),
      cell('H2', 20_005, 8_000, false, 0, 1),
      cell('H2', 20_006, 7_995, false, 10, 1),
      cell('H2', 20_010, 8_000, true, 10, 1),
    ])
  })

  it('costs harm with the weights version asked for', async () => {
    // w-other: Burglary 1, Robbery 1000
    const rows = await lake.mart('hotspot_heatmap', '2026-11-15', { weights: 'w-other' })
    expect(rows.filter((r) => r.hotspot_id === 'H1' && r.in_hotspot)).toEqual([
      cell('H1', 20_000, 8_000, true, 1001, 2, 'w-other'), // 1 + 1000
      cell('H1', 20_000, 8_001, true, 0, 0, 'w-other'),
      cell('H1', 20_001, 8_000, true, 1, 1, 'w-other'),
      cell('H1', 20_001, 8_001, true, 1000, 2, 'w-other'), // 0 + 1000
    ])
  })

  it("draws the register version's hotspots only", async () => {
    expect(await lake.mart('hotspot_heatmap', '2026-11-15', { register: 'r-old' })).toEqual([
      cell('H0', 20_100, 8_100, true, 10, 1),
    ])
  })

  it("adds up, over a hotspot's own cells, to scorecard_weekly's 28-day figures for the week ending as_of", async () => {
    const map = await lake.mart('hotspot_heatmap', '2026-11-15')
    const scorecard = await lake.mart('scorecard_weekly', '2026-11-15')
    for (const id of ['H1', 'H2']) {
      const own = map.filter((r) => r.hotspot_id === id && r.in_hotspot)
      const week = scorecard.find((r) => r.hotspot_id === id && r.week_end === '2026-11-15')
      expect({
        harm: own.reduce((s, r) => s + Number(r.harm), 0),
        count: own.reduce((s, r) => s + Number(r.crime_count), 0),
      }).toEqual({ harm: week?.harm_28d, count: week?.count_28d })
    }
  })

  it('has only the own cells, all zero, before any incident', async () => {
    expect(await lake.mart('hotspot_heatmap', '2026-01-31')).toEqual([
      cell('H1', 20_000, 8_000, true, 0, 0),
      cell('H1', 20_000, 8_001, true, 0, 0),
      cell('H1', 20_001, 8_000, true, 0, 0),
      cell('H1', 20_001, 8_001, true, 0, 0),
      cell('H2', 20_010, 8_000, true, 0, 0),
    ])
  })
})
