import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { runQueryCommand } from '../../functions/cli/query-command.ts'
import { runMarts } from '../../functions/core/analytics/run.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'

const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/sample-drops')

/**
 * `hotspot query` is the auditors' tool: one read-only statement over the lake and nothing else (DESIGN section
 * 10). Each attack below once worked.
 */
describe('hotspot query: read-only and confined to the lake', () => {
  let root: string
  let lake: string
  let outside: string
  const json = async (sql: string) =>
    JSON.parse(await runQueryCommand(lake, sql, 'json')) as Record<string, unknown>[]

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-query-'))
    lake = path.join(root, 'lake')
    const store = new FsObjectStore(lake)
    const clock = fixedClock('2026-03-04T06:00:00Z')
    await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)
    await loadReference(store, 'register', path.join(SAMPLES, 'register.geojson'), clock)
    await runIngestCommand([path.join(SAMPLES, 'incidents')], { lake, feed: 'incidents', clock })
    // the run keeps its staging cache in the lake (.cache/staging.duckdb), as `hotspot run` does
    const engine = await DuckDbLake.open(lake)
    try {
      await runMarts({ store, engine, clock, asOf: '2026-03-03', marts: ['tips_monthly'] })
    } finally {
      engine.close()
    }
    // a Parquet file beside the lake, and one in a folder whose name starts with the lake's
    outside = path.join(root, 'outside.parquet')
    await mkdir(`${lake}-other`)
    const scratch = await DuckDbLake.open(path.join(root, 'scratch'), { stagingCache: false })
    try {
      await scratch.rows(`copy (select 'secret' as s) to '${outside}'`)
      await scratch.rows(`copy (select 'secret' as s) to '${lake}-other/x.parquet'`)
    } finally {
      scratch.close()
    }
  }, 60_000)

  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it.each([
    ['read_csv', `select * from read_csv('/etc/passwd')`],
    ['read_text', `select * from read_text('/etc/passwd')`],
    ['glob', `select * from glob('/etc/*')`],
    ['read_parquet beside the lake', () => `select * from read_parquet('${outside}')`],
    ['read_parquet through ..', () => `select * from read_parquet('${lake}/../outside.parquet')`],
    [
      'read_parquet in a folder named like the lake',
      () => `select * from read_parquet('${lake}-other/x.parquet')`,
    ],
  ])('reads no file outside the lake: %s', async (_, sql) => {
    const text = typeof sql === 'function' ? sql() : sql
    await expect(runQueryCommand(lake, text, 'json')).rejects.toThrow(/Permission Error: Cannot access file/)
  })

  it('writes no file outside the lake', async () => {
    const target = path.join(root, 'copied.csv')
    // DuckDB refuses the path while preparing the statement, before its type is looked at
    await expect(runQueryCommand(lake, `copy (select 1) to '${target}'`, 'json')).rejects.toThrow(
      /Permission Error: Cannot access file/,
    )
    expect(existsSync(target)).toBe(false)
  })

  it('cannot add incidents to curated/: they would become current', async () => {
    // a file in a drop date's folder is a drop of that date to every reader of curated/
    const fake = path.join(lake, 'curated/incidents/dt=2026-03-03/incidents-2026-03-03-fake.parquet')
    await expect(
      runQueryCommand(
        lake,
        `copy (select * replace ('INC-FAKE' as incident_id) from incidents_versions limit 1)
         to '${fake}'`,
        'json',
      ),
    ).rejects.toThrow(/^query runs one SELECT statement; this is a COPY statement$/)
    expect(existsSync(fake)).toBe(false)
    expect(await json(`select count(*) as n from incidents where incident_id = 'INC-FAKE'`)).toEqual([
      { n: 0 },
    ])
  })

  it('cannot forge a "sent" ledger entry, which would make the next report skip a commander', async () => {
    const entry = path.join(lake, 'ledger/weekly/2026-W10/CMD-1.json')
    await mkdir(path.dirname(entry), { recursive: true })
    await expect(
      runQueryCommand(
        lake,
        `copy (select 'sent' as state, 'forged' as message_id) to '${entry}' (format json)`,
        'json',
      ),
    ).rejects.toThrow(/COPY statement/)
    expect(existsSync(entry)).toBe(false)
  })

  it.each([
    ['ATTACH a database', () => `attach '${path.join(root, 'other.duckdb')}' as other`, /ATTACH statement/],
    ['ATTACH the staging cache', () => `attach '${path.join(lake, '.cache/staging.duckdb')}' as c`, /ATTACH/],
    ['INSTALL an extension', () => 'install httpfs', /LOAD statement/],
    ['LOAD an extension', () => 'load httpfs', /LOAD statement/],
    ['SET a setting', () => 'set enable_external_access = true', /SET statement/],
    ['PRAGMA', () => 'pragma enable_profiling', /PRAGMA statement/],
    ['CREATE a table', () => 'create table t as select 1', /CREATE statement/],
    ['EXPLAIN ANALYZE (it runs its statement)', () => `explain analyze select 1`, /EXPLAIN statement/],
    ['two statements', () => 'select 1; select 2', /^query runs one statement, not 2$/],
    ['no statement', () => ' ; ', /^query runs one statement, not 0$/],
  ])('refuses anything but one SELECT: %s', async (_, sql, message) => {
    await expect(runQueryCommand(lake, sql(), 'json')).rejects.toThrow(message)
    expect(existsSync(path.join(root, 'other.duckdb'))).toBe(false)
  })

  it("answers the auditors' queries: every view, and any lake file by its path", async () => {
    const views = (await json('show tables')).map((row) => String(row.name))
    expect(views).toEqual(
      expect.arrayContaining([
        'incidents',
        'incidents_versions',
        'tips_monthly',
        'run_manifests',
        'quarantine',
      ]),
    )
    for (const view of views) {
      expect(await json(`select count(*) >= 0 as ok from ${view}`), view).toEqual([{ ok: true }])
    }
    expect(await json(`with c as (select count(*) as n from incidents) select n > 0 as some from c`)).toEqual(
      [{ some: true }],
    )
    const [file] = await json(`select file from glob('${lake}/curated/incidents/*/*.parquet') limit 1`)
    expect(await json(`select count(*) > 0 as some from read_parquet('${String(file?.file)}')`)).toEqual([
      { some: true },
    ])
    expect(await json('describe incidents')).not.toEqual([])
    expect(await json('values (1)')).toEqual([{ col0: 1 }])
  })
})
