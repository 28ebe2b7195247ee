import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, rectangle, TestLake } from './harness.ts'
import { sixDecimals } from './rounding.ts'

const inH1 = cellCentre(20_000, 7_000)
const inH2 = cellCentre(21_000, 8_000)
const inH3 = cellCentre(22_000, 9_000)
const outside = cellCentre(20_100, 7_100)

const tip = (row: Record<string, string | number | null>) => ({
  hotspot_id: null,
  actioned_at: null,
  outcome: null,
  ...row,
})

const expected = (
  month: string,
  groupType: string,
  groupValue: string,
  received: number,
  within: number,
  interventions: number,
  arrests: number,
) => ({
  month,
  group_type: groupType,
  group_value: groupValue,
  received,
  actioned_within_48h: within,
  share_actioned_within_48h: received === 0 ? null : sixDecimals(within / received),
  interventions,
  arrests,
})

describe('tips_monthly', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      area_cells: [
        ...rectangle('H1', 'hotspot', 20_000, 7_000, 2, 2),
        ...rectangle('H2', 'hotspot', 21_000, 8_000, 1, 1),
        ...rectangle('H3', 'hotspot', 22_000, 9_000, 1, 1),
      ],
      feeds: {
        tips: [
          // names H1, no location; actioned 48:00:00 later exactly: within 48 h
          tip({
            tip_id: 'T1',
            received_at: '2026-03-02T10:00:00Z',
            source_type: 'resident',
            hotspot_id: 'H1',
            actioned_at: '2026-03-04T10:00:00Z',
            outcome: 'intervention',
          }),
          // names H1 and lies in H1: once; actioned 48:00:01 later: not within
          tip({
            tip_id: 'T2',
            received_at: '2026-03-03T10:00:00Z',
            source_type: 'resident',
            hotspot_id: 'H1',
            ...inH1,
            actioned_at: '2026-03-05T10:00:01Z',
            outcome: 'arrest',
          }),
          // lies in H2; 12:00 GMT on 28 March to 13:00 BST on 30 March: 49 h on the wall clock, 48 h elapsed
          tip({
            tip_id: 'T3',
            received_at: '2026-03-28T12:00:00Z',
            source_type: 'shopkeeper',
            ...inH2,
            actioned_at: '2026-03-30T12:00:00Z',
            outcome: 'intervention',
          }),
          // names H1 but lies in H2: counts in both; never actioned
          tip({
            tip_id: 'T4',
            received_at: '2026-03-10T09:00:00Z',
            source_type: 'school',
            hotspot_id: 'H1',
            ...inH2,
            outcome: 'pending',
          }),
          // names an area the register does not have, lies outside: in no hotspot
          tip({
            tip_id: 'T5',
            received_at: '2026-03-12T09:00:00Z',
            source_type: 'youth_worker',
            hotspot_id: 'H9',
            ...outside,
            actioned_at: '2026-03-12T10:00:00Z',
            outcome: 'no_action',
          }),
          // corrected on 20 April: it led to an arrest
          tip({
            tip_id: 'T5',
            received_at: '2026-03-12T09:00:00Z',
            source_type: 'youth_worker',
            hotspot_id: 'H9',
            ...outside,
            actioned_at: '2026-03-12T10:00:00Z',
            outcome: 'arrest',
            drop_date: '2026-04-20',
          }),
          // 23:30 UTC on 31 March is 00:30 BST on 1 April
          tip({ tip_id: 'T6', received_at: '2026-03-31T23:30:00Z', source_type: 'resident', ...inH1 }),
          // after the first as-of date
          tip({ tip_id: 'T8', received_at: '2026-04-16T08:00:00Z', source_type: 'other', ...inH3 }),
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('counts tips received, actioned within 48 hours and their outcomes by month, hotspot and source', async () => {
    const rows = await lake.mart('tips_monthly', '2026-04-15')
    expect(rows).toEqual([
      // March: T1..T5. Within 48 h: T1 (48:00:00), T3 (48 h elapsed across the clock change), T5 (1 h) = 3 of 5;
      // T2 (48:00:01) and T4 (never) are not. Interventions T1, T3; arrests T2 (T5's arrest is dropped later).
      expected('2026-03-01', 'all', 'all', 5, 3, 2, 1),
      // H1: T1 (named), T2 (named and inside: once), T4 (named): 3; within T1; intervention T1; arrest T2
      expected('2026-03-01', 'hotspot', 'H1', 3, 1, 1, 1),
      // H2: T3 (inside), T4 (inside, though it names H1): 2; within T3; intervention T3
      expected('2026-03-01', 'hotspot', 'H2', 2, 1, 1, 0),
      expected('2026-03-01', 'hotspot', 'H3', 0, 0, 0, 0),
      expected('2026-03-01', 'source_type', 'resident', 2, 1, 1, 1), // T1, T2
      expected('2026-03-01', 'source_type', 'school', 1, 0, 0, 0), // T4
      expected('2026-03-01', 'source_type', 'shopkeeper', 1, 1, 1, 0), // T3
      expected('2026-03-01', 'source_type', 'youth_worker', 1, 1, 0, 0), // T5
      // April through the 15th: T6 only (00:30 BST on 1 April), in H1, not actioned
      expected('2026-04-01', 'all', 'all', 1, 0, 0, 0),
      expected('2026-04-01', 'hotspot', 'H1', 1, 0, 0, 0),
      expected('2026-04-01', 'hotspot', 'H2', 0, 0, 0, 0),
      expected('2026-04-01', 'hotspot', 'H3', 0, 0, 0, 0),
      expected('2026-04-01', 'source_type', 'resident', 1, 0, 0, 0),
    ])
    // shares as numbers, rounded to 6 decimals: all March 3/5, H1 1/3, H2 1/2
    expect(rows.slice(0, 3).map((r) => r.share_actioned_within_48h)).toEqual([0.6, 0.333333, 0.5])
  })

  it('sees the corrected outcome and the later tip as of a later date', async () => {
    const rows = await lake.mart('tips_monthly', '2026-04-20')
    const at = (month: string, groupType: string, groupValue: string) =>
      rows.find((r) => r.month === month && r.group_type === groupType && r.group_value === groupValue)
    // T5 now an arrest: March arrests T2, T5
    expect(at('2026-03-01', 'all', 'all')).toEqual(expected('2026-03-01', 'all', 'all', 5, 3, 2, 2))
    // T8 (16 April) in H3, source other
    expect(at('2026-04-01', 'hotspot', 'H3')).toEqual(expected('2026-04-01', 'hotspot', 'H3', 1, 0, 0, 0))
    expect(at('2026-04-01', 'source_type', 'other')).toEqual(
      expected('2026-04-01', 'source_type', 'other', 1, 0, 0, 0),
    )
  })
})

describe('tips_monthly: the 48 hour limit to the millisecond', () => {
  /*
   * actioned_within_48h compares milliseconds: Trino's date_diff('second') counts whole seconds elapsed and
   * DuckDB's counts second boundaries crossed, so on timestamps with fractions of a second they disagree, and
   * neither sees a millisecond over the limit. All four tips name H1, source resident, June 2026:
   *   A  received 10:00:00.000 on 1 June, actioned 10:00:00.000 on 3 June   48:00:00.000   within (exactly 48 h)
   *   B  received 11:00:00.000, actioned 11:00:00.001 two days later        48:00:00.001   not within (both engines
   *      count 172 800 s)
   *   C  received 12:00:00.900, actioned 12:00:01.100 two days later        48:00:00.200   not within (Trino
   *      counts 172 800 s elapsed, DuckDB 172 801 boundaries)
   *   D  received 13:00:00.900, actioned 13:00:00.100 two days later        47:59:59.200   within (Trino 172 799,
   *      DuckDB 172 800)
   * received 4, within 2 (A and D): share 0.5.
   */
  let lake: TestLake
  beforeAll(async () => {
    const actioned = (id: string, receivedAt: string, actionedAt: string) =>
      tip({
        tip_id: id,
        received_at: receivedAt,
        source_type: 'resident',
        hotspot_id: 'H1',
        actioned_at: actionedAt,
        outcome: 'no_action',
      })
    lake = await TestLake.create({
      area_cells: rectangle('H1', 'hotspot', 20_000, 7_000, 1, 1),
      feeds: {
        tips: [
          actioned('A', '2026-06-01T10:00:00.000Z', '2026-06-03T10:00:00.000Z'),
          actioned('B', '2026-06-01T11:00:00.000Z', '2026-06-03T11:00:00.001Z'),
          actioned('C', '2026-06-01T12:00:00.900Z', '2026-06-03T12:00:01.100Z'),
          actioned('D', '2026-06-01T13:00:00.900Z', '2026-06-03T13:00:00.100Z'),
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('counts 48:00:00.000 as within and 48:00:00.001 as not, whatever the fractions of a second', async () => {
    expect(await lake.mart('tips_monthly', '2026-06-30')).toEqual([
      expected('2026-06-01', 'all', 'all', 4, 2, 0, 0),
      expected('2026-06-01', 'hotspot', 'H1', 4, 2, 0, 0),
      expected('2026-06-01', 'source_type', 'resident', 4, 2, 0, 0),
    ])
  })
})
