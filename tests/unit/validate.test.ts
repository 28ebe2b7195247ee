import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { columnsOf } from '../../functions/core/contracts/columns.ts'
import { CONTRACTS, CRIME_TYPES, FEED_NAMES } from '../../functions/core/contracts/feeds.ts'

/*
 * validateRow parses with z.compile(contract.schema): zod's generated fast path, which hands any row it does not
 * accept back to the schema itself. These properties hold it to the schema: the same acceptance, the same
 * normalised row (keys, values, order) and the same issues, for random rows of every feed, valid or not.
 */

const TEXT_VALUES = [
  '',
  ' ',
  'x',
  'MET-1',
  'E01000001',
  'W01999999',
  'E0100000',
  '   ',
  'é😀',
  'INC-1\u0000',
  'a\u001bb',
  '\u0000',
  'a'.repeat(201),
  'a'.repeat(70_000),
]
const TIMESTAMPS = [
  '2026-05-01T09:00:00Z',
  '2026-05-01T09:00:00.123Z',
  '2026-05-01 09:00:00+01:00',
  '2026-05-01T09:00:00',
  '1999-12-31T23:59:59Z',
  '2024-02-30T00:00:00Z',
  'yesterday',
  '2026-05-01T09:00:00.1234567890Z',
]
const NUMBERS = [
  '0',
  '-1',
  '1.5',
  ' 7 ',
  '1e3',
  '51.5074',
  '-0.1278',
  '1,000',
  'NaN',
  'Infinity',
  '2147483648',
  '8',
  '100',
  '101',
  '.5',
  '+3',
]
const BOOLEANS = ['true', 'FALSE', 'y', 'n', '1', '0', 'yes', 'maybe', ' True ']
const DATES = ['2026-05-01', '2026-02-29', '1999-12-31', '2026-5-1', 'today']
const ENUM_LIKE = [
  ...CRIME_TYPES,
  'exact',
  'day',
  'month',
  'knife',
  'none',
  'I',
  'S',
  'gps',
  'manual',
  'resident',
  'arrest',
  'pending',
  'burglary',
]

/** A random row for a contract: each column absent, or one of the values its kind (or another kind) may see. */
function rowFor(schema: z.ZodObject): fc.Arbitrary<Record<string, unknown>> {
  const any = [...TEXT_VALUES, ...TIMESTAMPS, ...NUMBERS, ...BOOLEANS, ...DATES, ...ENUM_LIKE]
  const entries = columnsOf(schema).map((column) => {
    const own =
      column.kind === 'timestamp'
        ? TIMESTAMPS
        : column.kind === 'date'
          ? DATES
          : column.kind === 'boolean'
            ? BOOLEANS
            : column.kind === 'string'
              ? [...TEXT_VALUES, ...ENUM_LIKE]
              : NUMBERS
    const value = fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 6, arbitrary: fc.constantFrom(...own) },
      { weight: 1, arbitrary: fc.constantFrom(...any) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 5, true, {}) },
    )
    return [column.name, value] as const
  })
  return fc.record(Object.fromEntries(entries), { requiredKeys: [] })
}

describe('z.compile of every contract schema', () => {
  for (const feed of FEED_NAMES) {
    it(`parses ${feed} rows exactly as the schema does`, () => {
      const { schema } = CONTRACTS[feed]
      const compiled = z.compile(schema, { strict: true })
      fc.assert(
        fc.property(rowFor(schema), (row) => {
          const expected = schema.safeParse(row)
          const actual = compiled.safeParse(row)
          expect(actual.success).toBe(expected.success)
          if (expected.success) {
            expect(actual.data).toStrictEqual(expected.data)
            expect(Object.keys(actual.data as object)).toEqual(Object.keys(expected.data))
          } else expect(actual.error?.issues).toEqual(expected.error.issues)
        }),
        { numRuns: 1_000 },
      )
    })
  }
})
