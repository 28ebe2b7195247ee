import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { columnarScan } from '../../functions/core/ingest/columnar.ts'
import { ingestDrop } from '../../functions/core/ingest/ingest.ts'
import { PseudonymKey } from '../../functions/core/ingest/pseudonym.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { TEST_NOW, TempLake } from '../unit/helpers/lake.ts'
import { TrinoLake } from './trino-lake.ts'

const trino = inject('trino')

/**
 * The columnar ingest writes its curated Parquet with DuckDB (format version 2, zstd), the row path with the
 * project's own writer. Both are the lake's files: Athena (Trino) must read a columnar file as it reads the row
 * path's, value for value. The same pings drop, ingested once each way, read back on a real Trino.
 */
describe.skipIf(trino.url === null)(`the columnar ingest's Parquet on Trino ${trino.version}`, () => {
  const key = new PseudonymKey(randomBytes(32))
  const lakes: TempLake[] = []
  const declared: TrinoLake[] = []
  const read: Record<'row' | 'columnar', string[][]> = { row: [], columnar: [] }
  const PINGS = 3_000

  beforeAll(async () => {
    // the drop date's pings, every 7 s, some without an accuracy or a speed, every 13th over the accuracy limit
    const lines = ['device_id,recorded_at,lat,lon,accuracy_m,speed_mps,heading,team,shift_id']
    for (let i = 0; i < PINGS; i++) {
      const at = new Date(Date.parse('2026-06-01T06:00:00Z') + i * 7_000).toISOString()
      const accuracy = i % 11 === 0 ? '' : i % 13 === 0 ? '75.5' : String(5 + (i % 40))
      const speed = i % 5 === 0 ? '' : (i % 30) / 10
      lines.push(
        `R-${i % 17},${at},${(51.5 + (i % 97) / 10_000).toFixed(6)},${(-0.12 - (i % 89) / 10_000).toFixed(6)},${accuracy},${speed},${i % 360},T${i % 3},S${i % 2}`,
      )
    }
    const content = `${lines.join('\n')}\n`
    for (const path_ of ['row', 'columnar'] as const) {
      const lake = await TempLake.create()
      lakes.push(lake)
      const file = await lake.writeDrop('pings-2026-06-01.csv', content)
      const { manifest } = await ingestDrop({
        store: lake.store,
        clock: fixedClock(TEST_NOW),
        feed: 'patrol_pings',
        file,
        sourceName: 'pings-2026-06-01.csv',
        dropDate: '2026-06-01',
        pseudonymKey: key,
        columnar:
          path_ === 'columnar' ? (input, work) => columnarScan(input, work, { minBytes: 0 }) : undefined,
      })
      expect(manifest.scan_path).toBe(path_)
      expect(manifest.rows_accepted).toBe(PINGS)
      const onTrino = await TrinoLake.declare(trino.url as string, path.join(lake.dir, 'lake'))
      declared.push(onTrino)
      await onTrino.syncPartitions('patrol_pings_versions')
      read[path_] = (
        await onTrino.query(`
          select device_id, cast(recorded_at as varchar), accuracy_m, speed_mps, heading, team, shift_id, lat, lon,
            easting, northing, low_accuracy, source_line, key_derived, cast(drop_date as varchar), cast(dt as varchar)
          from patrol_pings_versions order by source_line`)
      ).rows as string[][]
    }
  }, 300_000)

  afterAll(async () => {
    for (const onTrino of declared) await onTrino.drop()
    for (const lake of lakes) await lake.close()
  })

  it('reads every ping of the columnar file, with the values of the row path file', () => {
    expect(read.columnar).toHaveLength(PINGS)
    expect(read.columnar).toEqual(read.row)
  })

  it('reads the flag, the empty fields and the grid position as stored', () => {
    const flagged = read.columnar.filter((row) => String(row[11]) === 'true')
    // every 13th ping is over the limit, unless it is also an 11th (no accuracy)
    const expected = Array.from({ length: PINGS }, (_, i) => i).filter((i) => i % 13 === 0 && i % 11 !== 0)
    expect(flagged).toHaveLength(expected.length)
    expect(read.columnar.filter((row) => row[2] === null)).toHaveLength(Math.ceil(PINGS / 11))
    for (const row of read.columnar) expect(Number(row[9])).toBeGreaterThan(500_000)
  })
})
