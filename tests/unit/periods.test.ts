import { describe, expect, it } from 'vitest'
import {
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
})
