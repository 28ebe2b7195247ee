import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { composeSql, stagingSql } from '../../functions/core/analytics/marts.ts'
import { CONTRACTS, FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'
import { TEST_INGEST_SETTINGS } from '../helpers/ingest-settings.ts'

const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/sample-drops')
const STREET = path.join(SAMPLES, 'police-uk', '2020-01-city-of-london-street.csv')

/**
 * Every staging table's rows as sorted JSON lines (the order of rows in a table means nothing), in the columns
 * staging computed in memory keeps (the cache also keeps each row's key and drop, to update by).
 */
async function contents(lake: DuckDbLake, names: Iterable<string>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const name of names) {
    const columns = inMemoryColumns.get(name) ?? ['*']
    const { rows } = await lake.rows(`select ${columns.map((c) => `"${c}"`).join(', ')} from ${name}`)
    out[name] = rows.map((row) => JSON.stringify(row)).sort()
  }
  return out
}

const inMemoryColumns = new Map<string, string[]>()

describe('the staging cache of a local lake', () => {
  let root: string
  let lakeDir: string
  let work: string
  const staging = stagingSql()

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-staging-cache-'))
    lakeDir = path.join(root, 'lake')
    work = path.join(root, 'drops')
    const store = new FsObjectStore(lakeDir)
    const clock = fixedClock('2026-03-04T06:00:00Z')
    await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)
    await loadReference(store, 'register', path.join(SAMPLES, 'register.geojson'), clock)
    for (const feed of FEED_NAMES) {
      await runIngestCommand([path.join(SAMPLES, feed)], {
        lake: lakeDir,
        feed,
        clock,
        settings: TEST_INGEST_SETTINGS,
      })
    }
  }, 120_000)

  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  async function ingest(feed: string, file: string, dropDate: string, at: string): Promise<void> {
    const { failures } = await runIngestCommand([file], {
      lake: lakeDir,
      feed,
      dropDate,
      clock: fixedClock(at),
    })
    expect(failures).toEqual([])
  }

  /** Prepares staging through the cache and returns how each table was made ready, and its rows. */
  async function prepareCached(tables = staging) {
    const lake = await DuckDbLake.open(lakeDir)
    try {
      await lake.prepareStaging(tables)
      const columns: Record<string, string[]> = {}
      for (const name of tables.keys()) {
        columns[name] = (await lake.rows(`describe ${name}`)).rows.map((row) => String(row.column_name))
      }
      return {
        how: Object.fromEntries(lake.stagingPreparations()),
        rows: await contents(lake, tables.keys()),
        columns,
      }
    } finally {
      lake.close()
    }
  }

  /** The same staging computed in memory from every stored row: what the cache must equal. */
  async function computedInFull() {
    const lake = await DuckDbLake.open(lakeDir, { stagingCache: false })
    try {
      await lake.prepareStaging(staging)
      expect(lake.stagingPreparations().size).toBe(0)
      for (const name of staging.keys()) {
        const { rows } = await lake.rows(`describe ${name}`)
        inMemoryColumns.set(
          name,
          rows.map((row) => String(row.column_name)),
        )
      }
      return await contents(lake, staging.keys())
    } finally {
      lake.close()
    }
  }

  const all = (how: string) => Object.fromEntries([...staging.keys()].map((name) => [name, how]))

  it('builds every table the first time, and they hold what a full computation gives', async () => {
    const full = await computedInFull()
    const first = await prepareCached()
    expect(first.how).toEqual(all('rebuilt'))
    expect(first.rows).toEqual(full)
    expect(first.rows.stg_incidents?.length).toBeGreaterThan(0)
  })

  it('reuses every table when no drop arrived since', async () => {
    const again = await prepareCached()
    expect(again.how).toEqual(all('reused'))
    expect(again.rows).toEqual(await computedInFull())
  })

  it("updates only the new day's records' versions, with the same rows as a full computation", async () => {
    // a later drop corrects INC-00001 (first stored on 2026-03-02) and adds a new incident
    mkdirSync(work, { recursive: true })
    const file = path.join(work, 'incidents-2026-03-04.csv')
    writeFileSync(
      file,
      [
        'incident_id,reported_at,crime_type,lat,lon,weapon_flag,domestic',
        'INC-00001,2026-03-01T01:52:00+00:00,Robbery,51.513837,-0.089189,knife,false',
        'INC-90001,2026-03-03T22:10:00+00:00,Burglary,51.518192,-0.082977,none,false',
      ].join('\n'),
    )
    await ingest('incidents', file, '2026-03-04', '2026-03-04T07:00:00Z')

    const updated = await prepareCached()
    expect(updated.how).toEqual({
      ...all('reused'),
      stg_incidents: 'incremental',
      stg_incident_harm: 'incremental',
    })
    expect(updated.rows).toEqual(await computedInFull())
    // the correction closed the first version
    const versions = (updated.rows.stg_incidents ?? [])
      .map((line) => JSON.parse(line))
      .filter((row) => row.incident_id === 'INC-00001')
    expect(versions.map((v) => [v.valid_from, v.valid_to, v.crime_type]).sort()).toEqual([
      ['2026-03-02', '2026-03-04', 'Other theft'],
      ['2026-03-04', null, 'Robbery'],
    ])
  })

  it('applies a second drop of the same day, which replaces rows without a natural key wholesale', async () => {
    // anti-social behaviour rows have no Crime ID: a re-drop of the day replaces the first drop's
    await ingest('incidents', STREET, '2026-03-05', '2026-03-05T07:00:00Z')
    const morning = await prepareCached()
    expect(morning.how.stg_incidents).toBe('incremental')
    expect(morning.rows).toEqual(await computedInFull())
    const shorter = path.join(work, 'street-redrop.csv')
    writeFileSync(shorter, readFileSync(STREET, 'utf8').split('\n').slice(0, 400).join('\n'))
    await ingest('incidents', shorter, '2026-03-05', '2026-03-05T09:00:00Z')

    const updated = await prepareCached()
    expect(updated.how.stg_incidents).toBe('incremental')
    expect(updated.rows).toEqual(await computedInFull())
    const closedSameDay = (updated.rows.stg_incidents ?? [])
      .map((line) => JSON.parse(line))
      .filter((row) => row.valid_from === '2026-03-05' && row.valid_to === '2026-03-05')
    expect(closedSameDay.length).toBeGreaterThan(0)
  })

  it("agrees with every feed's view on each record's current version (after corrections and re-drops)", async () => {
    const lake = await DuckDbLake.open(lakeDir, { stagingCache: false })
    try {
      for (const feed of FEED_NAMES) {
        const columns = [...CONTRACTS[feed].key, 'drop_id'].map((c) => `"${c}"`).join(', ')
        const view = await lake.rows(`select ${columns} from ${feed} order by all`)
        const staging = await lake.rows(
          composeSql(`select ${columns} from stg_${feed} where valid_to is null order by all`),
        )
        expect(view.rows.length, feed).toBeGreaterThan(0)
        expect(staging.rows, feed).toEqual(view.rows)
      }
    } finally {
      lake.close()
    }
  })

  it('rebuilds a table whose query or kept columns changed', async () => {
    const changed = new Map(staging)
    const incidents = staging.get('stg_incidents')
    if (!incidents) throw new Error('stg_incidents is staging')
    changed.set('stg_incidents', {
      ...incidents,
      readerWords: new Set([...incidents.readerWords, 'lsoa_name']),
    })
    const rebuilt = await prepareCached(changed)
    expect(rebuilt.how.stg_incidents).toBe('rebuilt')
    expect(rebuilt.how.stg_incident_harm).toBe('rebuilt')
    expect(rebuilt.how.stg_arrests).toBe('reused')
    expect(rebuilt.columns.stg_incidents).toContain('lsoa_name')
    // and back again
    expect((await prepareCached()).how.stg_incidents).toBe('rebuilt')
  })

  it('rebuilds a table after an update that did not finish (its state is gone)', async () => {
    const lake = await DuckDbLake.open(lakeDir)
    await lake.prepareStaging(staging)
    await lake.rows(`delete from staging_cache.cache_state where name = 'stg_arrests'`)
    lake.close()
    const after = await prepareCached()
    expect(after.how.stg_arrests).toBe('rebuilt')
    expect(after.how.stg_tips).toBe('reused')
    expect(after.rows).toEqual(await computedInFull())
  })

  it('rebuilds a table when a file it was computed from is gone', async () => {
    const folder = path.join(lakeDir, 'curated', 'tips')
    const dated = readdirSync(folder).sort()
    const gone = path.join(folder, dated[0] as string)
    rmSync(gone, { recursive: true })
    const after = await prepareCached()
    expect(after.how.stg_tips).toBe('rebuilt')
    expect(after.rows).toEqual(await computedInFull())
  })

  it('builds staging in memory when another open lake of this process holds the cache', async () => {
    const first = await DuckDbLake.open(lakeDir)
    const second = await DuckDbLake.open(lakeDir)
    try {
      await first.prepareStaging(staging)
      await second.prepareStaging(staging)
      expect(first.stagingPreparations().size).toBe(staging.size)
      expect(second.stagingPreparations().size).toBe(0)
      expect(second.stagingCacheUnavailable).toBe('the cache is in use by another open lake')
      expect(await contents(second, staging.keys())).toEqual(await contents(first, staging.keys()))
    } finally {
      first.close()
      second.close()
    }
    // closed, it is free again
    expect((await prepareCached()).how).toEqual(all('reused'))
  })

  it('replaces a cache file DuckDB cannot open (damaged, or from another version), and rebuilds', async () => {
    const file = path.join(lakeDir, '.cache', 'staging.duckdb')
    writeFileSync(file, 'not a DuckDB database '.repeat(500))
    const lake = await DuckDbLake.open(lakeDir)
    try {
      await lake.prepareStaging(staging)
      expect(lake.stagingCacheUnavailable).toBeUndefined()
      expect(Object.fromEntries(lake.stagingPreparations())).toEqual(all('rebuilt'))
      expect(await contents(lake, staging.keys())).toEqual(await computedInFull())
    } finally {
      lake.close()
    }
  })

  it('builds staging in memory when another process holds the cache', async () => {
    // a second process attaches the cache and keeps it
    const holder = `import { DuckDBInstance } from '@duckdb/node-api'
const instance = await DuckDBInstance.create(':memory:')
const connection = await instance.connect()
await connection.run(${JSON.stringify(`attach '${path.join(lakeDir, '.cache', 'staging.duckdb')}' as held`)})
// kept reachable: a collected instance closes its database, and the lock with it
globalThis.held = { instance, connection }
process.stdout.write('held\\n')
setTimeout(() => {}, 60_000)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', holder], {
      cwd: path.resolve(import.meta.dirname, '../..'),
    })
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (data) => (String(data).includes('held') ? resolve() : undefined))
        child.on('exit', (code) => reject(new Error(`the holder exited with ${code}`)))
      })
      const lake = await DuckDbLake.open(lakeDir)
      try {
        await lake.prepareStaging(staging)
        expect(lake.stagingPreparations().size).toBe(0)
        // never taken for a damaged file, which would be replaced under the other run
        expect(lake.stagingCacheUnavailable).toBe('the cache is in use by another run')
        expect(await contents(lake, staging.keys())).toEqual(await computedInFull())
      } finally {
        lake.close()
      }
    } finally {
      child.kill()
    }
  })
})
