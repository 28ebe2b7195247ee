/**
 * Fast Europe/London arithmetic for the generator (millions of timestamps): the UK rule since 1996 (BST from
 * 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October), cached per year. The unit
 * tests check it against the Intl-based `londonOffsetMinutes` of core/time.ts.
 */

export const DAY_MS = 86_400_000
export const HOUR_MS = 3_600_000
export const MINUTE_MS = 60_000

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

/** UTC offset of Europe/London at a UTC instant, in milliseconds (0 or one hour). */
export function londonOffsetMs(utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear()
  const [start, end] = bstWindow(year)
  return utcMs >= start && utcMs < end ? HOUR_MS : 0
}

/** Local calendar day (days since 1970-01-01) of a UTC instant. */
export function londonDay(utcMs: number): number {
  return Math.floor((utcMs + londonOffsetMs(utcMs)) / DAY_MS)
}

/**
 * UTC instant of a local wall-clock time on local day `day`, `minuteOfDay` minutes (may be fractional) after
 * midnight. A time in the spring-forward gap lands an hour later; one in the autumn repeat takes the first.
 */
export function londonToUtc(day: number, minuteOfDay: number): number {
  const wall = day * DAY_MS + Math.round(minuteOfDay * MINUTE_MS)
  const summer = wall - HOUR_MS
  return londonOffsetMs(summer) === HOUR_MS ? summer : wall
}

/** `YYYY-MM-DDTHH:MM:SSZ` (whole seconds). */
export function isoUtc(utcMs: number): string {
  return `${new Date(Math.floor(utcMs / 1000) * 1000).toISOString().slice(0, 19)}Z`
}

/** `YYYY-MM-DDTHH:MM:SS+00:00` (whole seconds), the data.police.uk style. */
export function isoUtcOffset(utcMs: number): string {
  return `${new Date(Math.floor(utcMs / 1000) * 1000).toISOString().slice(0, 19)}+00:00`
}

/** 0 = Monday ... 6 = Sunday. */
export function weekday(day: number): number {
  return (((day + 3) % 7) + 7) % 7
}

/** Day of the year, 0-based. */
export function dayOfYear(day: number): number {
  const date = new Date(day * DAY_MS)
  return Math.round((day * DAY_MS - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY_MS)
}
