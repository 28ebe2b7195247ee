import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CONTROL_OWN,
  PROGRAMME_AS_OF,
  PROGRAMME_CLEAR_FROM,
  programmeGiven,
} from '../fixtures/displacement-programme.ts'
import { cellCentre, type GivenRow, rectangle, TestLake, weights } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * Cells (25 m, y 3000..3001 throughout):
 *   x 1994-1995  B's buffer
 *   x 1996-1997  hotspot B; x 1997 is also in A's buffer ring (so it is not A's displacement area)
 *   x 1998-1999  A's buffer (its D)
 *   x 2000-2001  hotspot A
 *   x 2100-2101  control K; K2 covers (2101..2102, 3001), sharing (2101, 3001) with K
 *   x 2200       hotspot E (clear from 1 June: after window not complete by 31 July)
 *   x 2300       hotspot F (no clear phase)
 *
 * Windows: A clears 2026-04-06: b = 2026-01-12 .. 2026-04-05, a = 2026-04-06 .. 2026-06-28.
 *          B clears 2026-05-04: b = 2026-02-09 .. 2026-05-03, a = 2026-05-04 .. 2026-07-26.
 */
let serial = 0
const many = (n: number, cell: [number, number], day: string, crimeType = 'Burglary', extra: GivenRow = {}) =>
  Array.from(
    { length: n },
    (): GivenRow => ({
      incident_id: `I${++serial}`,
      reported_at: `${day}T12:00:00Z`,
      crime_type: crimeType,
      ...cellCentre(...cell),
      ...extra,
    }),
  )

describe('displacement', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      feeds: {
        incidents: [
          // A's R: before 1 + 98 + 1 = 100 (both window ends included), after 1 + 48 + 1 = 50
          ...many(1, [2000, 3000], '2026-01-11'), // the day before b: not counted
          ...many(1, [2000, 3000], '2026-01-12'),
          ...many(98, [2001, 3001], '2026-02-02'),
          ...many(1, [2000, 3000], '2026-04-05'),
          ...many(1, [2000, 3000], '2026-04-06'),
          ...many(40, [2001, 3000], '2026-05-04'),
          ...many(8, [2001, 3000], '2026-05-04', 'Anti-social behaviour'), // counted: ASB is in the count
          ...many(1, [2000, 3000], '2026-05-04', 'Drugs', { police_initiated: true }), // not counted
          ...many(1, [2000, 3001], '2026-06-28'),
          ...many(1, [2000, 3001], '2026-06-29'), // the day after a: not counted
          // A's D: before 100, after 150
          ...many(100, [1999, 3000], '2026-02-02'),
          ...many(150, [1998, 3001], '2026-05-04'),
          // B's R, in A's buffer ring too (x 1997) and in A's windows: counted for B only
          ...many(10, [1997, 3000], '2026-03-02'),
          ...many(20, [1996, 3001], '2026-06-01'),
          // B's D: before 5, after 5
          ...many(5, [1994, 3000], '2026-03-02'),
          ...many(5, [1995, 3001], '2026-06-01'),
          // controls
          ...many(50, [2100, 3000], '2026-01-20'), // A before
          ...many(50, [2101, 3001], '2026-03-02'), // A before, B before; in K and K2, counted once
          ...many(50, [2100, 3001], '2026-04-20'), // A after, B before
          ...many(50, [2102, 3001], '2026-05-18'), // A after, B after (K2 only)
          ...many(30, [2100, 3000], '2026-07-06'), // B after
          // E's hotspot: never reported
          ...many(7, [2200, 3000], '2026-05-01'),
        ],
      },
      area_cells: [
        // the register dates A's cells from its first phase: the before window is still counted
        ...rectangle('A', 'hotspot', 2000, 3000, 2, 2).map((c) => ({ ...c, valid_from: '2026-04-06' })),
        ...rectangle('A', 'buffer', 1997, 3000, 3, 2),
        ...rectangle('B', 'hotspot', 1996, 3000, 2, 2),
        ...rectangle('B', 'buffer', 1994, 3000, 2, 2),
        ...rectangle('K', 'control', 2100, 3000, 2, 2),
        ...rectangle('K2', 'control', 2101, 3001, 2, 1),
        ...rectangle('E', 'hotspot', 2200, 3000, 1, 1),
        ...rectangle('F', 'hotspot', 2300, 3000, 1, 1),
      ],
      hotspots: [
        { area_id: 'A', role: 'hotspot', name: 'A', buffer_m: 75, clear_from: '2026-04-06' },
        { area_id: 'B', role: 'hotspot', name: 'B', buffer_m: 50, clear_from: '2026-05-04' },
        { area_id: 'K', role: 'control', name: 'K', buffer_m: 0 },
        { area_id: 'K2', role: 'control', name: 'K2', buffer_m: 0 },
        { area_id: 'E', role: 'hotspot', name: 'E', buffer_m: 0, clear_from: '2026-06-01' },
        { area_id: 'F', role: 'hotspot', name: 'F', buffer_m: 0, hold_from: '2026-01-01' },
      ],
      harm_weights: weights({ Burglary: 244.68, Drugs: 3.66, 'Anti-social behaviour': 0 }),
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('computes WDQ, TNE and WDD per hotspot and for all of them', async () => {
    const rows = await lake.mart('displacement', '2026-07-31')
    expect(rows).toEqual([
      // DESIGN's check: R 100 -> 50, D 100 -> 150, C 100 -> 100
      //   WDQ = (150/100 - 100/100) / (50/100 - 100/100) = 0.5 / -0.5 = -1
      //   TNE = [100 (100/100) - 50] + [100 (100/100) - 150] = 50 - 50 = 0
      //   WDD = (50 - 100) - (100 - 100) = -50, SE = sqrt(50 + 100 + 100 + 100) = sqrt(350) = 18.708
      {
        hotspot_id: 'A',
        clear_from: '2026-04-06',
        before_from: '2026-01-12',
        after_to: '2026-06-28',
        rb: 100,
        ra: 50,
        db: 100,
        da: 150,
        cb: 100,
        ca: 100,
        wdq: sixDecimals(-1),
        tne: sixDecimals(0),
        wdd: sixDecimals(-50),
        wdd_se: sixDecimals(Math.sqrt(350)),
      },
      // B: R 10 -> 20, D 5 -> 5, C 100 -> 80 (50 on 2 March + 50 on 20 April; 50 on 18 May + 30 on 6 July)
      //   Ra/Ca - Rb/Cb = 20/80 - 10/100 = 0.15 >= 0: the hotspot rose relative to control, WDQ not applicable
      //   TNE = [10 (80/100) - 20] + [5 (80/100) - 5] = -12 - 1 = -13
      //   WDD = (20 - 10) - (80 - 100) = 30, SE = sqrt(20 + 10 + 80 + 100) = sqrt(210)
      {
        hotspot_id: 'B',
        clear_from: '2026-05-04',
        before_from: '2026-02-09',
        after_to: '2026-07-26',
        rb: 10,
        ra: 20,
        db: 5,
        da: 5,
        cb: 100,
        ca: 80,
        wdq: null,
        tne: sixDecimals(-13),
        wdd: sixDecimals(30),
        wdd_se: sixDecimals(Math.sqrt(210)),
      },
      // all: Rb 10 + 100 = 110, Ra 50 + 20 = 70, Db 100 + 5 = 105, Da 150 + 5 = 155 (no cell is shared).
      //   The control areas once, over the days of any hotspot's before window and of any after window:
      //   Cb = 50 (20 Jan) + 50 (2 March) + 50 (20 April) = 150; Ca = 50 (20 April) + 50 (18 May) + 30 (6 July) = 130.
      //   20 April is after A's start and before B's: it is on both sides, as it is for A and for B.
      //   denominator 70/130 - 110/150 = 7/13 - 11/15 = (105 - 143)/195 = -38/195 < 0
      //   numerator 155/130 - 105/150 = 31/26 - 7/10 = (155 - 91)/130 = 32/65 = 96/195
      //   WDQ = (96/195) / (-38/195) = -48/19 = -2.5263
      //   TNE = [110 (13/15) - 70] + [105 (13/15) - 155] = (1430/15 - 70) + (91 - 155) = 76/3 - 64 = -116/3
      //   WDD = (70 - 110) - (130 - 150) = -20, SE = sqrt(70 + 110 + 130 + 150) = sqrt(460)
      {
        hotspot_id: 'all',
        clear_from: null,
        before_from: '2026-01-12',
        after_to: '2026-07-26',
        rb: 110,
        ra: 70,
        db: 105,
        da: 155,
        cb: 150,
        ca: 130,
        wdq: sixDecimals(-48 / 19),
        tne: sixDecimals(-116 / 3),
        wdd: sixDecimals(-20),
        wdd_se: sixDecimals(Math.sqrt(460)),
      },
    ])
  })

  it('waits for the whole 12-week after window', async () => {
    // 28 June is A's last after day: A (and all, the same numbers) only; B's window runs to 26 July
    const onTheDay = await lake.mart('displacement', '2026-06-28')
    expect(onTheDay.map((r) => [r.hotspot_id, r.rb, r.ra, r.db, r.da, r.cb, r.ca, r.wdq])).toEqual([
      ['A', 100, 50, 100, 150, 100, 100, sixDecimals(-1)],
      ['all', 100, 50, 100, 150, 100, 100, sixDecimals(-1)],
    ])
    // a day earlier no hotspot qualifies, so there is no all row either
    expect(await lake.mart('displacement', '2026-06-27')).toEqual([])
  })
})

describe('displacement: the programme row of two hotspots and one control area', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create(programmeGiven())
  })
  afterAll(async () => {
    await lake.close()
  })

  it('counts the control area once and a buffer cell two hotspots share once', async () => {
    const rows = await lake.mart('displacement', PROGRAMME_AS_OF)
    const windows = { clear_from: PROGRAMME_CLEAR_FROM, before_from: '2026-01-12', after_to: '2026-06-28' }
    expect(rows).toEqual([
      // P: R 40 -> 20; D = its own buffer 10 -> 12 plus the shared cell 8 -> 14 = 18 -> 26; C = K 60 -> 66
      //   (the 5 police-initiated records in K are left out). Ca/Cb = 66/60 = 1.1
      //   denominator 20/66 - 40/60 = 10/33 - 22/33 = -12/33 < 0
      //   numerator 26/66 - 18/60 = 130/330 - 99/330 = 31/330
      //   WDQ = (31/330) / (-12/33) = (31/330) / (-120/330) = -31/120
      //   TNE = [40 (1.1) - 20] + [18 (1.1) - 26] = 24 - 6.2 = 17.8
      //   WDD = (20 - 40) - (66 - 60) = -26, SE = sqrt(20 + 40 + 66 + 60) = sqrt(186)
      {
        hotspot_id: 'P',
        ...windows,
        rb: 40,
        ra: 20,
        db: 18,
        da: 26,
        cb: 60,
        ca: 66,
        wdq: sixDecimals(-31 / 120),
        tne: sixDecimals(17.8),
        wdd: sixDecimals(-26),
        wdd_se: sixDecimals(Math.sqrt(186)),
      },
      // Q: R 30 -> 24; D = 6 -> 9 plus the shared cell 8 -> 14 = 14 -> 23; C = K 60 -> 66
      //   denominator 24/66 - 30/60 = 8/22 - 11/22 = -3/22 < 0
      //   numerator 23/66 - 14/60 = 115/330 - 77/330 = 38/330
      //   WDQ = (38/330) / (-3/22) = (38/330) / (-45/330) = -38/45
      //   TNE = [30 (1.1) - 24] + [14 (1.1) - 23] = 9 - 7.6 = 1.4
      //   WDD = (24 - 30) - (66 - 60) = -12, SE = sqrt(24 + 30 + 66 + 60) = sqrt(180)
      {
        hotspot_id: 'Q',
        ...windows,
        rb: 30,
        ra: 24,
        db: 14,
        da: 23,
        cb: 60,
        ca: 66,
        wdq: sixDecimals(-38 / 45),
        tne: sixDecimals(1.4),
        wdd: sixDecimals(-12),
        wdd_se: sixDecimals(Math.sqrt(180)),
      },
      // all: R summed, 40 + 30 = 70 -> 20 + 24 = 44; D counts each cell once: 10 + 8 + 6 = 24 -> 12 + 14 + 9 = 35
      //   (not 18 + 14 = 32 -> 26 + 23 = 49); C is K's own count, 60 -> 66 (not 120 -> 132). Ca/Cb = 1.1
      //   denominator Ra/Ca - Rb/Cb = 44/66 - 70/60 = 2/3 - 7/6 = -1/2 < 0
      //   numerator Da/Ca - Db/Cb = 35/66 - 24/60 = 175/330 - 132/330 = 43/330
      //   WDQ = (43/330) / (-1/2) = -86/330 = -43/165
      //   TNE = [Rb (Ca/Cb) - Ra] + [Db (Ca/Cb) - Da] = [70 (1.1) - 44] + [24 (1.1) - 35] = 33 - 8.6 = 24.4
      //   WDD = (Ra - Rb) - (Ca - Cb) = (44 - 70) - (66 - 60) = -32
      //   SE = sqrt(Ra + Rb + Ca + Cb) = sqrt(44 + 70 + 66 + 60) = sqrt(240)
      {
        hotspot_id: 'all',
        clear_from: null,
        before_from: '2026-01-12',
        after_to: '2026-06-28',
        rb: 70,
        ra: 44,
        db: 24,
        da: 35,
        cb: CONTROL_OWN.before,
        ca: CONTROL_OWN.after,
        wdq: sixDecimals(-43 / 165),
        tne: sixDecimals(24.4),
        wdd: sixDecimals(-32),
        wdd_se: sixDecimals(Math.sqrt(240)),
      },
    ])
  })
})
