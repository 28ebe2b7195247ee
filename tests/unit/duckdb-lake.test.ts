import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { composeSql, stagingSql } from '../../functions/core/analytics/marts.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { cellCentre, TestLake } from '../sql/harness.ts'
import { TempLake } from './helpers/lake.ts'

const at = cellCentre(21_000, 7_200)
const incident = (id: string, dropDate: string, dropId: string, ingestedAt: string, keyDerived = false) => ({
  incident_id: id,
  reported_at: '2026-03-01T10:00:00Z',
  crime_type: keyDerived ? 'Anti-social behaviour' : 'Burglary',
  key_derived: keyDerived,
  ...at,
  drop_date: dropDate,
  drop_id: dropId,
  ingested_at: ingestedAt,
})

/**
 * The `<feed>` view (queries/views/<feed>.sql) and the staging queries (valid_to is null) each state which
 * version of a record is current; an auditor's query and a mart must agree on it.
 */
describe('DuckDbLake: the current version of each record', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      feeds: {
        incidents: [
          // A: corrected by a later day's drop
          incident('A', '2026-03-02', 'd2', '2026-03-02T06:00:00Z'),
          incident('A', '2026-03-05', 'd5', '2026-03-05T06:00:00Z'),
          // B: in two drops of one day; the later ingested wins
          incident('B', '2026-03-06', 'd6-first', '2026-03-06T06:00:00Z'),
          incident('B', '2026-03-06', 'd6-second', '2026-03-06T18:00:00Z'),
          // rows without a natural key: current only while their drop is the latest of its day
          incident('E', '2026-03-06', 'd6-first', '2026-03-06T06:00:00Z', true), // replaced by d6-second
          incident('F', '2026-03-06', 'd6-second', '2026-03-06T18:00:00Z', true),
          incident('G', '2026-03-02', 'd2', '2026-03-02T06:00:00Z', true), // then in a drop replaced that day
          incident('G', '2026-03-06', 'd6-first', '2026-03-06T06:00:00Z', true),
          incident('H', '2026-03-02', 'd2', '2026-03-02T06:00:00Z', true),
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('is the same in the feed view as in staging', async () => {
    const view = await lake.sql('select incident_id, drop_id from incidents order by 1')
    const staging = await lake.sql(
      'select incident_id, drop_id from stg_incidents where valid_to is null order by 1',
    )
    expect(view).toEqual([
      { incident_id: 'A', drop_id: 'd5' },
      { incident_id: 'B', drop_id: 'd6-second' },
      { incident_id: 'F', drop_id: 'd6-second' },
      { incident_id: 'H', drop_id: 'd2' },
    ])
    expect(staging).toEqual(view)
  })
})

describe('DuckDbLake views', () => {
  const madeViews = async (engine: DuckDbLake) =>
    (
      await engine.rows('select view_name from duckdb_views() where not internal order by view_name')
    ).rows.map((row) => row.view_name)

  it('makes a view when a statement first names it, with the views it reads', async () => {
    const lake = await TestLake.create({
      feeds: { incidents: [incident('A', '2026-03-02', 'd2', '2026-03-02T06:00:00Z')] },
    })
    const opened = await DuckDbLake.open(lake.root)
    try {
      expect(await madeViews(opened)).toEqual([])
      // named in a comment or as text only: not read, not made
      await opened.rows("select 'calls' as feed -- and tips")
      expect(await madeViews(opened)).toEqual([])
      expect((await opened.rows('select incident_id from incidents')).rows).toEqual([{ incident_id: 'A' }])
      expect(await madeViews(opened)).toEqual(['incidents', 'incidents_versions'])
    } finally {
      opened.close()
      await lake.close()
    }
  })

  // found by review: a quote inside a comment or a quoted identifier opens no string, and -- in one starts no comment
  it.each([
    [
      'after a block comment holding an apostrophe',
      "/* the day's incidents */ select incident_id from incidents where crime_type = 'Burglary'",
    ],
    ['after a quoted alias holding --', 'select 1 as "a--b", incident_id from incidents'],
    ['by a quoted name in another case', 'select incident_id from "Incidents"'],
  ])('makes a view named %s', async (_, sql) => {
    const lake = await TestLake.create({
      feeds: { incidents: [incident('A', '2026-03-02', 'd2', '2026-03-02T06:00:00Z')] },
    })
    const opened = await DuckDbLake.open(lake.root)
    try {
      expect((await opened.rows(sql)).rows).toEqual([expect.objectContaining({ incident_id: 'A' })])
    } finally {
      opened.close()
      await lake.close()
    }
  })

  it('reads a feed whose first drop arrived after it was opened, once refreshed', async () => {
    const early = await TestLake.create({ feeds: {} })
    const later = await TestLake.create({
      feeds: { incidents: [incident('A', '2026-03-02', 'd2', '2026-03-02T06:00:00Z')] },
    })
    const opened = await DuckDbLake.open(early.root)
    const count = async () => (await opened.rows('select count(*) as n from incidents')).rows
    try {
      expect(await count()).toEqual([{ n: 0 }])
      await cp(path.join(later.root, 'curated', 'incidents'), path.join(early.root, 'curated', 'incidents'), {
        recursive: true,
      })
      // the view made before stands for a feed with no files until the lake looks again
      expect(await count()).toEqual([{ n: 0 }])
      await opened.refresh()
      expect(await count()).toEqual([{ n: 1 }])
      // the feed view, made over the empty relation, reads every column of the files
      const { rows } = await opened.rows('select * from incidents')
      expect(rows.map((row) => [row.incident_id, row.crime_type, row.drop_id])).toEqual([
        ['A', 'Burglary', 'd2'],
      ])
    } finally {
      opened.close()
      await early.close()
      await later.close()
    }
  })
})

describe('DuckDbLake memory', () => {
  it('keeps no copy of the Parquet files it reads (the system caches local files)', async () => {
    const lake = await TestLake.create({
      feeds: { incidents: [incident('A', '2026-03-02', 'd2', '2026-03-02T06:00:00Z')] },
    })
    const opened = await DuckDbLake.open(lake.root)
    try {
      expect((await opened.rows('select incident_id from incidents_versions')).rows).toEqual([
        { incident_id: 'A' },
      ])
      const cached = await opened.rows('select count(*) as files from duckdb_external_file_cache()')
      expect(cached.rows).toEqual([{ files: 0 }])
    } finally {
      opened.close()
      await lake.close()
    }
  })

  it("keeps its buffers within the limit, spilling into the lake's cache folder rather than the working folder", async () => {
    const lake = await TestLake.create({ feeds: {} })
    const setting = async (engine: DuckDbLake, name: string) =>
      (await engine.rows(`select current_setting('${name}') as value`)).rows[0]?.value
    const byDefault = await DuckDbLake.open(lake.root)
    const small = await DuckDbLake.open(lake.root, { memoryLimit: '40MB' })
    try {
      expect(await setting(byDefault, 'temp_directory')).toBe(path.join(lake.root, '.cache', 'duckdb-spill'))
      // DuckDB prints the limit in MiB: 500 MB and 40 MB
      expect(await setting(byDefault, 'memory_limit')).toBe('476.8 MiB')
      expect(await setting(small, 'memory_limit')).toBe('38.1 MiB')
      // a sort of about 200 MB in 40 MB: it spills, and finishes
      const sorted = await small.rows(
        'select count(*) as n, count(distinct previous) as distinct_previous from (select lag(i) over (order by hash(i)) as previous from range(4000000) as t (i))',
      )
      expect(sorted.rows).toEqual([{ n: 4_000_000, distinct_previous: 3_999_999 }])
    } finally {
      byDefault.close()
      small.close()
      await lake.close()
    }
  })
})

/**
 * A correction can reach the lake before the drop it corrects (a supplier re-sends an old day late, or an S3
 * redelivery lands out of order). Versions are ordered by drop date, not by when they were ingested, so the
 * later-dated drop stays current and the earlier one is only its past (DESIGN section 4).
 */
describe('DuckDbLake: a correction ingested before its original', () => {
  const HEADER = 'incident_id,reported_at,crime_type,lat,lon'
  let temp: TempLake

  beforeAll(async () => {
    temp = await TempLake.create()
  })
  afterAll(async () => {
    await temp.close()
  })

  async function stagedVersions(lake: DuckDbLake) {
    await lake.prepareStaging(stagingSql())
    const { rows } = await lake.rows(
      composeSql(
        `select incident_id, crime_type, cast(valid_from as varchar) as valid_from, cast(valid_to as varchar) as valid_to
         from stg_incidents order by incident_id, valid_from`,
        'query',
        new Set(stagingSql().keys()),
      ),
    )
    return rows
  }

  it('keeps the later drop date current whatever the ingest order, in the view and in staging (kept and in memory)', async () => {
    await temp.ingest(
      'incidents',
      'incidents-2026-03-05.csv',
      `${HEADER}\nINC-1,2026-03-01T10:00:00Z,Robbery,51.5136,-0.0890\n`,
      {
        dropDate: '2026-03-05',
        clock: fixedClock('2026-03-05T07:00:00Z'),
      },
    )
    const first = await DuckDbLake.open(temp.store.location)
    try {
      expect(await stagedVersions(first)).toEqual([
        { incident_id: 'INC-1', crime_type: 'Robbery', valid_from: '2026-03-05', valid_to: null },
      ])
    } finally {
      first.close()
    }

    // the original arrives a day later
    await temp.ingest(
      'incidents',
      'incidents-2026-03-02.csv',
      `${HEADER}\nINC-1,2026-03-01T10:00:00Z,Other theft,51.5136,-0.0890\nINC-2,2026-03-01T11:00:00Z,Burglary,51.5136,-0.0890\n`,
      { dropDate: '2026-03-02', clock: fixedClock('2026-03-06T07:00:00Z') },
    )
    const expected = [
      { incident_id: 'INC-1', crime_type: 'Other theft', valid_from: '2026-03-02', valid_to: '2026-03-05' },
      { incident_id: 'INC-1', crime_type: 'Robbery', valid_from: '2026-03-05', valid_to: null },
      { incident_id: 'INC-2', crime_type: 'Burglary', valid_from: '2026-03-02', valid_to: null },
    ]
    for (const stagingCache of [true, false]) {
      const lake = await DuckDbLake.open(temp.store.location, { stagingCache })
      try {
        expect(await stagedVersions(lake), `staging cache ${stagingCache}`).toEqual(expected)
        if (stagingCache) expect(lake.stagingPreparations().get('stg_incidents')).toBe('incremental')
        expect((await lake.rows('select incident_id, crime_type from incidents order by 1')).rows).toEqual([
          { incident_id: 'INC-1', crime_type: 'Robbery' },
          { incident_id: 'INC-2', crime_type: 'Burglary' },
        ])
      } finally {
        lake.close()
      }
    }
  })
})

/**
 * The auditors' lake (`confined`, as `hotspot query` opens it) without the SELECT-only rule of `select`: DuckDB's
 * own settings keep even a statement that got past that rule inside the lake.
 */
describe('DuckDbLake confined to the lake', () => {
  let lake: TestLake
  let confined: DuckDbLake
  beforeAll(async () => {
    lake = await TestLake.create({
      feeds: { incidents: [incident('A', '2026-03-02', 'd2', '2026-03-02T06:00:00Z')] },
    })
    confined = await DuckDbLake.open(lake.root, { confined: true })
  })
  afterAll(async () => {
    confined.close()
    await lake.close()
  })

  it('still answers from the views defined before it was locked', async () => {
    expect((await confined.rows('select incident_id from incidents')).rows).toEqual([{ incident_id: 'A' }])
    // a mart view lists the run manifests, of which this lake has none yet
    expect((await confined.rows('select count(*) as n from scorecard_weekly')).rows).toEqual([{ n: 0 }])
  })

  it.each([
    [
      'a COPY out of the lake',
      () => `copy (select 1) to '${path.join(tmpdir(), 'hotspot-confined.csv')}'`,
      /Permission Error/,
    ],
    [
      'an ATTACH out of the lake',
      () => `attach '${path.join(tmpdir(), 'hotspot-confined.duckdb')}' as x`,
      /Permission Error/,
    ],
    ['an extension install', () => 'install httpfs', /Permission Error/],
    ['an extension load', () => 'load httpfs', /Permission Error|disabled/],
    [
      'switching external access back on',
      () => 'set enable_external_access = true',
      /configuration has been locked/,
    ],
    [
      'widening the allowed folders',
      () => "set allowed_directories = ['/']",
      /configuration has been locked/,
    ],
  ])('refuses %s', async (_, sql, message) => {
    await expect(confined.rows(sql())).rejects.toThrow(message)
  })

  it('is not opened on a folder that does not exist, or that is not a lake', async () => {
    const missing = path.join(lake.root, 'no-such-lake')
    await expect(DuckDbLake.open(missing, { confined: true })).rejects.toThrow(
      `no lake at ${missing}: the folder does not exist`,
    )
    const notALake = await mkdtemp(path.join(tmpdir(), 'hotspot-not-a-lake-'))
    try {
      await expect(DuckDbLake.open(notALake, { confined: true })).rejects.toThrow(
        new RegExp(`^${notALake} is not a lake: it holds none of landing/, curated/`),
      )
    } finally {
      await rm(notALake, { recursive: true, force: true })
    }
  })

  it("refuses a lake folder named with a wildcard of the views' file patterns, and reads one with a quote", async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'hotspot-lake-names-'))
    try {
      for (const name of ['la[k]e', 'lake*', 'lake?', 'la{k}e']) {
        const folder = path.join(parent, name)
        await cp(lake.root, folder, { recursive: true })
        await expect(DuckDbLake.open(folder, { confined: true })).rejects.toThrow(
          /holds .+, a wildcard in the file patterns the views read/,
        )
      }
      const quoted = path.join(parent, "o'lake")
      await cp(lake.root, quoted, { recursive: true })
      const opened = await DuckDbLake.open(quoted, { confined: true })
      try {
        expect((await opened.rows('select incident_id from incidents')).rows).toEqual([{ incident_id: 'A' }])
      } finally {
        opened.close()
      }
    } finally {
      await rm(parent, { recursive: true, force: true })
    }
  })
})
