import { daysInMonth } from './days.ts'

/**
 * Timestamps as they arrive in drops, read by hand rather than by date-fns: `parseISO` accepts forms this
 * refuses (no offset, week dates, ordinal dates, a bare year), and ingest parses one per field of every row,
 * where the digit-by-digit path below is about ten times faster than a general parser.
 */

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
