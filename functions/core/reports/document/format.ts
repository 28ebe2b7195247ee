/**
 * How every report prints a number and a date; charts print theirs through here too.
 *
 * Numbers (DESIGN section 7) are rounded half away from zero on the decimal value a person reads, not on the
 * binary double. 39.55 is stored as 39.5499999999999971578…, so `toFixed(1)` prints 39.5 where
 * the reader of 39.55 expects 39.6. The decimal a person reads is the shortest string that reads back as the same
 * double (what `String(x)` gives), so rounding works on that string's digits, never on the double.
 *
 * Text for people (the HTML and plain-text emails, chart labels and alt text) writes a negative figure with the
 * minus sign U+2212, as the weekly scorecard always has and as vega's axis labels do: it is as wide as the plus
 * sign and screen readers say "minus" rather than "dash". CSV cells get numbers (roundHalfAwayFromZero), which
 * csv.ts writes with the ASCII hyphen-minus a spreadsheet parses.
 *
 * Dates are local days (YYYY-MM-DD, as the marts and periods hold them) written out: "5 October 2026".
 */

export const MINUS = '\u2212'

const MOST_DECIMALS = 20

interface RoundedDigits {
  negative: boolean
  whole: string
  fraction: string
}

/** The digits of `value` × 10^shift rounded half away from zero to `decimals` places; negative only when not zero. */
function roundDigits(value: number, decimals: number, shift: number): RoundedDigits {
  if (!Number.isFinite(value))
    throw new RangeError(`cannot show ${value} as a figure: it is not a finite number`)
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MOST_DECIMALS)
    throw new RangeError(
      `${decimals} decimal places: a figure has a whole number of them, 0 to ${MOST_DECIMALS}`,
    )
  // String gives '39.55', '1e+21' or '5e-7': digits, a point inside them, and a power of ten
  const [mantissa = '', exponent = '0'] = String(Math.abs(value)).split('e')
  const [whole = '', fraction = ''] = mantissa.split('.')
  let digits = whole + fraction
  let point = whole.length + Number(exponent) + shift
  if (point < 1) {
    digits = '0'.repeat(1 - point) + digits
    point = 1
  }
  const kept = point + decimals
  digits = digits.padEnd(kept + 1, '0')
  // the value is exactly this decimal, so a first dropped digit of 5 or more means half or more: away from zero
  const rounded = digits.charAt(kept) >= '5' ? plusOne(digits.slice(0, kept)) : digits.slice(0, kept)
  const wholeDigits = rounded.slice(0, rounded.length - decimals).replace(/^0+(?=\d)/, '')
  const fractionDigits = rounded.slice(rounded.length - decimals)
  return { negative: value < 0 && /[1-9]/.test(rounded), whole: wholeDigits, fraction: fractionDigits }
}

/** A string of decimal digits plus one: '0399' -> '0400', '99' -> '100'. */
function plusOne(digits: string): string {
  let last = digits.length - 1
  while (last >= 0 && digits.charAt(last) === '9') last--
  if (last < 0) return `1${'0'.repeat(digits.length)}`
  return (
    digits.slice(0, last) + String(Number(digits.charAt(last)) + 1) + '0'.repeat(digits.length - last - 1)
  )
}

function asNumber({ negative, whole, fraction }: RoundedDigits): number {
  const magnitude = Number(fraction ? `${whole}.${fraction}` : whole)
  return negative ? -magnitude : magnitude
}

function asText({ negative, whole, fraction }: RoundedDigits): string {
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return (negative ? MINUS : '') + grouped + (fraction ? `.${fraction}` : '')
}

/** A figure rounded as it is shown, as a number (for a CSV cell): 39.55 -> 39.6, -2.675 -> -2.68, -0.04 -> 0 (never -0). */
export function roundHalfAwayFromZero(value: number, decimals: number): number {
  return asNumber(roundDigits(value, decimals, 0))
}

/**
 * A share (0..1) as a percentage rounded as it is shown, as a number: the decimal point moves two places rather
 * than the double being multiplied by 100 (0.285 is 28.5%, so 29%; 0.285 * 100 is 28.499999999999996, so 28).
 */
export function percentOfShare(share: number, decimals: number): number {
  return asNumber(roundDigits(share, decimals, 2))
}

/** A figure for people: commas between thousands, `decimals` places, U+2212 for minus, never minus zero. */
export function formatNumber(value: number, decimals = 0): string {
  return asText(roundDigits(value, decimals, 0))
}

/** A share (0..1) as a percentage for people: 0.285 -> '29%', (0.0005, 1) -> '0.1%'. */
export function formatShare(share: number, decimals = 0): string {
  return `${asText(roundDigits(share, decimals, 2))}%`
}

/**
 * One decimal under 100, whole from 100, decided on the rounded figure (99.96 is '100', not '100.0'), and no
 * trailing '.0' (6 is '6', 0 is '0'): 7.35 -> '7.4', 957.63 -> '958'. For harm and means, where a tenth matters
 * in small figures and clutters large ones.
 */
export function formatOneDecimalUnder100(value: number): string {
  const decimals = Math.abs(roundHalfAwayFromZero(value, 1)) >= 100 ? 0 : 1
  return formatNumber(value, decimals).replace(/\.0$/, '')
}

/** Harm in days, in every report and chart: `formatOneDecimalUnder100`. */
export const formatHarm = formatOneDecimalUnder100

/** A % change with its sign: '+40%', '−6%', '+3.5%', '+3%', '0%'; whole from 10, else one decimal without a trailing .0. */
export function formatPercentChange(percent: number): string {
  const size = Math.abs(percent)
  const decimals = roundHalfAwayFromZero(size, 1) >= 10 ? 0 : 1
  const shown = formatNumber(size, decimals).replace(/\.0$/, '')
  if (shown === '0') return '0%'
  return `${percent > 0 ? '+' : MINUS}${shown}%`
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const

/** The parts of a local day `YYYY-MM-DD` as printed (day of the month, month name, year), and its month's length. */
function dayParts(day: string): { d: number; month: string; year: number; daysInMonth: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  const month = m ? MONTH_NAMES[Number(m[2]) - 1] : undefined
  // day 0 of the next month is this month's last day
  const lastOfMonth = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate() : 0
  if (!m || month === undefined || Number(m[3]) < 1 || Number(m[3]) > lastOfMonth)
    throw new RangeError(`${JSON.stringify(day)} is not a day (YYYY-MM-DD)`)
  return { d: Number(m[3]), month, year: Number(m[1]), daysInMonth: lastOfMonth }
}

/** `2026-10-05` -> "5 October 2026". */
export function formatDate(day: string): string {
  const { d, month, year } = dayParts(day)
  return `${d} ${month} ${year}`
}

/**
 * A run of days, naming each month and year once: "5 to 11 October 2026", "28 September to 4 October 2026",
 * "28 December 2026 to 3 January 2027".
 */
export function formatDayRange(firstDay: string, lastDay: string): string {
  const from = dayParts(firstDay)
  const to = dayParts(lastDay)
  const end = `${to.d} ${to.month} ${to.year}`
  if (from.year !== to.year) return `${from.d} ${from.month} ${from.year} to ${end}`
  return from.month === to.month ? `${from.d} to ${end}` : `${from.d} ${from.month} to ${end}`
}

/** A month by any of its days: `2026-10-01` -> "October 2026". */
export function formatMonth(day: string): string {
  const { month, year } = dayParts(day)
  return `${month} ${year}`
}

/**
 * The days of a month up to `lastDay`: the month's name when `lastDay` is its last day ("November 2026"), else
 * the days so far ("1 to 15 November 2026", "1 November 2026").
 */
export function formatMonthTo(lastDay: string): string {
  const { d, month, year, daysInMonth } = dayParts(lastDay)
  if (d === daysInMonth) return `${month} ${year}`
  return d === 1 ? `1 ${month} ${year}` : `1 to ${d} ${month} ${year}`
}
