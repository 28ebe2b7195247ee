import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Column } from '../../functions/core/contracts/columns.ts'
import { readParquetRows } from '../../functions/core/parquet/reader.ts'
import { writeParquetTable } from '../../functions/core/parquet/writer.ts'
import { parseDate } from '../../functions/core/time/days.ts'
import { sourceFiles } from './helpers/source-files.ts'

const column = (name: string, kind: Column['kind']): Column => ({
  name,
  kind,
  required: false,
  description: '',
})

describe('readParquetRows', () => {
  let work: string

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hotspot-parquet-reader-'))
  })
  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('reads back what the writer wrote, as plain values: dates as days, timestamps as ISO-8601, nulls as null', async () => {
    const file = path.join(work, 'rows.parquet')
    const columns = [
      column('name', 'string'),
      column('day', 'date'),
      column('at', 'timestamp'),
      column('count', 'int'),
      column('share', 'double'),
      column('flagged', 'boolean'),
    ]
    await writeParquetTable(file, columns, [
      {
        name: 'Ward 7',
        day: parseDate('2026-03-29'),
        at: Date.parse('2026-03-29T01:30:00.250Z'),
        count: 12,
        share: 0.25,
        flagged: true,
      },
      { name: null, day: null, at: null, count: null, share: null, flagged: null },
    ])
    expect(await readParquetRows(await readFile(file))).toEqual([
      {
        name: 'Ward 7',
        day: '2026-03-29',
        at: '2026-03-29T01:30:00.250Z',
        count: 12,
        share: 0.25,
        flagged: true,
      },
      { name: null, day: null, at: null, count: null, share: null, flagged: null },
    ])
  })

  it('reads a file that shares its buffer with other bytes (a Buffer from the pool)', async () => {
    const file = path.join(work, 'one.parquet')
    await writeParquetTable(file, [column('n', 'int')], [{ n: 1 }, { n: 2 }])
    const bytes = await readFile(file)
    const pooled = Buffer.concat([Buffer.from('ahead'), bytes]).subarray(5)
    expect(await readParquetRows(pooled)).toEqual([{ n: 1 }, { n: 2 }])
  })
})

describe('the Parquet module', () => {
  it('is the only code under functions/ that uses the Parquet libraries (hyparquet, parquet-wasm)', () => {
    const users = sourceFiles('functions')
      .filter((file) => /from '(?:hyparquet|parquet-wasm)[^']*'/.test(file.text))
      .map((file) => file.path)
    expect(users.filter((file) => !file.startsWith('functions/core/parquet/'))).toEqual([])
    // the scan sees the module's own use
    expect(users).toEqual(
      expect.arrayContaining(['functions/core/parquet/reader.ts', 'functions/core/parquet/writer.ts']),
    )
  })
})
