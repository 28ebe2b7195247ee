import { randomBytes } from 'node:crypto'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fromWgs84, toGrid } from '../../functions/core/geo.ts'
import { columnarScan } from '../../functions/core/ingest/columnar.ts'
import { type IngestManifest, ingestDrop } from '../../functions/core/ingest/ingest.ts'
import { PseudonymKey } from '../../functions/core/ingest/pseudonym.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { TEST_NOW, TempLake } from './helpers/lake.ts'

const HEADER = 'device_id,recorded_at,lat,lon,accuracy_m,speed_mps,heading,team,shift_id'
const ok = (device: string, at: string, rest = '51.5074,-0.1278,12,1.2,90,A,S1') => `${device},${at},${rest}`

/**
 * A plain CSV drop (no quotes, LF line ends) of 2026-06-01 (British Summer Time: 23:00 UTC is the next London
 * day) holding every kind of row the row path accepts, flags, settles or quarantines for patrol_pings.
 */
const PLAIN_DROP = [
  HEADER,
  ok('R-1', '2026-06-01T08:00:00Z'),
  ok('R-1', '2026-06-01T08:00:30.291Z', '51.5075,-0.1279,50,1.1,91,A,S1'), // accuracy at the limit; ms quirk
  ok('R-2', '2026-06-01T08:00:00Z', '51.5080,-0.1280,50.5,,,B,'), // flagged
  ok('R-2', '2026-06-01T08:01:00Z', '51.5081,-0.1281,,,,B,'), // superseded by a later line
  ok('R-3', '2026-06-01T22:59:00Z', '51.5,-0.12,5,,,C,'), // 23:59 London on the drop date
  ok('R-3', '2026-06-01T23:00:00Z', '51.5,-0.12,5,,,C,'), // after the drop date
  ok('R-4', '2026-06-01T09:00:00Z', '51.5,-0.12,5,,360,C,'), // heading 360
  ok('R-1', '2026-06-01T08:00:00Z'), // duplicate of line 2
  `${ok('R-5', '2026-06-01T08:00:00Z')},extra`, // wrong field count
  'R-5,2026-06-01T08:00:00Z,51.5', // wrong field count
  ok('R-2', '2026-06-01T08:01:00Z', '51.5082,-0.1281,,,,B,'), // supersedes line 5
  ok('R-4', '2026-05-31T21:00:00Z', '51.5,-0.12,5,,359.9,C,'), // a day late, heading just under 360
  ok(`R-6${'X'.repeat(200)}`, '2026-06-01T08:00:00Z'), // id too long
  ok('R-7', ''), // missing timestamp
  ok('R-7', 'yesterday'),
  ok('R-7', '2026-02-30T10:00:00Z'), // no such day
  ok('R-7', '1999-12-31T23:00:00Z'), // before 2000
  ok('R-7', '2026-06-03T12:00:00Z'), // in the future
  ok('R-8', '2026-06-01T10:00:00+01:00'), // an offset
  ok('R-13', '2026-06-01T08:00:00.5Z'), // fractions of one to six digits
  ok('R-13', '2026-06-01T08:00:00.123456Z'),
  ok('R-13', '2026-06-01T05:29:59.25-02:30'),
  ok('R-13', '2026-06-01T08:00:00.9876543Z'), // seven: left to the row path
  ok('R-8', '2026-06-01 10:00:01+0100'), // a form the screen leaves to the row path, accepted there
  ok('R-9', '2026-06-01T08:00:00Z', '91,-0.12,5,,,C,'),
  ok('R-9', '2026-06-01T08:00:01Z', 'abc,-0.12,5,,,C,'),
  ok('R-9', '2026-06-01T08:00:02Z', '51.5,,5,,,C,'), // lat without lon
  ok('R-9', '2026-06-01T08:00:03Z', '0,0,5,,,C,'), // null island
  ok('R-9', '2026-06-01T08:00:04Z', '40,10,5,,,C,'), // outside Great Britain
  ok('R-9', '2026-06-01T08:00:05Z', '51.5,-0.12,5,151,,C,'), // speed over 150
  ok('R-9', '2026-06-01T08:00:06Z', '51.5,-0.12,5,-0,-1,C,'), // heading below 0
  ok('R-9', '2026-06-01T08:00:07Z', '51.5,-0.12,1e1,-0,,C,'), // exponent, -0: accepted by the row path
  ok('R-9', '2026-06-01T08:00:08Z', '51.5,-0.12,5,,,\u00c9quipe 1,'), // non-ASCII text
  ok('R-9', '2026-06-01T08:00:09Z', '51.5,-0.12,5,,,Team\u0001,'), // control character
  ok('R-9', '2026-06-01T08:00:10Z', '51.5,-0.12,5,,,T\u001fA,'), // the unit separator, a control character
  ok(' R-10 ', '2026-06-01T08:00:00Z'), // edge spaces, cleaned by the row path
  '   ', // blank lines
  '',
  ok('R-11', '2026-06-01T08:00:00Z', `51.5,-0.12,5,,,${'T'.repeat(70_000)},`), // field over 64 KiB
  ok('R-12', '2026-06-01T08:00:00Z'),
  ok('R-12', '2026-06-01T08:00:00Z', '51.5075,-0.1279,12,1.2,90,A,S1'), // A, B, A: both superseded
  ok('R-12', '2026-06-01T08:00:00Z'),
].join('\n')

/** The columnar path for drops of any size: the test's drops are far smaller than COLUMNAR_MIN_BYTES. */
const everyDrop: typeof columnarScan = (input, work) => columnarScan(input, work, { minBytes: 0 })

const material = randomBytes(32)
const key = new PseudonymKey(material)

interface Outcome {
  manifest: IngestManifest
  rows: Record<string, unknown>[]
  types: unknown[][]
  quarantine: unknown[]
}

async function ingestBoth(lake: TempLake, name: string, content: string | Uint8Array) {
  const file = await lake.writeDrop(name, content)
  const run = async (columnar: boolean): Promise<Outcome> => {
    const other = await TempLake.create()
    try {
      const { manifest } = await ingestDrop({
        store: other.store,
        clock: fixedClock(TEST_NOW),
        feed: 'patrol_pings',
        file,
        sourceName: name,
        dropDate: '2026-06-01',
        pseudonymKey: key,
        columnar: columnar ? everyDrop : undefined,
      })
      const curated = manifest.outputs.curated
      return {
        manifest,
        rows: curated ? await rowsOf(other.fileOf(curated)) : [],
        types: curated ? await typesOf(other.fileOf(curated)) : [],
        quarantine: await other.quarantine(manifest.outputs.quarantine),
      }
    } finally {
      await other.close()
    }
  }
  return { row: await run(false), columnar: await run(true) }
}

let duckdb: Promise<DuckDBInstance> | undefined

async function query(sql: string) {
  duckdb ??= DuckDBInstance.create(':memory:')
  const connection = await (await duckdb).connect()
  try {
    return await connection.runAndReadAll(sql)
  } finally {
    connection.closeSync()
  }
}

/** The file's rows in file order, as DuckDB (and so the staging views) reads them. */
async function rowsOf(file: string): Promise<Record<string, unknown>[]> {
  return (await query(`select * from read_parquet('${file}')`)).getRowObjectsJson() as Record<
    string,
    unknown
  >[]
}

/** Each column's name and type, in order. */
async function typesOf(file: string): Promise<unknown[][]> {
  return (
    await query(`select column_name, column_type from (describe select * from read_parquet('${file}'))`)
  ).getRows() as unknown[][]
}

/** The manifest without what differs between two runs of one drop: timings, and the path taken. */
function comparable(manifest: IngestManifest) {
  const { timings_ms: _timings, scan_path: _path, ...rest } = manifest
  return rest
}

function expectSame(outcome: { row: Outcome; columnar: Outcome }) {
  expect(comparable(outcome.columnar.manifest)).toEqual(comparable(outcome.row.manifest))
  expect(outcome.columnar.quarantine).toEqual(outcome.row.quarantine)
  expect(outcome.columnar.rows).toEqual(outcome.row.rows)
  expect(outcome.columnar.types).toEqual(outcome.row.types)
}

describe('the columnar ingest gives what the row path gives', () => {
  let lake: TempLake
  beforeEach(async () => {
    lake = await TempLake.create()
  })
  afterEach(async () => {
    await lake.close()
  })

  it('takes a plain CSV drop of pings, bad rows and repeated keys included, to the same outputs', async () => {
    const outcome = await ingestBoth(lake, 'pings.csv', `${PLAIN_DROP}\n`)
    expect(outcome.row.manifest.scan_path).toBe('row')
    expect(outcome.columnar.manifest.scan_path).toBe('columnar')
    // the drop exercises what it claims to
    expect(outcome.row.manifest).toMatchObject({
      rows_duplicate: 1,
      passes: 2,
      quarantined_by_code: { invalid_value: 17, wrong_field_count: 2, superseded: 3, field_too_large: 1 },
    })
    expect(outcome.row.rows.some((r) => r.low_accuracy === true)).toBe(true)
    expectSame(outcome)
  })

  it('takes a drop of only good rows, without repeats, in one pass', async () => {
    const lines = [HEADER]
    for (let i = 0; i < 3000; i++) {
      const at = new Date(Date.parse('2026-06-01T06:00:00Z') + i * 7919).toISOString()
      lines.push(
        ok(
          `R-${i % 37}`,
          at,
          `51.${5000 + i},-0.${1000 + i},${i % 80},${(i % 150) / 10},${i % 360},T${i % 5},S${i % 3}`,
        ),
      )
    }
    const outcome = await ingestBoth(lake, 'pings.csv', `${lines.join('\n')}\n`)
    expect(outcome.columnar.manifest).toMatchObject({ scan_path: 'columnar', passes: 1, rows_accepted: 3000 })
    expectSame(outcome)
  })

  it('takes a drop spread over more grid cells than a call takes arguments, placing each as toGrid does', async () => {
    // 200,000 pings over 1 by 0.6 degrees, each in a cell of its own (cells are 1/1024 degree)
    const lines = [HEADER]
    const points: [number, number][] = []
    for (let i = 0; i < 200_000; i++) {
      const lat = 51 + (i % 500) * 0.002
      const lon = -3 + Math.floor(i / 500) * 0.0015
      points.push([lat, lon])
      const at = new Date(Date.parse('2026-06-01T06:00:00Z') + i * 100).toISOString()
      lines.push(ok(`R-${i % 50}`, at, `${lat.toFixed(4)},${lon.toFixed(4)},5,,,A,S1`))
    }
    const file = await lake.writeDrop('spread.csv', `${lines.join('\n')}\n`)
    const { manifest } = await ingestDrop({
      store: lake.store,
      clock: fixedClock(TEST_NOW),
      feed: 'patrol_pings',
      file,
      sourceName: 'spread.csv',
      dropDate: '2026-06-01',
      pseudonymKey: key,
      columnar: everyDrop,
    })
    expect(manifest).toMatchObject({ scan_path: 'columnar', rows_accepted: 200_000 })
    const sample = (
      await query(
        `select source_line, easting, northing from read_parquet('${lake.fileOf(manifest.outputs.curated as string)}')
         where source_line % 997 = 0 order by source_line`,
      )
    ).getRows() as [number, number, number][]
    expect(sample.length).toBe(200)
    for (const [line, easting, northing] of sample) {
      const [lat, lon] = points[line - 2] as [number, number]
      const grid = toGrid({ lat: Number(lat.toFixed(4)), lon: Number(lon.toFixed(4)) })
      expect([line, easting, northing]).toEqual([line, ...(grid.ok ? [grid.easting, grid.northing] : [])])
    }
  })

  it('leaves to the row path a drop it cannot prove it reads alike, which still ingests the same', async () => {
    const grid = fromWgs84(51.5074, -0.1278)
    const good = [HEADER, ok('R-1', '2026-06-01T08:00:00Z'), ok('R-2', '2026-06-01T08:00:00Z')]
    const drops: [string, string | Uint8Array][] = [
      ['crlf.csv', `${good.join('\r\n')}\r\n`],
      ['bom.csv', `\ufeff${good.join('\n')}\n`],
      ['quoted.csv', `${[...good, 'R-3,2026-06-01T08:00:00Z,51.5,-0.12,5,,,"Team, A",S1'].join('\n')}\n`],
      [
        'multi-line.csv',
        `${[...good, 'R-3,2026-06-01T08:00:00Z,51.5,-0.12,5,,,"Team', 'A",S1', good[2]].join('\n')}\n`,
      ],
      // a row the row path accepts with the key of a row accepted by DuckDB (R-1 at 08:00:00.000)
      [
        'key-met.csv',
        `${[...good, ok('R-1', '2026-06-01T08:00:00.0000000Z', '51.6,-0.1,1,,,B,')].join('\n')}\n`,
      ],
      ['personal.csv', `${[`${HEADER},officer_name`, `${good[1]},Smith`].join('\n')}\n`],
      [
        'easting.csv',
        `${[`${HEADER},easting,northing`, `${good[1]},${Math.round(grid.easting)},${Math.round(grid.northing)}`].join('\n')}\n`,
      ],
    ]
    for (const [name, content] of drops) {
      const outcome = await ingestBoth(lake, name, content)
      expect(outcome.columnar.manifest.scan_path, name).toBe('row')
      expect(outcome.columnar.manifest.rows_accepted, name).toBeGreaterThan(0)
      expectSame(outcome)
    }
  })

  it('leaves a drop under COLUMNAR_MIN_BYTES to the row path', async () => {
    const file = await lake.writeDrop('small.csv', `${HEADER}\n${ok('R-1', '2026-06-01T08:00:00Z')}\n`)
    const { manifest } = await ingestDrop({
      store: lake.store,
      clock: fixedClock(TEST_NOW),
      feed: 'patrol_pings',
      file,
      sourceName: 'small.csv',
      dropDate: '2026-06-01',
      pseudonymKey: key,
      columnar: columnarScan,
    })
    expect(manifest).toMatchObject({ scan_path: 'row', rows_accepted: 1 })
  })

  it('refuses a drop with an unknown column as the row path does', async () => {
    const file = await lake.writeDrop(
      'unknown.csv',
      `${HEADER},colour\n${ok('R-1', '2026-06-01T08:00:00Z')},red\n`,
    )
    const request = {
      columnar: everyDrop,
      store: lake.store,
      clock: fixedClock(TEST_NOW),
      feed: 'patrol_pings' as const,
      file,
      sourceName: 'unknown.csv',
      dropDate: '2026-06-01',
      pseudonymKey: key,
    }
    await expect(ingestDrop(request)).rejects.toThrow(/colour/)
  })
})
