import { formatDay, parseDate } from '../time/days.ts'
import { londonDayOf } from '../time/london.ts'

/**
 * The as-of date of the nightly run that fires at `scheduledTime` (03:30 London): the last complete London day,
 * i.e. the day before the run's own London date. A run at 03:30 on Monday 30 March 2026 (02:30 UTC, BST) is as
 * of Sunday 29 March.
 */
export function nightlyAsOf(scheduledTime: Date): string {
  return formatDay((parseDate(londonDayOf(scheduledTime)) as number) - 1)
}
