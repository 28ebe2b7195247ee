import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatDate,
  formatDayRange,
  formatHarm,
  formatMonth,
  formatMonthTo,
  formatNumber,
  formatOneDecimalUnder100,
  formatPercentChange,
  formatShare,
  MINUS,
  percentOfShare,
  roundHalfAwayFromZero,
} from '../../functions/core/reports/document/format.ts'

describe('rounding half away from zero on the decimal value', () => {
  it('rounds the decimal a person reads, where toFixed rounds the binary double', () => {
    // 39.55 is stored as 39.549999999999997157829056959599256515502929687500: toFixed(1) rounds that down
    expect((39.55).toFixed(1)).toBe('39.5')
    expect(formatNumber(39.55, 1)).toBe('39.6')
    expect(formatNumber(-39.55, 1)).toBe(`${MINUS}39.6`)
    expect(formatNumber(0.045, 2)).toBe('0.05')
    expect(formatNumber(1.005, 2)).toBe('1.01')
    expect(formatNumber(2.675, 2)).toBe('2.68')
    expect(formatNumber(1.45, 1)).toBe('1.5')
    expect(formatNumber(0.5, 0)).toBe('1')
    expect(formatNumber(-0.5, 0)).toBe(`${MINUS}1`)
    expect(formatNumber(2.5, 0)).toBe('3')
  })

  it('never prints minus zero', () => {
    expect(formatNumber(-0.04, 1)).toBe('0.0')
    expect(formatNumber(-0, 0)).toBe('0')
    expect(formatNumber(-0.00001, 2)).toBe('0.00')
    expect(Object.is(roundHalfAwayFromZero(-0.04, 1), 0)).toBe(true)
    expect(Object.is(roundHalfAwayFromZero(-0, 2), 0)).toBe(true)
  })

  it('separates thousands with commas, carries into a new digit, and reads exponent forms', () => {
    expect(formatNumber(1234567.5, 0)).toBe('1,234,568')
    expect(formatNumber(-1234567, 0)).toBe(`${MINUS}1,234,567`)
    expect(formatNumber(1234567.891, 2)).toBe('1,234,567.89')
    expect(formatNumber(3269.73, 1)).toBe('3,269.7')
    expect(formatNumber(999.95, 1)).toBe('1,000.0')
    expect(formatNumber(99.5)).toBe('100')
    expect(formatNumber(1e21)).toBe('1,000,000,000,000,000,000,000')
    expect(formatNumber(5e-7, 6)).toBe('0.000001')
    expect(formatNumber(4.9e-7, 6)).toBe('0.000000')
    expect(formatNumber(12, 2)).toBe('12.00')
  })

  it('gives CSV cells the rounded number, written with a plain hyphen-minus', () => {
    expect(roundHalfAwayFromZero(39.55, 1)).toBe(39.6)
    expect(roundHalfAwayFromZero(-39.55, 1)).toBe(-39.6)
    expect(String(roundHalfAwayFromZero(-2.675, 2))).toBe('-2.68')
    expect(roundHalfAwayFromZero(1234567.5, 0)).toBe(1234568)
  })

  it('turns a share into a percentage by moving the decimal point, not by multiplying', () => {
    // 0.285 * 100 is 28.499999999999996 in binary, which would round to 28
    expect(0.285 * 100).toBe(28.499999999999996)
    expect(percentOfShare(0.285, 0)).toBe(29)
    expect(percentOfShare(0.25821, 1)).toBe(25.8)
    expect(percentOfShare(-0.0004, 1)).toBe(0)
    expect(formatShare(0.285)).toBe('29%')
    expect(formatShare(0.0005, 1)).toBe('0.1%')
    expect(formatShare(1)).toBe('100%')
  })

  it('refuses what is not a finite number, and impossible decimal places', () => {
    expect(() => formatNumber(Number.NaN, 1)).toThrow(/cannot show NaN as a figure/)
    expect(() => formatNumber(Number.POSITIVE_INFINITY)).toThrow(/cannot show Infinity as a figure/)
    expect(() => roundHalfAwayFromZero(Number.NEGATIVE_INFINITY, 0)).toThrow(/-Infinity/)
    expect(() => formatNumber(1, 1.5)).toThrow(/decimal places/)
    expect(() => formatNumber(1, -1)).toThrow(/decimal places/)
  })
})

describe('the figures the reports print', () => {
  it('harm: one decimal under 100, whole days from 100 (on the rounded figure), no trailing .0', () => {
    expect(formatHarm(957.63)).toBe('958')
    expect(formatHarm(48.64)).toBe('48.6')
    expect(formatHarm(87.33)).toBe('87.3')
    expect(formatHarm(39.55)).toBe('39.6')
    expect(formatHarm(6)).toBe('6')
    expect(formatHarm(5.96)).toBe('6')
    expect(formatHarm(0)).toBe('0')
    expect(formatHarm(99.96)).toBe('100')
    expect(formatHarm(21270.57)).toBe('21,271')
    expect(formatHarm(-12.25)).toBe(`${MINUS}12.3`)
    expect(formatOneDecimalUnder100(7.35)).toBe('7.4')
    expect(formatOneDecimalUnder100(-0.04)).toBe('0')
  })

  it('a % change with its sign: whole from 10, one decimal (no trailing .0) under 10', () => {
    expect(formatPercentChange(40)).toBe('+40%')
    expect(formatPercentChange(-5.97)).toBe(`${MINUS}6%`)
    expect(formatPercentChange(3.46)).toBe('+3.5%')
    expect(formatPercentChange(3.45)).toBe('+3.5%')
    expect(formatPercentChange(-7.05)).toBe(`${MINUS}7.1%`)
    expect(formatPercentChange(3)).toBe('+3%')
    expect(formatPercentChange(9.96)).toBe('+10%')
    expect(formatPercentChange(-0.04)).toBe('0%')
    expect(formatPercentChange(233.33)).toBe('+233%')
    expect(formatPercentChange(1500)).toBe('+1,500%')
  })
})

/**
 * The independent route: the shortest decimal string of the double (what String gives) as a BigInt numerator over
 * a power of ten, rounded by integer division. Returns plain digits with an ASCII minus, no separators.
 */
function byBigInt(value: number, decimals: number, shift = 0): string {
  const text = String(value)
  const negative = text.startsWith('-')
  const [mantissa = '', exponent = '0'] = text.replace(/^-/, '').split('e')
  const [whole = '', fraction = ''] = mantissa.split('.')
  const numerator = BigInt(whole + fraction)
  const power = Number(exponent) - fraction.length + decimals + shift
  let scaled: bigint
  if (power >= 0) scaled = numerator * 10n ** BigInt(power)
  else {
    const divisor = 10n ** BigInt(-power)
    scaled = numerator / divisor
    if (2n * (numerator % divisor) >= divisor) scaled += 1n
  }
  const digits = scaled.toString().padStart(decimals + 1, '0')
  const body = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`
  return scaled === 0n || !negative ? body : `-${body}`
}

const plain = (shown: string) => shown.replaceAll(',', '').replace(MINUS, '-')

/** Doubles that are exact ties in decimal (…5 after the last kept place), the case toFixed gets wrong. */
const ties = fc
  .tuple(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 0, max: 4 }))
  .map(([n, decimals]) => ({
    value: Number(`${n < 0 ? '-' : ''}${Math.abs(n)}5e-${decimals + 1}`),
    decimals,
  }))

const anyFinite = fc.record({
  value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  decimals: fc.integer({ min: 0, max: 6 }),
})

const reportSized = fc.record({
  value: fc.double({ min: -1e7, max: 1e7, noNaN: true }),
  decimals: fc.integer({ min: 0, max: 3 }),
})

describe('agrees with BigInt arithmetic on the shortest decimal string', () => {
  it('for decimal ties, report-sized values and any finite double', () => {
    for (const values of [ties, reportSized, anyFinite])
      fc.assert(
        fc.property(values, ({ value, decimals }) => {
          const expected = byBigInt(value, decimals)
          expect(plain(formatNumber(value, decimals))).toBe(expected)
          expect(roundHalfAwayFromZero(value, decimals)).toBe(Number(expected) + 0)
        }),
        { numRuns: 3000 },
      )
  })

  it('for shares shown as percentages', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 2 }),
        (share, decimals) => {
          const expected = byBigInt(share, decimals, 2)
          expect(plain(formatShare(share, decimals))).toBe(`${expected}%`)
          expect(percentOfShare(share, decimals)).toBe(Number(expected) + 0)
        },
      ),
      { numRuns: 3000 },
    )
  })
})

describe('dates as a report prints them', () => {
  it('writes a local day out, without a leading zero', () => {
    expect(formatDate('2026-10-05')).toBe('5 October 2026')
    expect(formatDate('2026-12-31')).toBe('31 December 2026')
  })

  it('names a month by any of its days', () => {
    expect(formatMonth('2025-10-01')).toBe('October 2025')
    expect(formatMonth('2026-01-17')).toBe('January 2026')
  })

  it('names the days of a month so far: the whole month, a range, or its first day', () => {
    expect(formatMonthTo('2026-05-31')).toBe('May 2026')
    expect(formatMonthTo('2028-02-29')).toBe('February 2028')
    expect(formatMonthTo('2027-02-28')).toBe('February 2027')
    expect(formatMonthTo('2026-11-15')).toBe('1 to 15 November 2026')
    expect(formatMonthTo('2026-11-01')).toBe('1 November 2026')
  })

  it('names a run of days with each month and year once', () => {
    expect(formatDayRange('2026-10-05', '2026-10-11')).toBe('5 to 11 October 2026')
    expect(formatDayRange('2026-09-28', '2026-10-04')).toBe('28 September to 4 October 2026')
    expect(formatDayRange('2026-12-28', '2027-01-03')).toBe('28 December 2026 to 3 January 2027')
  })

  it('refuses what is not a day', () => {
    expect(() => formatDayRange('2026-10-05', '2026-10-32')).toThrow(RangeError)
    expect(() => formatDate('2026-13-01')).toThrow(RangeError)
    expect(() => formatDate('5 October 2026')).toThrow(RangeError)
  })
})
