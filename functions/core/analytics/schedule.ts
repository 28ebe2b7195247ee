import { formatDay, parseDate } from '../time.ts'

const londonDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})

/** The Europe/London calendar date of an instant, as YYYY-MM-DD. */
export function londonDay(instant: Date): string {
  return londonDate.format(instant)
}

/**
 * The as-of date of the nightly run that fires at `scheduledTime` (03:30 London): the last complete London day,
 * i.e. the day before the run's own London date. A run at 03:30 on Monday 30 March 2026 (02:30 UTC, BST) is as
 * of Sunday 29 March.
 */
export function nightlyAsOf(scheduledTime: Date): string {
  return formatDay((parseDate(londonDay(scheduledTime)) as number) - 1)
}
