import { DuckDBInstance } from '@duckdb/node-api'
import { describe, expect, it } from 'vitest'
import { patrolPings } from '../../functions/core/contracts/feeds.ts'
import { toGrid } from '../../functions/core/geo.ts'
import { registerGridOf, screenSql } from '../../functions/core/ingest/columnar-sql.ts'
import { parseTimestamp } from '../../functions/core/time/instants.ts'

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

async function screen(lines: string[]) {
  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  try {
    registerGridOf(db)
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
    return (await db.runAndReadAll(select)).getRowObjectsJS()
  } finally {
    db.closeSync()
    instance.closeSync()
  }
}

describe('the columnar screen', () => {
  it('takes the rows it can read as the row path does, and no other', async () => {
    const rows = await screen(LINES.map(([line]) => line))
    expect(rows.map((r, i) => [LINES[i]?.[0], r.ok])).toEqual(LINES.map(([line, ok]) => [line, ok]))
  })

  it("stores parseTimestamp's milliseconds, toGrid's grid position and the accuracy flag", async () => {
    const taken = LINES.filter(([, ok]) => ok).map(([line]) => line)
    const rows = await screen(taken)
    const grid = toGrid({ lat: 51.5074, lon: -0.1278 }) as { easting: number; northing: number }
    expect(rows.map((r) => [Number(r.recorded_at), r.easting, r.northing, r.low_accuracy])).toEqual(
      taken.map((line) => [parseTimestamp(line.split(',')[1] as string), grid.easting, grid.northing, false]),
    )
  })
})
