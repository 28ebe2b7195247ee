import { TZDate } from '@date-fns/tz'
// one module each: the package's index loads its hundreds of functions, which `hotspot --help` would pay for
import { getISOWeek } from 'date-fns/getISOWeek'
import { getISOWeekYear } from 'date-fns/getISOWeekYear'
import { setISOWeek } from 'date-fns/setISOWeek'
import { startOfISOWeek } from 'date-fns/startOfISOWeek'

/**
 * Calendar days as numbers (days since 1970-01-01) and as `YYYY-MM-DD`, with their weeks and months. Days,
 * not instants: which day an instant falls on in London is london.ts's. Reading and writing `YYYY-MM-DD` stays
 * hand-written: ingest reads one per date field of every row.
 */

export const DAY_MS = 86_400_000

/**
 * True for exactly `YYYY-MM-DD` naming a real day: no spaces around it (parseDate reads past them). For a date
 * that goes into SQL text, a key or a configuration value.
 */
export function isDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && parseDate(text) !== undefined
}

/** `YYYY-MM-DD` to days since 1970-01-01, or undefined when not a real date. */
export function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim())
  if (!m) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  return Date.UTC(year, month - 1, day) / DAY_MS
}

/** Month lengths, for the strict readers here and in instants.ts (per field of every row: no Date built). */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29
  return MONTH_DAYS[month - 1] ?? 0
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

/** Last calendar day of a `YYYY-MM` month, as `YYYY-MM-DD`. */
export function lastDayOfMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return `${month}-${String(daysInMonth(y, m)).padStart(2, '0')}`
}

/** 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 3) % 7) + 7) % 7
}

/** Day of the year, 0-based. */
export function dayOfYear(day: number): number {
  return day - Date.UTC(new Date(day * DAY_MS).getUTCFullYear(), 0, 1) / DAY_MS
}

/** date-fns reads a date's fields in the date's own zone: UTC here, whatever the machine's zone. */
const utcDay = (day: number) => new TZDate(day * DAY_MS, 'UTC')

/**
 * ISO year and week of a day: weeks run Monday to Sunday, and week 1 holds 4 January. For report periods (a few
 * calls per report): date-fns in a zone costs about a millisecond a call, too slow for a per-row loop.
 */
export function isoWeekOf(day: number): { year: number; week: number } {
  const date = utcDay(day)
  return { year: getISOWeekYear(date), week: getISOWeek(date) }
}

/** The Monday of ISO week `week` of ISO year `year` (a week past the year's last runs into the next year). */
export function isoWeekMonday(year: number, week: number): number {
  const jan4 = utcDay(Date.UTC(year, 0, 4) / DAY_MS)
  return Math.round(startOfISOWeek(setISOWeek(jan4, week)).getTime() / DAY_MS)
}
