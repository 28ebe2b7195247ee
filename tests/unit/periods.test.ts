import { describe, expect, it } from 'vitest'
import {
  assertPeriodEnded,
  assertResultsCover,
  monthBefore,
  monthlyPeriod,
  PeriodError,
  periodOf,
  requestedPeriod,
  weekBefore,
  weeklyPeriod,
} from '../../functions/core/reports/periods.ts'

describe('report periods (Europe/London)', () => {
  it('the weeks around the 2026 clock changes cover 167 and 169 hours', () => {
    // Monday 23 March 00:00 GMT to Monday 30 March 00:00 BST: the clocks went forward on Sunday 29 March
    const spring = weeklyPeriod('2026-W13')
    expect(spring).toMatchObject({ firstDay: '2026-03-23', lastDay: '2026-03-29', hours: 167 })
    expect(spring.start.toISOString()).toBe('2026-03-23T00:00:00.000Z')
    expect(spring.end.toISOString()).toBe('2026-03-29T23:00:00.000Z')
    // Monday 19 October 00:00 BST to Monday 26 October 00:00 GMT: the clocks went back on Sunday 25 October
    const autumn = weeklyPeriod('2026-W43')
    expect(autumn).toMatchObject({ firstDay: '2026-10-19', lastDay: '2026-10-25', hours: 169 })
    expect(autumn.start.toISOString()).toBe('2026-10-18T23:00:00.000Z')
    expect(autumn.end.toISOString()).toBe('2026-10-26T00:00:00.000Z')
    expect(weeklyPeriod('2026-W14').hours).toBe(168)
  })

  it('knows ISO week 53 of 2026 and refuses weeks a year does not have', () => {
    expect(weeklyPeriod('2026-W53')).toMatchObject({ firstDay: '2026-12-28', lastDay: '2027-01-03' })
    expect(weeklyPeriod('2026-W53').label).toBe('Week 53: 28 December 2026 to 3 January 2027')
    expect(() => weeklyPeriod('2025-W53')).toThrow(PeriodError)
    expect(() => weeklyPeriod('2026-46')).toThrow(/ISO week/)
  })

  it('names the week and month in words', () => {
    expect(weeklyPeriod('2026-W46').label).toBe('Week 46: 9 to 15 November 2026')
    expect(weeklyPeriod('2026-W44').label).toBe('Week 44: 26 October to 1 November 2026')
    expect(monthlyPeriod('2026-10')).toMatchObject({
      label: 'October 2026',
      firstDay: '2026-10-01',
      lastDay: '2026-10-31',
      hours: 745,
    })
    expect(monthlyPeriod('2026-03').hours).toBe(743)
  })

  it('a Monday run reports on the week before, a run on the 1st on the month before', () => {
    expect(weekBefore('2026-11-16').id).toBe('2026-W46')
    expect(weekBefore('2026-11-22').id).toBe('2026-W46') // a Sunday: the week before the one it is in
    expect(weekBefore('2027-01-04').id).toBe('2026-W53')
    expect(monthBefore('2026-11-01').id).toBe('2026-10')
    expect(monthBefore('2027-01-01').id).toBe('2026-12')
  })

  it('reads a period id for either report', () => {
    expect(periodOf('weekly', '2026-W46')).toEqual(weeklyPeriod('2026-W46'))
    expect(periodOf('monthly', '2026-10')).toEqual(monthlyPeriod('2026-10'))
  })

  it('takes a scheduled run to the last complete week or month before its London day', () => {
    // Monday 07:00 London, GMT and BST; the 1st at 07:00 BST is 06:00 UTC on the 1st
    expect(requestedPeriod({ report: 'weekly', scheduled_time: '2026-11-16T07:00:00Z' }).id).toBe('2026-W46')
    expect(requestedPeriod({ report: 'weekly', scheduled_time: '2026-03-30T06:00:00Z' }).id).toBe('2026-W13')
    expect(requestedPeriod({ report: 'monthly', scheduled_time: '2026-10-01T06:00:00Z' }).id).toBe('2026-09')
    // a resend names its period
    expect(requestedPeriod({ report: 'monthly', period: '2026-10' })).toEqual(monthlyPeriod('2026-10'))
  })

  it('a period has ended only when its last London day has: a week at the end of its Sunday, a month at the end of its last day', () => {
    // week 43 of 2026 ends at 00:00 GMT on Monday 26 October (the clocks went back on the Sunday)
    const week = weeklyPeriod('2026-W43')
    expect(() => assertPeriodEnded(week, new Date('2026-10-25T23:59:59Z'))).toThrow(
      'weekly 2026-W43 has not ended: it ends at the end of Sunday 25 October 2026 (London)',
    )
    expect(() => assertPeriodEnded(week, new Date('2026-10-26T00:00:00Z'))).not.toThrow()
    // June 2026 ends at midnight BST, 23:00 UTC on the 30th
    const june = monthlyPeriod('2026-06')
    expect(() => assertPeriodEnded(june, new Date('2026-06-30T22:59:59Z'))).toThrow(PeriodError)
    expect(() => assertPeriodEnded(june, new Date('2026-06-30T23:00:00Z'))).not.toThrow()
  })

  it('results cover a period when they are as of its last day or later, from a run started after it ended', () => {
    const week = weeklyPeriod('2026-W46') // ends 2026-11-16T00:00Z
    const run = { run_id: 'r1', as_of: '2026-11-15', started_at: '2026-11-16T03:30:00.000Z' }
    expect(() => assertResultsCover(week, run)).not.toThrow()
    expect(() => assertResultsCover(week, { ...run, as_of: '2026-11-16' })).not.toThrow()
    expect(() => assertResultsCover(week, { ...run, as_of: '2026-11-14' })).toThrow(
      'results of run r1 are as of 2026-11-14, before the last day of weekly 2026-W46 (2026-11-15)',
    )
    expect(() => assertResultsCover(week, { ...run, started_at: '2026-11-15T20:00:00.000Z' })).toThrow(
      'run r1 started at 2026-11-15T20:00:00.000Z, before weekly 2026-W46 ended',
    )
  })
})
