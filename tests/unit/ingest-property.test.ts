import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FileRejectedError } from '../../functions/core/ingest/formats.ts'
import { quarantineLines, readParquetRows, TempLake } from './helpers/lake.ts'

/*
 * Random damage to a valid drop never breaks the ingest's promises: it either rejects the whole file
 * (FileRejectedError, nothing curated, no manifest) or accounts for every row exactly once.
 */

const CRIME_TYPES = ['Burglary', 'Robbery', 'Drugs', 'Shoplifting', 'Vehicle crime', 'Anti-social behaviour']

function validDrop(): string {
  const lines = ['incident_id,reported_at,crime_type,lat,lon,location_description,outcome']
  for (let i = 1; i <= 30; i++) {
    const day = String((i % 28) + 1).padStart(2, '0')
    const location =
      i % 7 === 0
        ? '"On or near ""The Monument"", Fish Street Hill"'
        : i % 11 === 0
          ? '"Flat 3,\nCheapside"'
          : 'On or near Cheapside'
    lines.push(
      `INC-${String(i).padStart(3, '0')},2026-05-${day}T${String(i % 24).padStart(2, '0')}:15:00+01:00,` +
        `${CRIME_TYPES[i % CRIME_TYPES.length]},${(51.51 + i / 10_000).toFixed(4)},-0.0${80 + i},${location},Under investigation`,
    )
  }
  return `${lines.join('\n')}\n`
}

const BASE = Buffer.from(validDrop(), 'utf8')

type Corruption =
  | { op: 'delete'; at: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'duplicateChar'; at: number }
  | { op: 'truncate'; at: number }
  | { op: 'duplicateLine'; at: number }
  | { op: 'deleteLine'; at: number }
  | { op: 'swapLines'; at: number; other: number }
  | { op: 'blankLine'; at: number }

/** A relative position in the file, uniform (fast-check would otherwise favour 0, which is the header). */
const position = fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1_000_000)
const SPECIAL = [0x22, 0x2c, 0x0d, 0x0a, 0x00, 0x20, 0x2d, 0x3a] // " , CR LF NUL space - :
const INVALID_UTF8 = [[0xff], [0xc3], [0x80], [0xe9, 0x20], [0xed, 0xa0, 0x80]]

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at: position }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: position,
      bytes: fc.oneof(
        fc.constantFrom(...SPECIAL).map((b) => [b]),
        fc.constantFrom(0x22, 0x2c, 0x0a).map((b) => [b, b]),
        fc.integer({ min: 0x20, max: 0x7e }).map((b) => [b]),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: position,
      bytes: fc.constantFrom(...INVALID_UTF8),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicateChar' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: position }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicateLine' as const), at: position }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteLine' as const), at: position }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('swapLines' as const), at: position, other: position }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('blankLine' as const), at: position }) },
)

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = []
  let start = 0
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, i + 1))
    start = i + 1
  }
  if (start < bytes.length) lines.push(bytes.subarray(start))
  return lines
}

function apply(bytes: Buffer, c: Corruption): Buffer {
  const at = (n: number) => Math.floor(c.at * n)
  switch (c.op) {
    case 'delete': {
      const i = at(bytes.length)
      return Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)])
    }
    case 'insert': {
      const i = at(bytes.length + 1)
      return Buffer.concat([bytes.subarray(0, i), Buffer.from(c.bytes), bytes.subarray(i)])
    }
    case 'duplicateChar': {
      const i = at(bytes.length)
      return Buffer.concat([bytes.subarray(0, i + 1), bytes.subarray(i, i + 1), bytes.subarray(i + 1)])
    }
    case 'truncate':
      return bytes.subarray(0, at(bytes.length))
  }
  const lines = splitLines(bytes)
  if (lines.length === 0) return bytes
  const i = at(lines.length)
  switch (c.op) {
    case 'duplicateLine':
      lines.splice(i, 0, lines[i] as Buffer)
      break
    case 'deleteLine':
      lines.splice(i, 1)
      break
    case 'blankLine':
      lines.splice(i, 0, Buffer.from(c.at < 0.5 ? '\n' : '\r\n'))
      break
    case 'swapLines': {
      const j = Math.floor(c.other * lines.length)
      ;[lines[i], lines[j]] = [lines[j] as Buffer, lines[i] as Buffer]
      break
    }
  }
  return Buffer.concat(lines)
}

describe('ingest of a randomly damaged drop', () => {
  it('the undamaged drop is accepted whole', async () => {
    const lake = await TempLake.create()
    try {
      const { manifest } = await lake.ingest('incidents', 'incoming/incidents.csv', BASE)
      expect([manifest.rows_in, manifest.rows_accepted, manifest.rows_quarantined]).toEqual([30, 30, 0])
    } finally {
      await lake.close()
    }
  })

  it('never fails except by rejecting the file, and accounts for every row', async () => {
    const outcomes = { rejected: 0, ingested: 0, withQuarantine: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(corruption, { minLength: 1, maxLength: 6 }), async (corruptions) => {
        const bytes = corruptions.reduce(apply, BASE)
        const lake = await TempLake.create()
        try {
          let result: Awaited<ReturnType<TempLake['ingest']>>
          try {
            result = await lake.ingest('incidents', 'incoming/incidents.csv', bytes)
          } catch (error) {
            if (!(error instanceof FileRejectedError)) throw error
            outcomes.rejected++
            expect(await lake.keys('curated/')).toEqual([])
            expect(await lake.keys('manifests/ingest/')).toEqual([])
            return
          }
          outcomes.ingested++
          const { manifest } = result
          expect(manifest.rows_in).toBe(
            manifest.rows_accepted + manifest.rows_quarantined + manifest.rows_duplicate,
          )
          // no more rows than non-blank lines after the header
          const nonBlank = splitLines(bytes).filter((l) => l.toString('latin1').trim() !== '').length
          expect(manifest.rows_in).toBeLessThanOrEqual(Math.max(0, nonBlank - 1))

          const rows = manifest.outputs.curated
            ? await readParquetRows(lake.fileOf(manifest.outputs.curated))
            : []
          expect(rows).toHaveLength(manifest.rows_accepted)
          // one curated row per key, each from a distinct line
          expect(new Set(rows.map((r) => r.incident_id)).size).toBe(rows.length)
          expect(new Set(rows.map((r) => r.source_line)).size).toBe(rows.length)

          const quarantined = manifest.outputs.quarantine
            ? quarantineLines(await lake.store.getBytes(manifest.outputs.quarantine))
            : []
          expect(quarantined).toHaveLength(manifest.rows_quarantined)
          if (quarantined.length > 0) outcomes.withQuarantine++
          // accepted and quarantined rows never share a line
          const lines = new Set(rows.map((r) => r.source_line))
          for (const q of quarantined) expect(lines.has((JSON.parse(q) as { line: number }).line)).toBe(false)
        } finally {
          await lake.close()
        }
      }),
      { numRuns: 60 },
    )
    // the property saw both outcomes, and damage that reached quarantine
    expect(outcomes.ingested).toBeGreaterThan(10)
    expect(outcomes.withQuarantine).toBeGreaterThan(5)
  })
})
