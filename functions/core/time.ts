const DAY_MS = 86_400_000

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)$/

/**
 * Parses ISO-8601 with an explicit offset to UTC epoch milliseconds. A timestamp without an offset is refused:
 * local wall-clock times are ambiguous across the October clock change.
 */
export function parseTimestamp(text: string): number | undefined {
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

/**
 * UTC instant of a Europe/London wall-clock time. Midnight never falls in a UK clock-change gap (changes happen
 * at 01:00 UTC), so for the dates and midnights used here the answer is unique.
 */
export function londonWallClockToUtc(year: number, month: number, day: number, hour = 0, minute = 0): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute)
  const offset = londonOffsetMinutes(guess - londonOffsetMinutes(guess) * 60_000)
  return guess - offset * 60_000
}
