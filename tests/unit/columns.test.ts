import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseUtcTimestamp } from '../../functions/core/contracts/columns.ts'
import { parseTimestamp } from '../../functions/core/time.ts'

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

describe('parseUtcTimestamp (the fast path of the timestamp column)', () => {
  it('agrees with parseTimestamp wherever it reads a text, and reads every toISOString() of a 4-digit year', () => {
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
          if (fast !== undefined) expect(fast).toBe(parseTimestamp(text))
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

  it('reads the canonical forms, and leaves every other form to parseTimestamp', () => {
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
      expect(parseTimestamp(other)).toBeTypeOf('number')
    }
    for (const invalid of [
      '2023-02-29T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T00:60:00Z',
    ]) {
      expect(parseUtcTimestamp(invalid)).toBeUndefined()
      expect(parseTimestamp(invalid)).toBeUndefined()
    }
  })
})
