import type { RunManifest } from '../analytics/run.ts'
import { daysInMonth, formatDay, isoWeekMonday, isoWeekOf, parseDate, weekday } from '../time/days.ts'
import { londonDayOf, londonMidnight } from '../time/london.ts'
import { formatDate, formatDayRange, formatMonth } from './document/format.ts'
import type { Period } from './model.ts'

export class PeriodError extends Error {
  override name = 'PeriodError'
}

/** The ISO week `2026-W46` (Monday 00:00 to Monday 00:00, Europe/London). */
export function weeklyPeriod(id: string): Period {
  const m = /^(\d{4})-W(\d{2})$/.exec(id)
  if (!m) throw new PeriodError(`${JSON.stringify(id)} is not an ISO week (YYYY-Www, e.g. 2026-W46)`)
  const year = Number(m[1])
  const week = Number(m[2])
  const monday = isoWeekMonday(year, week)
  if (week < 1 || isoWeekOf(monday).year !== year)
    throw new PeriodError(`${id}: ${year} has no ISO week ${week}`)
  const sunday = monday + 6
  const start = londonMidnight(monday)
  const end = londonMidnight(monday + 7)
  return {
    report: 'weekly',
    id,
    firstDay: formatDay(monday),
    lastDay: formatDay(sunday),
    start,
    end,
    hours: (end.getTime() - start.getTime()) / 3_600_000,
    label: `Week ${week}: ${formatDayRange(formatDay(monday), formatDay(sunday))}`,
  }
}

/** The month `2026-10` (local midnight on the 1st to local midnight on the 1st of the next). */
export function monthlyPeriod(id: string): Period {
  const m = /^(\d{4})-(\d{2})$/.exec(id)
  const month = Number(m?.[2])
  if (!m || month < 1 || month > 12) throw new PeriodError(`${JSON.stringify(id)} is not a month (YYYY-MM)`)
  const year = Number(m[1])
  const first = parseDate(`${id}-01`) as number
  const last = first + daysInMonth(year, month) - 1
  const start = londonMidnight(first)
  const end = londonMidnight(last + 1)
  return {
    report: 'monthly',
    id,
    firstDay: formatDay(first),
    lastDay: formatDay(last),
    start,
    end,
    hours: (end.getTime() - start.getTime()) / 3_600_000,
    label: formatMonth(`${id}-01`),
  }
}

/**
 * Refuses a period that has not ended at `now`: a week ends at the end of its Sunday, a month at the end of its
 * last day, in London. A report sent earlier would hold part of the period and lock its ledger.
 */
export function assertPeriodEnded(period: Period, now: Date): void {
  if (now.getTime() >= period.end.getTime()) return
  const last = `${period.report === 'weekly' ? 'Sunday ' : ''}${formatDate(period.lastDay)}`
  throw new PeriodError(
    `${period.report} ${period.id} has not ended: it ends at the end of ${last} (London); a report is only made for a period that has ended`,
  )
}

/**
 * Refuses results that do not cover the whole period: as of a day before its last, or from a run that started
 * before the period ended (a run sees the drops there are when it starts, so it saw only part of the period).
 */
export function assertResultsCover(
  period: Period,
  run: Pick<RunManifest, 'run_id' | 'as_of' | 'started_at'>,
): void {
  const what = `${period.report} ${period.id}`
  if (run.as_of < period.lastDay) {
    throw new PeriodError(
      `results of run ${run.run_id} are as of ${run.as_of}, before the last day of ${what} (${period.lastDay})`,
    )
  }
  if (new Date(run.started_at).getTime() < period.end.getTime()) {
    throw new PeriodError(
      `run ${run.run_id} started at ${run.started_at}, before ${what} ended: run the marts again (hotspot run --as-of ${run.as_of})`,
    )
  }
}

/** The period a report names: `2026-W46` for the weekly scorecard, `2026-10` for the monthly funder report. */
export function periodOf(report: Period['report'], id: string): Period {
  return report === 'weekly' ? weeklyPeriod(id) : monthlyPeriod(id)
}

/**
 * The period a report run is for: the one it names, or (started by the schedule) the last complete week or month
 * before the London day the run was scheduled for.
 */
export function requestedPeriod(
  request: { report: Period['report'] } & ({ period: string } | { scheduled_time: string }),
): Period {
  if ('period' in request) return periodOf(request.report, request.period)
  const day = londonDayOf(new Date(request.scheduled_time))
  return request.report === 'weekly' ? weekBefore(day) : monthBefore(day)
}

/** The week a Monday-morning run reports on: the last complete week before the London day it runs on. */
export function weekBefore(londonDayOfRun: string): Period {
  const day = parseDate(londonDayOfRun)
  if (day === undefined) throw new PeriodError(`${JSON.stringify(londonDayOfRun)} is not a date`)
  const { year, week } = isoWeekOf(day - weekday(day) - 7)
  return weeklyPeriod(`${year}-W${String(week).padStart(2, '0')}`)
}

/** The month a run on the 1st reports on: the last complete month before the London day it runs on. */
export function monthBefore(londonDayOfRun: string): Period {
  const day = parseDate(londonDayOfRun)
  if (day === undefined) throw new PeriodError(`${JSON.stringify(londonDayOfRun)} is not a date`)
  const [y, m] = formatDay(day).split('-').map(Number) as [number, number]
  const previous = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
  return monthlyPeriod(previous)
}
