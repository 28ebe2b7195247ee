import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { runMarts } from '../../functions/core/analytics/run.ts'
import type { FeedName } from '../../functions/core/contracts/feeds.ts'
import { FileRejectedError } from '../../functions/core/ingest/formats.ts'
import type { IngestManifest, QuarantineCode } from '../../functions/core/ingest/ingest.ts'
import type { Encoding } from '../../functions/core/ingest/lines.ts'
import { MAX_JSON_DEPTH } from '../../functions/core/ingest/records.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'
import { quarantineLines, readParquetRows, TempLake } from './helpers/lake.ts'

/*
 * The bad-input corpus of DESIGN section 4. Every file is ingested with the clock at 2026-06-01T12:00:00Z, so
 * timestamps after 2026-06-02T12:00:00Z are in the future. Line numbers are physical lines of the file, the
 * header being line 1; a record spanning lines is numbered by its first line.
 */

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/bad-input')
const SAMPLE_DROPS = path.resolve(import.meta.dirname, '../fixtures/sample-drops')

const HEADER = 'incident_id,reported_at,crime_type,lat,lon,location_description'
const row = (i: number, location = 'On or near Cheapside') =>
  `INC-${String(i).padStart(3, '0')},2026-05-${String(i).padStart(2, '0')}T10:00:00+01:00,Burglary,51.5136,-0.0890,${location}`

const jsonRow = (i: number, extra = '') =>
  `{"incident_id": "INC-${String(i).padStart(3, '0')}", "reported_at": "2026-05-${String(i).padStart(2, '0')}T10:00:00+01:00", "crime_type": "Burglary", "lat": 51.5136, "lon": -0.089${extra}}`
/** A value nested 5,000 levels deep: JSON.parse reads it, but any recursive walk over it overflows the stack. */
const DEEP_VALUE = `${'['.repeat(5000)}${']'.repeat(5000)}`

const MB = 1024 * 1024
/** A 1 MB quoted field with commas and line breaks: one record over 1 + FIELD_BREAKS lines. */
const FIELD_BREAKS = Math.floor(MB / 10)
const QUOTED_MB_FIELD = `"${'abc, defg\n'.repeat(FIELD_BREAKS)}"`

interface Quarantined {
  line: number
  code: QuarantineCode
  column: string | null
}

interface Accepted {
  name: string
  /** Generated at run time instead of read from tests/fixtures/bad-input. */
  content?: () => string | Buffer
  feed?: FeedName
  encoding?: Encoding
  rowsIn: number
  /** Source lines of the curated rows, in file order (rows_accepted is their count). */
  acceptedLines: number[]
  duplicate?: number
  quarantined?: Quarantined[]
}

const ACCEPTED: Accepted[] = [
  // a boundary row at exactly now + 24 h (line 4) is accepted
  {
    name: 'future-timestamp.csv',
    rowsIn: 4,
    acceptedLines: [2, 4, 5],
    quarantined: [{ line: 3, code: 'invalid_value', column: 'reported_at' }],
  },
  // 1999 and 2000-01-01T00:30+01:00 (still 1999 in UTC) are refused; 2000-01-01T00:00Z is accepted
  {
    name: 'ancient-timestamp.csv',
    rowsIn: 4,
    acceptedLines: [2, 5],
    quarantined: [
      { line: 3, code: 'invalid_value', column: 'reported_at' },
      { line: 4, code: 'invalid_value', column: 'reported_at' },
    ],
  },
  {
    name: 'null-island.csv',
    rowsIn: 4,
    acceptedLines: [2, 5],
    quarantined: [
      { line: 3, code: 'invalid_value', column: 'lat' },
      { line: 4, code: 'invalid_value', column: 'lat' },
    ],
  },
  // Paris and New York
  {
    name: 'out-of-area.csv',
    rowsIn: 4,
    acceptedLines: [2, 5],
    quarantined: [
      { line: 3, code: 'invalid_value', column: 'lat' },
      { line: 4, code: 'invalid_value', column: 'lat' },
    ],
  },
  // 'Burglery' and 'Theft'
  {
    name: 'unknown-crime-type.csv',
    rowsIn: 4,
    acceptedLines: [2, 5],
    quarantined: [
      { line: 3, code: 'invalid_value', column: 'crime_type' },
      { line: 4, code: 'invalid_value', column: 'crime_type' },
    ],
  },
  // ...,"5"x
  {
    name: 'invalid-closing-quote.csv',
    rowsIn: 4,
    acceptedLines: [2, 4, 5],
    quarantined: [{ line: 3, code: 'malformed_csv', column: null }],
  },
  // lines 2-3 are one valid record with a quoted line break; line 5 opens a quote that never closes
  {
    name: 'unclosed-quote.csv',
    rowsIn: 6,
    acceptedLines: [2, 4, 6, 7, 8],
    quarantined: [{ line: 5, code: 'malformed_csv', column: null }],
  },
  // 12" on line 3 and 5" on line 6: the second stray quote must not close the first and swallow lines 4-5
  {
    name: 'stray-quotes.csv',
    rowsIn: 6,
    acceptedLines: [2, 4, 5, 7],
    quarantined: [
      { line: 3, code: 'malformed_csv', column: null },
      { line: 6, code: 'malformed_csv', column: null },
    ],
  },
  // lines 2-4 are one record with a seventh field; its quoted note holds a CSV-shaped line (INC-99), which is
  // text of that note, not a record: the record is quarantined whole and reading resumes on line 5
  {
    name: 'quoted-record-extra-column.csv',
    rowsIn: 2,
    acceptedLines: [5],
    quarantined: [{ line: 2, code: 'wrong_field_count', column: null }],
  },
  {
    name: 'one-mb-field.csv',
    content: () => [HEADER, row(1), row(2, 'x'.repeat(MB)), row(3), ''].join('\n'),
    rowsIn: 3,
    acceptedLines: [2, 4],
    quarantined: [{ line: 3, code: 'field_too_large', column: 'location_description' }],
  },
  {
    name: 'one-mb-quoted-field.csv',
    content: () => [HEADER, row(1), row(2, QUOTED_MB_FIELD), row(3), ''].join('\n'),
    rowsIn: 3,
    acceptedLines: [2, 3 + FIELD_BREAKS + 1],
    quarantined: [{ line: 3, code: 'field_too_large', column: 'location_description' }],
  },
  { name: 'utf8-bom.csv', rowsIn: 3, acceptedLines: [2, 3, 4] },
  { name: 'cafe.windows-1252.csv', rowsIn: 3, acceptedLines: [2, 3, 4] },
  { name: 'cafe-undeclared.csv', encoding: 'windows-1252', rowsIn: 3, acceptedLines: [2, 3, 4] },
  {
    name: 'patrol-visit-durations.csv',
    feed: 'patrol_visits',
    rowsIn: 5,
    acceptedLines: [2, 5],
    quarantined: [
      { line: 3, code: 'invalid_value', column: 'ended_at' }, // ends 30 min before it starts
      { line: 4, code: 'invalid_value', column: 'ended_at' }, // 13 h
      { line: 6, code: 'invalid_value', column: 'ended_at' }, // zero
    ],
  },
  {
    name: 'survey-out-of-range.csv',
    feed: 'survey_responses',
    rowsIn: 5,
    acceptedLines: [2, 6],
    quarantined: [
      { line: 3, code: 'invalid_value', column: 'q_overall' }, // 0
      { line: 4, code: 'invalid_value', column: 'q_ease' }, // 8
      { line: 5, code: 'invalid_value', column: 'q_treatment' }, // -1
    ],
  },
  {
    name: 'survey-personal-data.csv',
    feed: 'survey_responses',
    rowsIn: 5,
    acceptedLines: [2, 6],
    quarantined: [
      { line: 3, code: 'invalid_value', column: 'q_ease' },
      { line: 4, code: 'malformed_csv', column: null },
      { line: 5, code: 'wrong_field_count', column: null },
    ],
  },
  // INC-001 three times, identical: two duplicates
  { name: 'duplicates.csv', rowsIn: 5, acceptedLines: [2, 3, 5], duplicate: 2 },
  // INC-001 again with a trailing space in its id and a tab after its place: the same row once cleaned
  { name: 'duplicates-padded.csv', rowsIn: 3, acceptedLines: [2, 4], duplicate: 1 },
  // INC-001: line 4 supersedes line 2; INC-003: line 6 repeats line 5, line 7 supersedes both
  {
    name: 'superseded.csv',
    rowsIn: 6,
    acceptedLines: [3, 4, 7],
    duplicate: 1,
    quarantined: [
      { line: 2, code: 'superseded', column: 'incident_id' },
      { line: 5, code: 'superseded', column: 'incident_id' },
    ],
  },
  {
    name: 'crlf.csv',
    rowsIn: 4,
    acceptedLines: [2, 4, 6],
    quarantined: [{ line: 5, code: 'invalid_value', column: 'crime_type' }],
  },
  // line 6 is blank: not a row
  {
    name: 'bad-line.jsonl',
    rowsIn: 7,
    acceptedLines: [1, 3, 7],
    quarantined: [
      { line: 2, code: 'invalid_json', column: null },
      { line: 4, code: 'invalid_json', column: null },
      { line: 5, code: 'unknown_column', column: 'colour' },
      { line: 8, code: 'invalid_value', column: 'crime_type' },
    ],
  },
  // line 2 holds a value nested 5,000 levels deep: only that row is quarantined
  {
    name: 'deeply-nested.jsonl',
    content: () => [jsonRow(1), jsonRow(2, `, "note": ${DEEP_VALUE}`), jsonRow(3), ''].join('\n'),
    rowsIn: 3,
    acceptedLines: [1, 3],
    quarantined: [{ line: 2, code: 'invalid_json', column: null }],
  },
  // NUL after the id on line 3, an ANSI escape on line 4; a tab inside the place on line 5 is whitespace, kept
  {
    name: 'control-characters.csv',
    content: () =>
      [
        HEADER,
        row(1),
        row(2).replace('INC-002', 'INC-002\u0000'),
        row(3, 'On \u001b[1mCheapside'),
        row(4, 'On\tCheapside'),
        '',
      ].join('\n'),
    rowsIn: 4,
    acceptedLines: [2, 5],
    quarantined: [
      { line: 3, code: 'invalid_value', column: 'incident_id' },
      { line: 4, code: 'invalid_value', column: 'location_description' },
    ],
  },
  {
    name: 'wrong-field-count.csv',
    rowsIn: 5,
    acceptedLines: [2, 4, 6],
    quarantined: [
      { line: 3, code: 'wrong_field_count', column: null },
      { line: 5, code: 'wrong_field_count', column: null },
    ],
  },
]

interface Rejected {
  name: string
  content?: () => string | Buffer
  feed?: FeedName
  reason: RegExp
}

const REJECTED: Rejected[] = [
  { name: 'empty.csv', reason: /empty file/ },
  { name: 'blank-lines-only.csv', reason: /empty file/ },
  { name: 'cafe-undeclared.csv', reason: /not valid UTF-8/ },
  // UTF-8 declared windows-1252 by its name: read as declared, Café would be stored as CafÃ©
  {
    name: 'cafe-utf8.windows-1252.csv',
    content: () => [HEADER, row(1, 'On or near Café Rouge'), ''].join('\n'),
    reason: /^declared windows-1252, but the file is valid UTF-8 .*\(the first on line 2, byte \d+\)/,
  },
  { name: 'unknown-column.csv', reason: /unknown column\(s\) "colour"/ },
  // a calls drop delivered as incidents
  {
    name: 'wrong-feed-calls.csv',
    reason: /unknown column\(s\) "call_id", "received_at", "grade" for feed incidents/,
  },
  // a header that cannot be split into fields
  {
    name: 'malformed-header.csv',
    content: () => `incident_id,"reported_at"x,crime_type\n${row(1)}\n`,
    reason: /header/,
  },
]

let lake: TempLake

beforeEach(async () => {
  lake = await TempLake.create()
})

afterEach(async () => {
  await lake.close()
})

async function contentOf(entry: { name: string; content?: () => string | Buffer }): Promise<string | Buffer> {
  return entry.content ? entry.content() : readFile(path.join(FIXTURES, entry.name))
}

async function ingestEntry(entry: Accepted | (Rejected & { encoding?: Encoding })) {
  return lake.ingest(entry.feed ?? 'incidents', `incoming/${entry.name}`, await contentOf(entry), {
    ...(entry.encoding ? { encoding: entry.encoding } : {}),
  })
}

/** The checks every ingested drop must pass: counts, invariant, outputs and manifest agree. */
async function checkDrop(manifest: IngestManifest, sourceName: string) {
  expect(manifest.rows_in).toBe(manifest.rows_accepted + manifest.rows_quarantined + manifest.rows_duplicate)
  const stored = JSON.parse(
    (await lake.store.getBytes(`manifests/ingest/${manifest.feed}/${manifest.drop_id}.json`)).toString(),
  )
  expect(stored).toEqual(manifest)

  const rows = manifest.outputs.curated ? await readParquetRows(lake.fileOf(manifest.outputs.curated)) : []
  expect(manifest.outputs.curated === null).toBe(manifest.rows_accepted === 0)
  expect(rows).toHaveLength(manifest.rows_accepted)
  for (const r of rows) expect(r.drop_id).toBe(manifest.drop_id)

  expect(manifest.outputs.quarantine === null).toBe(manifest.rows_quarantined === 0)
  const lines = manifest.outputs.quarantine
    ? quarantineLines(await lake.store.getBytes(manifest.outputs.quarantine))
    : []
  expect(lines).toHaveLength(manifest.rows_quarantined)
  const records = await lake.quarantine(manifest.outputs.quarantine)
  const byCode: Record<string, number> = {}
  for (const q of records) {
    byCode[q.code] = (byCode[q.code] ?? 0) + 1
    expect(q.drop_id).toBe(manifest.drop_id)
    expect(q.feed).toBe(manifest.feed)
    expect(q.file).toBe(sourceName)
    expect(q.reason.length).toBeGreaterThan(0)
  }
  expect(manifest.quarantined_by_code).toEqual(byCode)
  return { rows, records }
}

describe('bad-input corpus: files that are read', () => {
  it.each(ACCEPTED.map((entry) => [entry.name, entry] as const))('%s', async (name, entry) => {
    const { manifest, outcome } = await ingestEntry(entry)
    expect(outcome).toBe('ingested')
    const { rows, records } = await checkDrop(manifest, `incoming/${name}`)
    expect(manifest.rows_in).toBe(entry.rowsIn)
    expect(manifest.rows_accepted).toBe(entry.acceptedLines.length)
    expect(manifest.rows_duplicate).toBe(entry.duplicate ?? 0)
    expect(manifest.rows_quarantined).toBe(entry.quarantined?.length ?? 0)
    expect(rows.map((r) => r.source_line)).toEqual(entry.acceptedLines)
    expect(records.map((q) => ({ line: q.line, code: q.code, column: q.column }))).toEqual(
      entry.quarantined ?? [],
    )
  })
})

describe('bad-input corpus: files that are rejected whole', () => {
  it.each(REJECTED.map((entry) => [entry.name, entry] as const))('%s', async (name, entry) => {
    const error = await ingestEntry(entry).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(FileRejectedError)
    expect((error as FileRejectedError).reason).toMatch(entry.reason)
    expect((error as FileRejectedError).file).toBe(`incoming/${name}`)
    expect(await lake.keys('curated/')).toEqual([])
    expect(await lake.keys('manifests/ingest/')).toEqual([])
    // the rejection is reported in quarantine, with nothing of the file's rows
    const reports = await lake.keys('quarantine/')
    expect(reports).toHaveLength(1)
    const [report] = await lake.quarantine(reports[0] as string)
    expect(report).toMatchObject({
      code: 'file_rejected',
      file: `incoming/${name}`,
      line: expect.any(Number),
    })
    expect(report?.reason).toMatch(entry.reason)
  })

  // BUG (functions/core/ingest/ingest.ts, scanDrop): the empty-file check is `!jsonl && !mapper`, so an empty
  // JSON Lines drop is ingested as a drop of 0 rows with a manifest instead of being rejected (DESIGN section 4:
  // "a whole file is rejected only when it cannot be read at all: ... empty"). Drop `.fails` once fixed.
  it('an empty JSON Lines drop is rejected', async () => {
    await expect(lake.ingest('incidents', 'incoming/empty.jsonl', '')).rejects.toBeInstanceOf(
      FileRejectedError,
    )
  })
})

describe('bad-input corpus: what reaches the curated rows', () => {
  async function curated(name: string, options: { feed?: FeedName; encoding?: Encoding } = {}) {
    const { manifest } = await lake.ingest(
      options.feed ?? 'incidents',
      `incoming/${name}`,
      await contentOf({ name }),
      {
        ...(options.encoding ? { encoding: options.encoding } : {}),
      },
    )
    return { manifest, rows: await readParquetRows(lake.fileOf(manifest.outputs.curated as string)) }
  }

  it('a BOM does not become part of the first column name', async () => {
    const { rows } = await curated('utf8-bom.csv')
    expect(rows.map((r) => r.incident_id)).toEqual(['INC-001', 'INC-002', 'INC-003'])
  })

  it.each([
    ['declared by the file name', 'cafe.windows-1252.csv', undefined],
    ['declared by the request', 'cafe-undeclared.csv', 'windows-1252' as const],
  ])('Windows-1252 %s decodes to Unicode', async (_how, name, encoding) => {
    const { manifest, rows } = await curated(name, encoding ? { encoding } : {})
    expect(manifest.encoding).toBe('windows-1252')
    expect(rows.map((r) => r.location_description)).toEqual([
      'On or near Caf\u00e9 Rouge', // 0xE9
      'Stall \u00a35 \u20ac, Smithfield', // 0xA3 and 0x80
      'On or near Cheapside',
    ])
  })

  it('CRLF line endings leave no CR in values; a quoted line break is kept as LF', async () => {
    const { rows } = await curated('crlf.csv')
    expect(rows.map((r) => r.location_description)).toEqual([
      'Flat 2,\nCheapside',
      'On or near Cheapside',
      'On or near Cheapside',
    ])
    expect(rows.map((r) => r.incident_id)).toEqual(['INC-001', 'INC-002', 'INC-004'])
  })

  it('a later row with the same key and different content wins', async () => {
    const { manifest, rows } = await curated('superseded.csv')
    expect(rows.map((r) => [r.incident_id, r.outcome, r.source_line])).toEqual([
      ['INC-002', 'Under investigation', 3],
      ['INC-001', 'Offender charged', 4],
      ['INC-003', 'Offender cautioned', 7],
    ])
    const records = await lake.quarantine(manifest.outputs.quarantine)
    expect(records.map((q) => [q.line, q.record?.outcome])).toEqual([
      [2, 'Under investigation'],
      [5, 'Under investigation'],
    ])
    expect(records[0]?.reason).toMatch(/line 4/)
    expect(records[1]?.reason).toMatch(/line 7/)
  })

  it('a line inside the quotes of a quarantined record never becomes a record of its own', async () => {
    const { manifest, rows } = await curated('quoted-record-extra-column.csv')
    expect(rows.map((r) => r.incident_id)).toEqual(['INC-002'])
    for (const key of await lake.keys('curated/'))
      expect((await lake.store.getBytes(key)).toString('latin1')).not.toContain('INC-99')
    const [record] = await lake.quarantine(manifest.outputs.quarantine)
    expect(record?.reason).toBe('expected 6 fields, found 7 (the record spans lines 2-4)')
    expect(record?.text).toMatch(/^INC-001,.*\nINC-99,.*\nend of note",extra$/)
  })

  it('an id with a trailing space is the same record as without it, in a later drop too', async () => {
    await lake.ingest('incidents', 'incoming/2026-05-30.csv', [HEADER, row(1), row(2), ''].join('\n'), {
      dropDate: '2026-05-30',
    })
    await lake.ingest(
      'incidents',
      'incoming/2026-05-31.csv',
      [HEADER, row(1, 'On or near Poultry').replace('INC-001', '"INC-001 "'), ''].join('\n'),
      { dropDate: '2026-05-31' },
    )
    const engine = await DuckDbLake.open(path.join(lake.dir, 'lake'))
    try {
      const { rows } = await engine.rows(
        'select incident_id, location_description from incidents order by incident_id',
      )
      expect(rows).toEqual([
        { incident_id: 'INC-001', location_description: 'On or near Poultry' },
        { incident_id: 'INC-002', location_description: 'On or near Cheapside' },
      ])
    } finally {
      engine.close()
    }
  })

  it('a row whose lat/lon and easting/northing are more than 100 m apart is quarantined; within 100 m the grid is kept', async () => {
    // 51.5136, -0.0890 (Cheapside) is E 532703 N 181139
    const content = [
      'incident_id,reported_at,crime_type,lat,lon,easting,northing,location_description',
      'INC-001,2026-05-01T10:00:00+01:00,Burglary,51.5136,-0.0890,532763,181139,60 m apart',
      'INC-002,2026-05-02T10:00:00+01:00,Burglary,51.5136,-0.0890,533703,181139,1 km apart',
      'INC-003,2026-05-03T10:00:00+01:00,Burglary,53.3498,-6.2603,,,Dublin',
      '',
    ].join('\n')
    const { manifest } = await lake.ingest('incidents', 'incoming/two-pairs.csv', content)
    const { rows, records } = await checkDrop(manifest, 'incoming/two-pairs.csv')
    expect(rows.map((r) => [r.incident_id, r.easting, r.northing])).toEqual([['INC-001', 532_763, 181_139]])
    expect(records.map((q) => [q.line, q.code, q.column, q.reason])).toEqual([
      [
        3,
        'invalid_value',
        'easting',
        'easting: lat/lon 51.5136,-0.089 and easting/northing E533703 N181139 are 1000 m apart (more than 100 m): they name two places',
      ],
      [4, 'invalid_value', 'lat', 'lat: location 53.3498,-6.2603 is outside Great Britain'],
    ])
  })

  it('duplicates are stored once', async () => {
    const { rows } = await curated('duplicates.csv')
    expect(rows.map((r) => r.incident_id)).toEqual(['INC-001', 'INC-002', 'INC-003'])
  })

  it('JSON values are typed; quarantine keeps the record of an unreadable value', async () => {
    const { manifest, rows } = await curated('bad-line.jsonl')
    expect(manifest.format).toBe('jsonl')
    expect(rows.map((r) => [r.incident_id, r.domestic, r.easting !== null])).toEqual([
      ['INC-001', null, true],
      ['INC-003', null, true],
      ['INC-007', true, true],
    ])
    const records = await lake.quarantine(manifest.outputs.quarantine)
    expect(records.find((q) => q.line === 8)?.record).toMatchObject({
      incident_id: 'INC-008',
      crime_type: 'Burglery',
    })
  })

  it('a row nested past the cap is quarantined by its line; one just within it is kept whole and readable', async () => {
    const withinCap = `${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}`
    const { manifest } = await lake.ingest(
      'incidents',
      'incoming/deep.jsonl',
      [jsonRow(1, `, "note": ${DEEP_VALUE}`), jsonRow(2, `, "note": ${withinCap}`)].join('\n'),
    )
    const records = await lake.quarantine(manifest.outputs.quarantine)
    expect(records.map(({ line, code, reason }) => ({ line, code, reason }))).toEqual([
      { line: 1, code: 'invalid_json', reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` },
      { line: 2, code: 'unknown_column', reason: '"note" is not a column of incidents' },
    ])
    expect(records[0]?.text).toMatch(/^\{"incident_id": "INC-001"/)
    expect(records[1]?.record).toMatchObject({ incident_id: 'INC-002', note: JSON.parse(withinCap) })
    const engine = await DuckDbLake.open(path.join(lake.dir, 'lake'))
    try {
      const { rows } = await engine.rows(
        'select line, code, length(record) > 0 as has_record from quarantine',
      )
      expect(rows).toEqual([
        { line: 1, code: 'invalid_json', has_record: null },
        { line: 2, code: 'unknown_column', has_record: true },
      ])
    } finally {
      engine.close()
    }
  })

  it('a JSON Lines key outside a non-survey contract is named, and its record kept whole', async () => {
    const incident = {
      incident_id: 'INC-001',
      reported_at: '2026-05-01T10:00:00+01:00',
      crime_type: 'Burglary',
      lat: 51.5136,
      lon: -0.089,
    }
    const jsonl = [
      { ...incident, colour: 'red' },
      { ...incident, incident_id: 'INC-002', scene: { floor: 2, notes: ['back door'] } },
      { ...incident, incident_id: 'INC-003', crime_type: { code: 'Burglary' } },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n')
    const { manifest } = await lake.ingest('incidents', 'incoming/extra-keys.jsonl', jsonl)
    const records = await lake.quarantine(manifest.outputs.quarantine)
    expect(records.map((q) => [q.line, q.code, q.column, q.reason])).toEqual([
      [1, 'unknown_column', 'colour', '"colour" is not a column of incidents'],
      [2, 'unknown_column', 'scene', '"scene" is not a column of incidents'],
      [3, 'unknown_column', 'crime_type', 'crime_type: is an object or array, not one value'],
    ])
    expect(records.map((q) => q.record)).toEqual([
      { ...incident, colour: 'red' },
      { ...incident, incident_id: 'INC-002', scene: { floor: 2, notes: ['back door'] } },
      { ...incident, incident_id: 'INC-003', crime_type: { code: 'Burglary' } },
    ])
  })

  it('the quarantine record of an oversized field names it and keeps only a preview', async () => {
    const { manifest } = await lake.ingest(
      'incidents',
      'incoming/one-mb-field.csv',
      [HEADER, row(1), row(2, 'x'.repeat(MB)), ''].join('\n'),
    )
    const [record] = await lake.quarantine(manifest.outputs.quarantine)
    expect(record?.reason).toMatch(/1048576 characters/)
    expect(JSON.stringify(record).length).toBeLessThan(4 * 1024)
  })
})

describe('bad-input corpus: personal data', () => {
  const PHONES = ['07700 900123', '07700 900456', '07700 900789', '07700 900321', '07700 900654']
  const NAMES = ['Quartermaine', 'Pennyfeather', 'Threlkeld', 'Ffinch', 'Wollaston']
  const needles = [...PHONES, ...PHONES.map((p) => p.replace(' ', '')), ...NAMES]

  it('phone numbers and names reach no object outside landing/', async () => {
    const { manifest } = await lake.ingest(
      'survey_responses',
      'incoming/survey-personal-data.csv',
      await contentOf({ name: 'survey-personal-data.csv' }),
    )
    expect(manifest.rows_accepted).toBe(2)
    expect(manifest.rows_quarantined).toBe(3)
    const keys = await lake.keys()
    const landing = keys.filter((k) => k.startsWith('landing/'))
    const others = keys.filter((k) => !k.startsWith('landing/'))
    // the search can find them: they are in the landed copy
    expect(landing).toHaveLength(1)
    const landed = (await lake.store.getBytes(landing[0] as string)).toString('latin1')
    for (const needle of PHONES) expect(landed).toContain(needle)
    expect(others).toEqual(
      expect.arrayContaining([
        manifest.outputs.curated,
        manifest.outputs.quarantine,
        `manifests/ingest/survey_responses/${manifest.drop_id}.json`,
      ]),
    )
    for (const key of others) {
      const bytes = (await lake.store.getBytes(key)).toString('latin1')
      for (const needle of needles) expect(bytes, `${needle} in ${key}`).not.toContain(needle)
    }
    // and in decoded form: no curated value or column holds them (Parquet pages may be compressed)
    const rows = await readParquetRows(lake.fileOf(manifest.outputs.curated as string))
    const text = JSON.stringify(rows)
    for (const needle of needles) expect(text).not.toContain(needle)
    expect(Object.keys(rows[0] as object)).not.toContain('phone_number')
    expect(Object.keys(rows[0] as object)).not.toContain('respondent_name')
  })

  it('a JSON Lines survey drop loses its personal fields too', async () => {
    const jsonl = [
      {
        response_id: 'R-1',
        incident_id: 'INC-1',
        sent_at: '2026-05-02T09:00:00+01:00',
        phone: '07700 900123',
        name: 'Jane Quartermaine',
      },
      {
        response_id: 'R-2',
        incident_id: 'INC-2',
        sent_at: '2026-05-02T09:00:00+01:00',
        q_ease: 9,
        phone: '07700 900456',
      },
      {
        response_id: 'R-3',
        incident_id: 'INC-3',
        sent_at: '2026-05-02T09:00:00+01:00',
        colour: 'red',
        mobile: '07700 900789',
      },
    ]
      .map((o) => JSON.stringify(o))
      .concat(['{"response_id": "R-4", "phone": "07700 900321", '])
      .join('\n')
    const { manifest } = await lake.ingest('survey_responses', 'incoming/survey.jsonl', jsonl)
    expect([manifest.rows_accepted, manifest.rows_quarantined]).toEqual([1, 3])
    await expectNoNeedleOutsideLanding()
  })

  async function expectNoNeedleOutsideLanding(): Promise<void> {
    for (const key of (await lake.keys()).filter((k) => !k.startsWith('landing/'))) {
      const bytes = (await lake.store.getBytes(key)).toString('latin1')
      for (const needle of needles) expect(bytes, `${needle} in ${key}`).not.toContain(needle)
    }
  }

  const survey = (id: number) => ({
    response_id: `R-${id}`,
    incident_id: `INC-${id}`,
    sent_at: '2026-05-02T09:00:00+01:00',
  })

  it('JSON Lines keys outside a survey contract are quarantined by name of line and key, without their values', async () => {
    const jsonl = [
      { ...survey(1), Phone: '07700 900123' },
      { ...survey(2), Name: 'Jane Quartermaine' },
      { ...survey(3), mobile_phone: '07700900456' },
      { ...survey(4), contact: { phone: '07700 900789', name: 'Threlkeld' } },
      { ...survey(5), q_overall: 'Ffinch 07700 900321' },
      survey(6),
    ]
      .map((o) => JSON.stringify(o))
      // Node's JSON.parse quotes the text around the error: an unreadable line must not be echoed either
      .concat(['Wollaston 07700 900654 {"response_id": "R-7"'])
      .join('\n')
    const { manifest } = await lake.ingest('survey_responses', 'incoming/survey.jsonl', jsonl)
    expect([manifest.rows_accepted, manifest.rows_quarantined]).toEqual([1, 6])
    await expectNoNeedleOutsideLanding()
    const records = await lake.quarantine(manifest.outputs.quarantine)
    expect(records.map((q) => [q.line, q.code, q.column])).toEqual([
      [1, 'unknown_column', null],
      [2, 'unknown_column', null],
      [3, 'unknown_column', null],
      [4, 'unknown_column', null],
      [5, 'invalid_value', 'q_overall'],
      [7, 'invalid_json', null],
    ])
    expect(records[3]?.reason).toBe(
      'key 4 of the object is not a column of survey_responses (its name and value are not kept: survey_responses drops may carry personal data)',
    )
    expect(records[4]?.reason).toBe('q_overall: is not an integer')
    // what is kept is the record's contract columns that passed their checks
    expect(records[3]?.record).toEqual(survey(4))
    expect(records[4]?.record).toEqual(survey(5))
    for (const q of records) expect(q.text).toBeUndefined()
  })

  it('a survey CSV without its header line is rejected without echoing its first row', async () => {
    const headerless = [
      'R-1,INC-001,Jane Quartermaine,07700 900123,2026-05-02T09:00:00+01:00,2,3',
      'R-2,INC-002,Oswald Pennyfeather,07700 900456,2026-05-02T09:00:00+01:00,9,1',
      '',
    ].join('\n')
    const error = await lake.ingest('survey_responses', 'incoming/headerless.csv', headerless).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(FileRejectedError)
    const { message, reason } = error as FileRejectedError
    expect(reason).toMatch(/^7 unknown column names \(fields 1, 2, 3, 4, 5, 6, 7 of the header line;/)
    expect(reason).toMatch(/is the header line missing\?$/)
    for (const needle of needles) {
      expect(message).not.toContain(needle)
      expect(message).not.toContain(needle.split(' ')[0])
    }
    expect(message).not.toMatch(/R-1|INC-001/)
    await expectNoNeedleOutsideLanding()
  })

  it('free text in ethnicity_group is quarantined naming the list, and reaches neither curated/ nor the results', async () => {
    const csv = [
      'response_id,incident_id,sent_at,responded_at,q_overall,ethnicity_group,age_band',
      'R-1,INC-001,2026-05-02T09:00:00+01:00,2026-05-02T10:00:00+01:00,2,White,25-44',
      'R-2,INC-002,2026-05-02T09:00:00+01:00,2026-05-02T10:00:00+01:00,1,Jane Quartermaine 07700 900123,25-44',
      'R-3,INC-003,2026-05-02T09:00:00+01:00,2026-05-02T10:00:00+01:00,5,Asian,call Pennyfeather',
      '',
    ].join('\n')
    const { manifest } = await lake.ingest('survey_responses', 'incoming/survey.csv', csv)
    expect([manifest.rows_accepted, manifest.rows_quarantined]).toEqual([1, 2])
    const records = await lake.quarantine(manifest.outputs.quarantine)
    expect(records.map((q) => [q.line, q.column])).toEqual([
      [3, 'ethnicity_group'],
      [4, 'age_band'],
    ])
    expect(records[0]?.reason).toMatch(/^ethnicity_group: is not in the list "ONS 2021 ethnic groups/)
    expect(records[1]?.reason).toMatch(/^age_band: is not in the list "victim survey age bands"/)
    const rows = await readParquetRows(lake.fileOf(manifest.outputs.curated as string))
    expect(rows.map((r) => [r.response_id, r.ethnicity_group, r.age_band])).toEqual([
      ['R-1', 'White', '25-44'],
    ])

    const clock = fixedClock('2026-06-01T12:00:00Z')
    await loadReference(lake.store, 'weights', DEFAULT_WEIGHTS_FILE, clock)
    await loadReference(lake.store, 'register', path.join(SAMPLE_DROPS, 'register.geojson'), clock)
    const engine = await DuckDbLake.open(lake.store.location)
    try {
      await runMarts({ store: lake.store, engine, clock, asOf: '2026-06-01' })
      const [results] = await lake.keys('results/victim_satisfaction_monthly/')
      const { rows: groups } = await engine.rows(
        `select distinct group_type, group_value from read_parquet('${lake.fileOf(results as string)}') order by all`,
      )
      expect(groups).toEqual([
        { group_type: 'age_band', group_value: '25-44' },
        { group_type: 'all', group_value: 'all' },
        { group_type: 'crime_type', group_value: 'Unknown' },
        { group_type: 'ethnicity_group', group_value: 'White' },
        { group_type: 'hotspot', group_value: 'HS-01' },
        { group_type: 'hotspot', group_value: 'HS-02' },
        { group_type: 'hotspots', group_value: 'all' },
      ])
    } finally {
      engine.close()
    }
    await expectNoNeedleOutsideLanding()
  })
})
