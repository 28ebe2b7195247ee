import { tzOffset } from '@date-fns/tz'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  dayOfYear,
  daysInMonth,
  formatDay,
  isoWeekMonday,
  isoWeekOf,
  lastDayOfMonth,
  parseDate,
  weekday,
} from '../../functions/core/time/days.ts'
import {
  parseOffsetTimestamp,
  parseTimestamp,
  parseUtcTimestamp,
} from '../../functions/core/time/instants.ts'
import {
  londonDayNumber,
  londonDayOf,
  londonMidnight,
  londonOffsetMs,
  londonToUtc,
} from '../../functions/core/time/london.ts'
import { readParquetRows, TempLake } from './helpers/lake.ts'

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())

describe('parseTimestamp', () => {
  it.each([
    ['2026-05-01T10:00:00+01:00', '2026-05-01T09:00:00.000Z'],
    ['2026-05-01T10:00:00Z', '2026-05-01T10:00:00.000Z'],
    ['2026-05-01T10:00:00z', '2026-05-01T10:00:00.000Z'],
    ['2026-05-01T10:00:00-05:00', '2026-05-01T15:00:00.000Z'],
    ['2026-05-01T10:00:00+00:00', '2026-05-01T10:00:00.000Z'],
    ['2026-05-01T10:00:00+0530', '2026-05-01T04:30:00.000Z'],
    ['2026-05-01T10:00:00+01', '2026-05-01T09:00:00.000Z'],
    ['2026-05-01T10:00Z', '2026-05-01T10:00:00.000Z'],
    ['2026-05-01 10:00:00+01:00', '2026-05-01T09:00:00.000Z'],
    ['  2026-05-01T10:00:00Z  ', '2026-05-01T10:00:00.000Z'],
    // fractional seconds: milliseconds kept, finer digits truncated
    ['2026-05-01T10:00:00.123Z', '2026-05-01T10:00:00.123Z'],
    ['2026-05-01T10:00:00.5+01:00', '2026-05-01T09:00:00.500Z'],
    ['2026-05-01T10:00:00,25Z', '2026-05-01T10:00:00.250Z'],
    ['2026-05-01T10:00:00.123456789Z', '2026-05-01T10:00:00.123Z'],
    ['2026-05-01T10:00:00.999999Z', '2026-05-01T10:00:00.999Z'],
    // an offset can move the instant across a day, month and year boundary
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
    ['2025-12-31T22:00:00-05:00', '2026-01-01T03:00:00.000Z'],
    // leap days
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000Z'],
  ])('%s is %s', (text, expected) => {
    expect(iso(parseTimestamp(text))).toBe(expected)
  })

  it.each([
    '2026-02-30T10:00:00Z', // no 30 February
    '2026-02-29T10:00:00Z', // 2026 is not a leap year
    '2100-02-29T10:00:00Z', // nor is 2100
    '2026-04-31T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-00-10T10:00:00Z',
    '2026-05-00T10:00:00Z',
    '2026-05-01T24:00:00Z',
    '2026-05-01T10:60:00Z',
    '2026-05-01T10:00:60Z',
    '2026-05-01T10:00:00+19:00', // no such offset
    '2026-05-01T10:00:00+01:60',
    '2026-05-01T10:00:00', // no offset: ambiguous local time
    '2026-05-01',
    '2026-05',
    '1 May 2026 10:00 +01:00',
    '2026/05/01T10:00:00Z',
    '2026-5-1T10:00:00Z',
    '2026-05-01T10:00:00.Z',
    '',
    'now',
  ])('%j is not a timestamp', (text) => {
    expect(parseTimestamp(text)).toBeUndefined()
  })
})

const digits = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length })

/** Text in the shape parseUtcTimestamp reads, with any digits (so months 13, days 31 of April, hour 24...). */
const canonicalShape = fc
  .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), fc.option(digits(3)))
  .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${ms === null ? '' : `.${ms}`}Z`)

/** Near misses: the canonical shape with one character replaced, inserted or removed. */
const nearMiss = fc
  .tuple(
    canonicalShape,
    fc.nat(),
    fc.constantFrom('', ' ', 'z', '+', '.', ',', 'T', '9', 'x', '\u0660'),
    fc.constantFrom('replace', 'insert', 'delete'),
  )
  .map(([text, at, char, how]) => {
    const i = at % text.length
    if (how === 'replace') return text.slice(0, i) + char + text.slice(i + 1)
    if (how === 'insert') return text.slice(0, i) + char + text.slice(i)
    return text.slice(0, i) + text.slice(i + 1)
  })

const instant = fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) })

describe('parseUtcTimestamp (the fast path of parseTimestamp)', () => {
  it('agrees with the general path wherever it reads a text, and reads every toISOString() of a 4-digit year', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          canonicalShape,
          nearMiss,
          fc.string(),
          instant.map((ms) => new Date(ms).toISOString()),
        ),
        (text) => {
          const fast = parseUtcTimestamp(text)
          if (fast !== undefined) expect(fast).toBe(parseOffsetTimestamp(text))
        },
      ),
      { numRuns: 20_000 },
    )
    fc.assert(
      fc.property(instant, (ms) => {
        const text = new Date(ms).toISOString()
        if (/^\d{4}-/.test(text)) expect(parseUtcTimestamp(text)).toBe(ms)
      }),
      { numRuns: 5_000 },
    )
  })

  it('reads the canonical forms, and leaves every other form to the general path', () => {
    expect(parseUtcTimestamp('2024-02-29T23:59:59.999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999))
    expect(parseUtcTimestamp('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1))
    for (const other of [
      '2024-01-01T00:00:00.1Z',
      '2024-01-01 00:00:00Z',
      '2024-01-01T00:00:00+00:00',
      ' 2024-01-01T00:00:00Z',
      '2024-01-01T00:00:00z',
    ]) {
      expect(parseUtcTimestamp(other)).toBeUndefined()
      expect(parseOffsetTimestamp(other)).toBeTypeOf('number')
    }
    for (const invalid of [
      '2023-02-29T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T00:60:00Z',
    ]) {
      expect(parseUtcTimestamp(invalid)).toBeUndefined()
      expect(parseOffsetTimestamp(invalid)).toBeUndefined()
    }
  })
})

describe('parseDate, formatDay, daysInMonth, lastDayOfMonth', () => {
  it('counts days since 1970-01-01', () => {
    expect(parseDate('1970-01-01')).toBe(0)
    expect(parseDate('1970-02-01')).toBe(31)
    expect(parseDate('2000-01-01')).toBe(10_957) // 30 * 365 + 7 leap days (1972 .. 1996)
    expect(parseDate('2026-05-01')).toBe(20_574)
    expect(parseDate(' 2026-05-01 ')).toBe(20_574)
    expect(formatDay(0)).toBe('1970-01-01')
    expect(formatDay(20_574)).toBe('2026-05-01')
  })

  it('refuses dates that do not exist', () => {
    for (const text of [
      '2026-02-30',
      '2026-02-29',
      '2026-04-31',
      '2026-13-01',
      '2026-00-01',
      '2026-5-1',
      '20260501',
      '',
    ]) {
      expect(parseDate(text), text).toBeUndefined()
    }
    expect(parseDate('2024-02-29')).toBe(19_782) // 2024-01-01 is 19723; + 31 + 28
  })

  it('knows month lengths, including leap years', () => {
    expect(daysInMonth(2020, 2)).toBe(29)
    expect(daysInMonth(2019, 2)).toBe(28)
    expect(daysInMonth(2000, 2)).toBe(29)
    expect(daysInMonth(2100, 2)).toBe(28)
    expect(daysInMonth(2026, 4)).toBe(30)
    expect(daysInMonth(2026, 12)).toBe(31)
  })

  it.each([
    ['2020-02', '2020-02-29'],
    ['2019-02', '2019-02-28'],
    ['2000-02', '2000-02-29'],
    ['2100-02', '2100-02-28'],
    ['2018-04', '2018-04-30'],
    ['2018-12', '2018-12-31'],
    ['2020-01', '2020-01-31'],
  ])('the last day of %s is %s', (month, expected) => {
    expect(lastDayOfMonth(month)).toBe(expected)
  })
})

describe('weekdays, days of the year and ISO weeks', () => {
  const day = (text: string) => parseDate(text) as number

  it('numbers weekdays from Monday and days of the year from 0', () => {
    expect(weekday(day('2026-11-15'))).toBe(6) // a Sunday
    expect(weekday(day('2026-11-16'))).toBe(0) // a Monday
    expect(weekday(day('1969-12-29'))).toBe(0) // before day 0
    expect(dayOfYear(day('2026-01-01'))).toBe(0)
    expect(dayOfYear(day('2024-12-31'))).toBe(365)
  })

  it.each([
    // week 1 holds 4 January; the days around the new year may belong to the other year's weeks
    ['2026-11-16', 2026, 47, '2026-11-16'],
    ['2026-01-01', 2026, 1, '2025-12-29'],
    ['2025-12-29', 2026, 1, '2025-12-29'],
    ['2027-01-03', 2026, 53, '2026-12-28'],
    ['2021-01-03', 2020, 53, '2020-12-28'],
    ['2024-12-30', 2025, 1, '2024-12-30'],
  ])('%s is in ISO week %i-W%i, which starts on Monday %s', (text, year, week, monday) => {
    expect(isoWeekOf(day(text))).toEqual({ year, week })
    expect(formatDay(isoWeekMonday(year, week))).toBe(monday)
  })

  it('every day from 20 December to 10 January, 1990-2060, lies in the ISO week that starts on its Monday', () => {
    // ISO weeks and calendar years part at the turn of the year (and date-fns costs about a millisecond a day)
    const wrong: string[] = []
    for (let year = 1990; year <= 2060; year++) {
      for (let d = day(`${year - 1}-12-20`); d <= day(`${year}-01-10`); d++) {
        const { year: isoYear, week } = isoWeekOf(d)
        if (isoWeekMonday(isoYear, week) !== d - weekday(d)) wrong.push(formatDay(d))
      }
    }
    expect(wrong).toEqual([])
  })
})

describe('Europe/London', () => {
  const day = (text: string) => parseDate(text) as number

  it('offset is 0 in GMT and one hour in BST, switching at 01:00 UTC', () => {
    // 2018: BST from Sunday 25 March 01:00 UTC to Sunday 28 October 01:00 UTC
    expect(londonOffsetMs(Date.UTC(2018, 0, 15, 12))).toBe(0)
    expect(londonOffsetMs(Date.UTC(2018, 6, 15, 12))).toBe(3_600_000)
    expect(londonOffsetMs(Date.UTC(2018, 2, 25, 0, 59, 59))).toBe(0)
    expect(londonOffsetMs(Date.UTC(2018, 2, 25, 1, 0, 0))).toBe(3_600_000)
    expect(londonOffsetMs(Date.UTC(2018, 9, 28, 0, 59, 59))).toBe(3_600_000)
    expect(londonOffsetMs(Date.UTC(2018, 9, 28, 1, 0, 0))).toBe(0)
  })

  it("the generator's fast offset and day agree with the time zone database over 2000-2040, to the minute at each clock change", () => {
    const instants: number[] = []
    for (let t = Date.UTC(2000, 0, 1); t < Date.UTC(2041, 0, 1); t += 7 * 3_600_000) instants.push(t)
    for (let year = 2000; year <= 2040; year++) {
      for (const month of [2, 9]) {
        // every minute from 22:00 UTC on the Saturday to 04:00 UTC on the Monday of the last weekend
        const lastDay = new Date(Date.UTC(year, month + 1, 0))
        const sunday = Date.UTC(year, month, lastDay.getUTCDate() - lastDay.getUTCDay())
        for (let m = -120; m <= 27 * 60; m++) instants.push(sunday + m * 60_000)
      }
    }
    const mismatches = instants.filter(
      (t) =>
        londonOffsetMs(t) !== tzOffset('Europe/London', new Date(t)) * 60_000 ||
        formatDay(londonDayNumber(t)) !== londonDayOf(t),
    )
    expect(mismatches.map((t) => new Date(t).toISOString())).toEqual([])
  })

  it.each([
    // month starts (police.uk months): BST months start at 23:00 UTC the day before
    ['2018-06-01', '2018-05-31T23:00:00.000Z'],
    ['2018-12-01', '2018-12-01T00:00:00.000Z'],
    ['2018-01-01', '2018-01-01T00:00:00.000Z'],
    ['2018-04-01', '2018-03-31T23:00:00.000Z'],
    ['2018-10-01', '2018-09-30T23:00:00.000Z'],
    ['2018-11-01', '2018-11-01T00:00:00.000Z'],
    ['2020-04-01', '2020-03-31T23:00:00.000Z'],
    ['2019-03-01', '2019-03-01T00:00:00.000Z'],
    // midnights on and after the clock-change days
    ['2018-03-25', '2018-03-25T00:00:00.000Z'],
    ['2018-03-26', '2018-03-25T23:00:00.000Z'],
    ['2018-10-28', '2018-10-27T23:00:00.000Z'],
    ['2018-10-29', '2018-10-29T00:00:00.000Z'],
  ])('London midnight of %s is %s', (text, expected) => {
    expect(londonMidnight(day(text)).toISOString()).toBe(expected)
  })

  it('names the London calendar day of an instant: from 23:00 UTC in summer it is the next day', () => {
    expect(londonDayOf(Date.UTC(2026, 5, 30, 22, 59, 59))).toBe('2026-06-30')
    expect(londonDayOf(Date.UTC(2026, 5, 30, 23, 0, 0))).toBe('2026-07-01')
    expect(londonDayOf(new Date('2026-07-01T23:30:00Z'))).toBe('2026-07-02')
    expect(londonDayOf(Date.UTC(2026, 11, 31, 23, 59, 59))).toBe('2026-12-31')
    expect(londonDayOf(Date.UTC(2026, 9, 24, 23, 30))).toBe('2026-10-25')
    expect(londonDayOf(Date.UTC(2026, 9, 25, 23, 30))).toBe('2026-10-25')
  })

  it('turns local wall-clock times into UTC across both clock changes', () => {
    const at = (text: string, hours: number) => new Date(londonToUtc(day(text), hours * 60)).toISOString()
    expect(at('2018-07-01', 14.5)).toBe('2018-07-01T13:30:00.000Z')
    expect(at('2018-01-01', 14.5)).toBe('2018-01-01T14:30:00.000Z')
    expect(at('2026-03-28', 12)).toBe('2026-03-28T12:00:00.000Z')
    expect(at('2026-03-29', 0.5)).toBe('2026-03-29T00:30:00.000Z')
    expect(at('2026-03-29', 3)).toBe('2026-03-29T02:00:00.000Z')
    // 01:30 on 29 March does not exist (clocks go 01:00 -> 02:00): it lands an hour later, at 02:30 BST
    expect(at('2026-03-29', 1.5)).toBe('2026-03-29T01:30:00.000Z')
    expect(at('2026-07-01', 0)).toBe('2026-06-30T23:00:00.000Z')
    // 01:30 on 25 October happens twice: the first, in BST
    expect(at('2026-10-25', 1.5)).toBe('2026-10-25T00:30:00.000Z')
    expect(at('2026-10-25', 23)).toBe('2026-10-25T23:00:00.000Z')
  })

  it('places a police.uk month at its first local midnight (reported_at in the curated file)', async () => {
    const lake = await TempLake.create()
    try {
      const header =
        'Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context'
      const row = (id: string, month: string) =>
        `${id},${month},City of London Police,City of London Police,-0.089000,51.513600,On or near Cheapside,E01000001,City of London 001A,Burglary,Under investigation,`
      const csv = [header, row('a1', '2018-06'), row('a2', '2018-12'), row('a3', '2019-04'), ''].join('\n')
      const { manifest } = await lake.ingest('incidents', '2018-street.csv', csv)
      expect(manifest.format).toBe('police-uk-street')
      expect(manifest.rows_accepted).toBe(3)
      const rows = await readParquetRows(lake.fileOf(manifest.outputs.curated as string))
      expect(rows.map((r) => [r.incident_id, r.reported_at, r.period_precision])).toEqual([
        ['a1', '2018-05-31 23:00:00', 'month'],
        ['a2', '2018-12-01 00:00:00', 'month'],
        ['a3', '2019-03-31 23:00:00', 'month'],
      ])
    } finally {
      await lake.close()
    }
  })
})
