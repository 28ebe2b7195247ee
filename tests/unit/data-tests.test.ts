import { describe, expect, it } from 'vitest'
import { assertGrain, grainViolations, MartGrainError } from '../../functions/core/analytics/data-tests.ts'

const GRAIN = ['hotspot_id', 'week_start']

const rows: Record<string, unknown>[] = [
  { hotspot_id: 'H1', week_start: 20_550, crimes: 3 },
  { hotspot_id: 'H2', week_start: 20_550, crimes: 0 },
  { hotspot_id: 'H1', week_start: 20_557, crimes: 1 },
]

describe('grainViolations: a mart result against its grain key', () => {
  it('finds none when the key columns tell every row apart and are never null', () => {
    expect(grainViolations(GRAIN, rows)).toEqual([])
  })

  it('names a planted duplicate key once, with how many rows share it', () => {
    const doubled = [
      ...rows,
      { hotspot_id: 'H2', week_start: 20_550, crimes: 5 },
      rows[1] as Record<string, unknown>,
    ]
    expect(grainViolations(GRAIN, doubled)).toEqual([
      { problem: 'duplicate', key: { hotspot_id: 'H2', week_start: 20_550 }, rows: 3 },
    ])
  })

  it('names a planted null, whether the column is null or missing', () => {
    const withNulls = [...rows, { hotspot_id: null, week_start: 20_550 }, { week_start: 20_564 }]
    expect(grainViolations(GRAIN, withNulls)).toEqual([
      { problem: 'null', key: { hotspot_id: null, week_start: 20_550 }, rows: 1 },
      { problem: 'null', key: { hotspot_id: null, week_start: 20_564 }, rows: 1 },
    ])
  })

  it('tells a value from its text (1 and "1" are different keys)', () => {
    expect(grainViolations(['k'], [{ k: 1 }, { k: '1' }])).toEqual([])
  })
})

describe('assertGrain: the check runMarts makes before it writes a result', () => {
  it('passes a result that keeps its grain', () => {
    expect(() => assertGrain('scorecard_weekly', GRAIN, rows)).not.toThrow()
  })

  it('fails with a named error giving the mart, the grain and the offending keys', () => {
    const broken = [...rows, rows[0] as Record<string, unknown>, { hotspot_id: 'H3', week_start: null }]
    expect(() => assertGrain('scorecard_weekly', GRAIN, broken)).toThrow(MartGrainError)
    expect(() => assertGrain('scorecard_weekly', GRAIN, broken)).toThrow(
      'scorecard_weekly: the results break the grain (hotspot_id, week_start): ' +
        '2 rows with {"hotspot_id":"H1","week_start":20550}; a null in {"hotspot_id":"H3","week_start":null}',
    )
  })

  it('names at most five keys, and counts the rest', () => {
    const nulls = Array.from({ length: 7 }, (_, i) => ({ hotspot_id: null, week_start: i }))
    expect(() => assertGrain('m', GRAIN, nulls)).toThrow(/week_start":4\}, and 2 more$/)
  })
})
