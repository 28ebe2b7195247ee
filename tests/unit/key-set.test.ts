import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Column } from '../../functions/core/contracts/columns.ts'
import { curatedColumns, LINEAGE_COLUMNS, tips } from '../../functions/core/contracts/feeds.ts'
import { KeySet, RepeatedKeys, storedKey } from '../../functions/core/ingest/key-set.ts'
import { RowChunkBuilder, type Value } from '../../functions/core/parquet/row-group.ts'

describe('KeySet', () => {
  it('answers as a Set does, for any strings (few distinct characters, so keys repeat and hashes meet)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ unit: fc.constantFrom('a', 'b', '\u001f', 'é', '😀'), maxLength: 6 }),
            fc.string({ unit: 'grapheme', maxLength: 40 }),
          ),
          { maxLength: 3000 },
        ),
        (keys) => {
          const keySet = new KeySet()
          const set = new Set<string>()
          for (const key of keys) {
            const isNew = !set.has(key)
            set.add(key)
            expect(keySet.add(key)).toBe(isNew)
          }
          expect(keySet.size).toBe(set.size)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('keeps a million keys exactly, through every growth', () => {
    const keys = new KeySet()
    for (let i = 0; i < 1_000_000; i++) expect(keys.add(`MET-${i}`)).toBe(true)
    for (let i = 0; i < 1_000_000; i += 997) expect(keys.add(`MET-${i}`)).toBe(false)
    expect(keys.add('MET-1000000')).toBe(true)
    expect(keys.size).toBe(1_000_001)
  })
})

describe('RepeatedKeys', () => {
  const lineage = LINEAGE_COLUMNS
  const allocationColumns: Column[] = [
    { name: 'hotspot_id', kind: 'string', required: true, description: '' },
    { name: 'date', kind: 'date', required: true, description: '' },
    ...lineage,
  ]
  const lineageOf = (line: number, keyDerived = false): Value[] => ['drop', 20_000, line, 0, keyDerived]

  /** The keys a Set finds repeated, built the way scan.ts builds a row's key. */
  function expectedRepeats(rows: Record<string, Value>[], key: string[]): Set<string> {
    const seen = new Set<string>()
    const repeats = new Set<string>()
    for (const row of rows) {
      const value = storedKey(
        key.length === 1 ? String(row[key[0] as string]) : key.map((k) => row[k]).join('\u001f'),
      )
      if (seen.has(value)) repeats.add(value)
      seen.add(value)
    }
    return repeats
  }

  it('finds the keys of one text column that rows repeat, across chunks, whatever their characters', () => {
    fc.assert(
      fc.property(
        // U+FEFF must not be taken for a byte-order mark; a lone surrogate is stored (and found) as U+FFFD
        fc.array(
          fc.string({
            unit: fc.constantFrom('a', 'é', '😀', '1', '\uFEFF', '\uD800'),
            minLength: 1,
            maxLength: 4,
          }),
          {
            maxLength: 400,
          },
        ),
        (ids) => {
          const columns = curatedColumns(tips)
          const finder = new RepeatedKeys(columns, tips.key)
          const chunk = new RowChunkBuilder(columns, 7)
          ids.forEach((id, line) => {
            if (chunk.append({ tip_id: id }, lineageOf(line))) {
              finder.observe(chunk.copy())
              chunk.clear()
            }
          })
          finder.observe(chunk.copy())
          expect(finder.repeats).toEqual(
            expectedRepeats(
              ids.map((tip_id) => ({ tip_id })),
              tips.key,
            ),
          )
        },
      ),
    )
  })

  it('joins a key of several columns as scan.ts does (a date as its day number)', () => {
    const rows = [
      { hotspot_id: 'HS-01', date: 20_500 },
      { hotspot_id: 'HS-01', date: 20_501 },
      { hotspot_id: 'HS-02', date: 20_500 },
      { hotspot_id: 'HS-01', date: 20_501 },
    ]
    const finder = new RepeatedKeys(allocationColumns, ['hotspot_id', 'date'])
    const chunk = new RowChunkBuilder(allocationColumns)
    rows.forEach((row, line) => {
      chunk.append(row, lineageOf(line))
    })
    finder.observe(chunk.copy())
    expect(finder.repeats).toEqual(new Set(['HS-01\u001f20501']))
    expect(finder.repeats).toEqual(expectedRepeats(rows, ['hotspot_id', 'date']))
  })

  it('never counts a row whose key was derived from its content', () => {
    const finder = new RepeatedKeys(allocationColumns, ['hotspot_id', 'date'])
    const chunk = new RowChunkBuilder(allocationColumns)
    chunk.append({ hotspot_id: 'HS-01', date: 1 }, lineageOf(2, true))
    chunk.append({ hotspot_id: 'HS-01', date: 1 }, lineageOf(3, true))
    chunk.append({ hotspot_id: 'HS-01', date: 1 }, lineageOf(4))
    finder.observe(chunk.copy())
    expect(finder.repeats.size).toBe(0)
  })
})
