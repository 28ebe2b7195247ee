import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { describe, expect, it } from 'vitest'
import { patrolPings } from '../../functions/core/contracts/feeds.ts'
import { toGrid } from '../../functions/core/geo.ts'
import {
  CELLS_PER_DEGREE,
  cellSql,
  loadGridCells,
  placeSql,
  registerGridOf,
  screenSql,
  unplacedSql,
} from '../../functions/core/ingest/columnar-sql.ts'
import { gridFitOver } from '../../functions/core/ingest/grid-fit.ts'
import { parseTimestamp } from '../../functions/core/time/instants.ts'
import { loadPoints } from './helpers/points-table.ts'

const HEADER = ['device_id', 'recorded_at', 'lat', 'lon', 'accuracy_m', 'speed_mps', 'heading', 'team']
const ping = (at: string, rest = '51.5074,-0.1278,12,1.2,90,Team A') => `R-1,${at},${rest}`

/** What DuckDB itself takes (true) or hands to the row path (false): the row path would accept every true one. */
const LINES: [string, boolean][] = [
  [ping('2026-06-01T08:00:00Z'), true],
  [ping('2026-06-01T08:00:00.291Z'), true],
  [ping('2026-06-01T08:00:00.5Z'), true],
  [ping('2026-06-01T08:00:00.123456Z'), true],
  [ping('2026-06-01T10:00:00+01:00'), true],
  [ping('2026-06-01T05:29:59.25-02:30'), true],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,,,,'), true],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,0,0,359.99,T'), true],
  // left to the row path: forms it reads that the screen does not claim to
  [ping('2026-06-01T08:00:00.1234567Z'), false],
  [ping('2026-06-01 08:00:00Z'), false],
  [ping('2026-06-01T08:00:00z'), false],
  [ping('2026-06-01T08:00Z'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,1e1,,,'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,+1,,,'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278, 1,,,'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,12,-0,,'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,12,,,Team A '), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,12,,,\u00c9quipe'), false],
  // and what it refuses, for the row path to say why
  [ping('2026-02-30T08:00:00Z'), false],
  [ping('1999-12-31T23:00:00Z'), false],
  [ping('2026-06-03T12:00:00Z'), false], // in the future
  [ping('2026-06-01T23:00:00Z'), false], // the next London day
  [ping(''), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,12,1.2,360,Team A'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,12,151,90,Team A'), false],
  [ping('2026-06-01T08:00:00Z', '0,0,12,1.2,90,Team A'), false],
  [ping('2026-06-01T08:00:00Z', '40,10,12,1.2,90,Team A'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,,12,1.2,90,Team A'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,12,1.2,90,"Team A"'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,12,1.2,90,Team\u0001'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,12,1.2,90'), false],
  [ping('2026-06-01T08:00:00Z', '51.5074,-0.1278,12,1.2,90,Team A,extra'), false],
  [`,${ping('2026-06-01T08:00:00Z').slice(4)}`, false],
  [ping('2026-06-01T08:00:00Z', `51.5074,-0.1278,12,1.2,90,${'T'.repeat(101)}`), false],
]

async function withDuckDb<T>(work: (db: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  try {
    registerGridOf(db)
    return await work(db)
  } finally {
    db.closeSync()
    instance.closeSync()
  }
}

/**
 * Rows placed as the columnar ingest places them (columnar.ts): those outside Great Britain found (unplacedSql,
 * their grid null), the others placed by the fit over their box (placeSql); in the table's order, by n.
 */
async function place(
  db: DuckDBConnection,
  table: string,
  { fitted = true }: { fitted?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const located = `select n as line, * from ${table} where lat is not null and lon is not null`
  const { cellLat, cellLon } = cellSql('lat', 'lon')
  const cells = await db.runAndReadAll(`select distinct ${cellLat}, ${cellLon} from (${located})`)
  await loadGridCells(db, cells.getRows() as [number, number][])
  await db.run(`create table unplaced as ${unplacedSql(located)}`)
  const inBritain = `select * from (${located}) where line not in (select line from unplaced)`
  const [box] = (
    await db.runAndReadAll(`select min(lat), max(lat), min(lon), max(lon) from (${inBritain})`)
  ).getRows() as (number | null)[][]
  const [south, north, west, east] = box as (number | null)[]
  const fit =
    !fitted || south == null || north == null || west == null || east == null
      ? undefined
      : gridFitOver({ south, north, west, east })
  const placed = (await db.runAndReadAll(`${placeSql(inBritain, fit)}`)).getRowObjectsJS()
  const byLine = new Map(placed.map((r) => [r.line, r]))
  const rows = (await db.runAndReadAll(`select * from ${table} order by n`)).getRowObjectsJS()
  return rows.map((r) => byLine.get(r.n) ?? { ...r, easting: null, northing: null, fitted: false })
}

/** The screen's rows, each placed when it passed: `taken` when the screen passed it and it is in Great Britain. */
async function screen(lines: string[]) {
  return withDuckDb(async (db) => {
    await db.run('create table drop_lines (n integer, text varchar)')
    const appender = await db.createAppender('drop_lines')
    lines.forEach((text, n) => {
      appender.appendInteger(n)
      appender.appendVarchar(text)
      appender.endRow()
    })
    appender.closeSync()
    const { select } = screenSql(
      patrolPings,
      {
        header: HEADER,
        notAfterMs: Date.parse('2026-06-02T12:00:00Z'),
        // 2026-06-01 is in British Summer Time: London's next day begins at 23:00 UTC
        beforeMs: Date.parse('2026-06-01T23:00:00Z'),
        accuracyLimitM: 50,
      },
      'select text from drop_lines order by n',
    )
    await db.run(`create table screened as select row_number() over () - 1 as n, * from (${select})`)
    const rows = await place(db, 'screened')
    return rows.map((r): Record<string, unknown> => ({ ...r, taken: r.ok === true && r.easting !== null }))
  })
}

describe('the columnar screen', () => {
  it('takes the rows it can read as the row path does, and no other', async () => {
    const rows = await screen(LINES.map(([line]) => line))
    expect(rows.map((r, i) => [LINES[i]?.[0], r.taken])).toEqual(LINES.map(([line, ok]) => [line, ok]))
  })

  it("stores parseTimestamp's milliseconds, toGrid's grid position and the accuracy flag", async () => {
    const taken = LINES.filter(([, ok]) => ok).map(([line]) => line)
    const rows = await screen(taken)
    const grid = toGrid({ lat: 51.5074, lon: -0.1278 }) as { easting: number; northing: number }
    expect(rows.map((r) => [Number(r.recorded_at), r.easting, r.northing, r.low_accuracy])).toEqual(
      taken.map((line) => [parseTimestamp(line.split(',')[1] as string), grid.easting, grid.northing, false]),
    )
  })

  it("places rows at toGrid's grid position, by the fit for nearly all, anywhere in Great Britain", async () => {
    // 200,000 points over Great Britain's box and beyond its coasts, with a few at exact cell corners
    let seed = 42
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed / 2_147_483_648
    }
    const points: [number, number][] = []
    for (let k = 0; k < 200_000; k++) points.push([49.8 + next() * 11.2, -8.7 + next() * 10.7])
    for (let k = 0; k < 100; k++) points.push([51.5 + k / CELLS_PER_DEGREE, -0.2 + k / CELLS_PER_DEGREE])
    const rows = await placed(points)
    const differ = differences(points, rows)
    expect(differ).toEqual([])
    // both answers occur, and the fit placed nearly every point in Great Britain (not proj4 row by row)
    const inBritain = rows.filter((r) => r.easting !== null)
    expect(inBritain.length).toBeGreaterThan(50_000)
    expect(rows.length - inBritain.length).toBeGreaterThan(50_000)
    expect(inBritain.filter((r) => r.fitted).length / inBritain.length).toBeGreaterThan(0.9)
  })

  it('places every row by proj4 itself when there is no fit', async () => {
    const points: [number, number][] = Array.from({ length: 3_000 }, (_, k) => [
      50 + (k % 97) * 0.11,
      -6 + Math.floor(k / 97) * 0.25,
    ])
    const rows = await placed(points, { fitted: false })
    expect(differences(points, rows)).toEqual([])
    expect(rows.filter((r) => r.easting !== null).length).toBeGreaterThan(500)
    expect(rows.some((r) => r.fitted)).toBe(false)
  })
})

async function placed(points: [number, number][], options?: { fitted?: boolean }) {
  return withDuckDb(async (db) => {
    await loadPoints(db, points)
    return place(db, 'points', options)
  })
}

/** The points whose placed row is not where toGrid puts them (or outside Great Britain when toGrid refuses them). */
function differences(points: [number, number][], rows: Record<string, unknown>[]) {
  return points.flatMap(([lat, lon], n) => {
    const grid = toGrid({ lat, lon })
    const expected = grid.ok ? [grid.easting, grid.northing] : [null, null]
    const row = rows[n] as Record<string, unknown>
    return row.easting === expected[0] && row.northing === expected[1]
      ? []
      : [{ lat, lon, expected, got: [row.easting, row.northing] }]
  })
}
