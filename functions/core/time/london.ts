import { TZDate, tzOffset } from '@date-fns/tz'
import { DAY_MS, formatDay } from './days.ts'

/**
 * Europe/London: which day an instant falls on, and when a day begins. The time zone database (through
 * @date-fns/tz) answers, except in the demo generator's loops (londonOffsetMs).
 */
export const LONDON = 'Europe/London'

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000

/** The London calendar day (`YYYY-MM-DD`) of an instant: from 23:00 UTC in summer it is the next day. */
export function londonDayOf(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime()
  return formatDay(Math.floor((ms + tzOffset(LONDON, new Date(ms)) * MINUTE_MS) / DAY_MS))
}

/**
 * The instant London's day `day` (days since 1970-01-01) begins. Midnight is never in a clock-change gap (the
 * clocks change at 01:00 UTC), so it is one instant.
 */
export function londonMidnight(day: number): Date {
  const [year, month, date] = formatDay(day).split('-').map(Number) as [number, number, number]
  return new Date(new TZDate(year, month - 1, date, LONDON).getTime())
}

const bstCache = new Map<number, [start: number, end: number]>()

function lastSundayUtc(year: number, monthIndex: number): number {
  const last = new Date(Date.UTC(year, monthIndex + 1, 0))
  return Date.UTC(year, monthIndex, last.getUTCDate() - last.getUTCDay())
}

function bstWindow(year: number): [number, number] {
  let window = bstCache.get(year)
  if (!window) {
    window = [lastSundayUtc(year, 2) + HOUR_MS, lastSundayUtc(year, 9) + HOUR_MS]
    bstCache.set(year, window)
  }
  return window
}

/**
 * London's offset from UTC at an instant, in milliseconds (0 or one hour), by the UK rule since 1996: BST from
 * 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October. For the demo generator,
 * which places millions of instants: tzOffset formats each one through Intl (some 8 µs). The unit tests hold
 * it to tzOffset.
 */
export function londonOffsetMs(utcMs: number): number {
  const [start, end] = bstWindow(new Date(utcMs).getUTCFullYear())
  return utcMs >= start && utcMs < end ? HOUR_MS : 0
}

/** The London day (days since 1970-01-01) of an instant, by londonOffsetMs: londonDayOf's, as a number. */
export function londonDayNumber(utcMs: number): number {
  return Math.floor((utcMs + londonOffsetMs(utcMs)) / DAY_MS)
}

/**
 * The instant of a London wall-clock time on day `day`, `minuteOfDay` minutes (may be fractional) after
 * midnight, by londonOffsetMs. A time in the spring-forward gap lands an hour later; one in the autumn repeat
 * takes the first.
 */
export function londonToUtc(day: number, minuteOfDay: number): number {
  const wall = day * DAY_MS + Math.round(minuteOfDay * MINUTE_MS)
  const summer = wall - HOUR_MS
  return londonOffsetMs(summer) === HOUR_MS ? summer : wall
}
