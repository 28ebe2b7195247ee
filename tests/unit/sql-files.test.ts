import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MART_NAMES, martQuery } from '../../functions/core/analytics/marts.ts'
import { QueryFileError, readQueryFile } from '../../functions/core/analytics/sql-files.ts'

const HEADER = [
  '-- grain: one row per hotspot per ISO week',
  '-- grain key: hotspot_id, week_start',
  '-- parameters: as_of (date)',
  '-- columns:',
  '--   hotspot_id   varchar  the hotspot',
  '--   week_start   date     Monday of the week',
  '--   crimes       bigint   incidents',
]

describe('readQueryFile: the header of a query file', () => {
  let folder: string
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'hotspot-sql-files-'))
  })
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true })
  })
  const read = async (lines: string[]) => {
    const file = path.join(folder, 'q.sql')
    await writeFile(file, `${lines.join('\n')}\nselect 1\n`)
    return readQueryFile(file, 'q')
  }

  it('reads the grain, in words and as its key columns', async () => {
    const query = await read(HEADER)
    expect(query.grain).toBe('one row per hotspot per ISO week')
    expect(query.grainKey).toEqual(['hotspot_id', 'week_start'])
    expect(query.columns.map((c) => c.name)).toEqual(['hotspot_id', 'week_start', 'crimes'])
  })

  it('refuses a grain key naming a column the header does not declare', async () => {
    const lines = HEADER.map((l) => (l.startsWith('-- grain key') ? '-- grain key: hotspot_id, week' : l))
    await expect(read(lines)).rejects.toThrow(QueryFileError)
    await expect(read(lines)).rejects.toThrow(
      'the grain key names week, not among the declared output columns',
    )
  })

  it('has every mart name its grain key among its declared columns', () => {
    for (const mart of MART_NAMES) {
      const { grainKey, columns } = martQuery(mart)
      expect(grainKey.length, mart).toBeGreaterThan(0)
      for (const column of grainKey) expect(columns.map((c) => c.name)).toContain(column)
    }
  })
})
