import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeySet } from '../../functions/core/ingest/key-set.ts'

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
