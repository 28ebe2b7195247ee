const DAY_MS = 86_400_000

/**
 * Parses ISO-8601 with an explicit offset to UTC epoch milliseconds. A timestamp without an offset is refused:
 * local wall-clock times are ambiguous across the October clock change.
 */
export function parseTimestamp(text: string): number | undefined {
  return parseUtcTimestamp(text) ?? parseOffsetTimestamp(text)
}

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)$/

/** Every form `parseTimestamp` accepts, by regular expression (exported for the test that the two paths agree). */
export function parseOffsetTimestamp(text: string): number | undefined {
  const m = ISO_TIMESTAMP.exec(text.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[]
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = s === undefined ? 0 : Number(s)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const millis = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000)
  let offsetMinutes = 0
  if (zone !== 'Z' && zone !== 'z' && zone !== undefined) {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    const oh = Number(digits.slice(0, 2))
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
    if (oh > 18 || om > 59) return undefined
    offsetMinutes = sign * (oh * 60 + om)
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000
}

const ZERO = 48

/** The digits of `text` from `start` to `end` as a number, or -1 when any is not a digit. */
function digitsAt(text: string, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - ZERO
    if (digit < 0 || digit > 9) return -1
    n = n * 10 + digit
  }
  return n
}

/**
 * The form almost every timestamp arrives in (JavaScript's `toISOString()` and most exporters):
 * `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.sssZ`, read digit by digit, about ten times faster than
 * `parseOffsetTimestamp`'s regular expression (which costs more than the rest of an ingested row's validation).
 * Undefined for any other text, which `parseOffsetTimestamp` then reads; where both read a text they agree
 * (time.test.ts).
 */
export function parseUtcTimestamp(text: string): number | undefined {
  const length = text.length
  if (length !== 20 && length !== 24) return undefined
  if (text.charCodeAt(length - 1) !== 90 /* Z */) return undefined
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') {
    return undefined
  }
  // three fraction digits are exact: Math.floor(Number(`0.${fff}`) * 1000) === fff for all 1000 of them
  const millis = length === 24 ? (text[19] === '.' ? digitsAt(text, 20, 23) : -1) : 0
  const year = digitsAt(text, 0, 4)
  const month = digitsAt(text, 5, 7)
  const day = digitsAt(text, 8, 10)
  const hour = digitsAt(text, 11, 13)
  const minute = digitsAt(text, 14, 16)
  const second = digitsAt(text, 17, 19)
  if (year < 0 || millis < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  return Date.UTC(year, month - 1, day, hour, minute, second, millis)
}

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

const londonParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

/** Offset of Europe/London from UTC, in minutes, at a UTC instant (0 in GMT, 60 in BST). */
export function londonOffsetMinutes(utcMs: number): number {
  const parts = Object.fromEntries(londonParts.formatToParts(new Date(utcMs)).map((p) => [p.type, p.value]))
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  )
  return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60_000)
}

/** The Europe/London calendar day (`YYYY-MM-DD`) of a UTC instant. */
export function londonDate(utcMs: number): string {
  return formatDay(Math.floor((utcMs + londonOffsetMinutes(utcMs) * 60_000) / DAY_MS))
}

/**
 * UTC instant of a Europe/London wall-clock time. Midnight never falls in a UK clock-change gap (changes happen
 * at 01:00 UTC), so for the dates and midnights used here the answer is unique.
 */
export function londonWallClockToUtc(year: number, month: number, day: number, hour = 0, minute = 0): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute)
  const offset = londonOffsetMinutes(guess - londonOffsetMinutes(guess) * 60_000)
  return guess - offset * 60_000
}
