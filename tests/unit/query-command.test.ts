import { existsSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake, SESSION_CHANGING_FUNCTIONS } from '../../functions/adapters/duckdb-lake.ts'
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

  /** Every file and folder under the lake, with its size. */
  const lakeListing = async () =>
    (await readdir(lake, { recursive: true, withFileTypes: true }))
      .map((entry) => path.join(entry.parentPath, entry.name))
      .sort()
      .map((file) => `${file} ${statSync(file).size}`)

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

  it.each([
    [
      'logs written into a ledger key, which blocked every send of the period',
      () =>
        `select * from enable_logging(level='trace', storage='file', storage_path='${lake}/ledger/weekly/2026-W10/CMD-1.json'), (select count(*) from incidents)`,
      /enable_logging\(\) would change the session or write files/,
    ],
    ['logging in a subquery', () => `select (select count(*) from enable_logging()) as x`, /enable_logging/],
    [
      'logging in a CTE, in capitals',
      () => `with a as (from "ENABLE_LOGGING"()) select * from a`,
      /enable_logging/,
    ],
    ['write_log', () => `select write_log('x')`, /write_log/],
    ['SQL given as text', () => `select * from query('select * from enable_logging()')`, /query\(\)/],
    ['profiling', () => `select * from enable_profiling()`, /enable_profiling/],
    ['a checkpoint', () => `select * from checkpoint()`, /checkpoint/],
    ['a PRAGMA that is not a function', () => `pragma version`, /SELECT/],
  ])('refuses a SELECT that does more than read: %s', async (_, sql, message) => {
    const before = await lakeListing()
    await expect(runQueryCommand(lake, sql(), 'json')).rejects.toThrow(message)
    expect(await lakeListing()).toEqual(before)
  })

  it("reads nothing in DuckDB's spill folder (.tmp in the working folder), which it allowed beside the lake", async () => {
    const spill = path.join(process.cwd(), '.tmp')
    const created = !existsSync(spill)
    await mkdir(spill, { recursive: true })
    try {
      await expect(runQueryCommand(lake, `select * from glob('${spill}/*')`, 'json')).rejects.toThrow(
        /Permission Error: Cannot access/,
      )
    } finally {
      if (created) await rm(spill, { recursive: true, force: true })
    }
  })

  it('knows every table function of this DuckDB: it reads, or it is refused', async () => {
    // functions an auditor's SELECT may use; an upgrade that brings a new one fails here until it is placed
    const reading = new Set(
      `arrow_scan arrow_scan_dumb check_peg_parser duckdb_approx_database_count duckdb_columns
      duckdb_connection_count duckdb_constraints duckdb_coordinate_systems duckdb_databases duckdb_dependencies
      duckdb_extensions duckdb_external_file_cache duckdb_functions duckdb_indexes duckdb_keywords
      duckdb_log_contexts duckdb_logs duckdb_logs_parsed duckdb_memory duckdb_optimizers
      duckdb_prepared_statements duckdb_profiling_settings duckdb_schemas duckdb_secret_types duckdb_secrets
      duckdb_sequences duckdb_settings duckdb_table_sample duckdb_tables duckdb_temporary_files duckdb_types
      duckdb_variables duckdb_views generate_series glob histogram histogram_values icu_calendar_names
      json_each json_tree parquet_bloom_probe parquet_file_metadata parquet_full_metadata parquet_kv_metadata
      parquet_metadata parquet_scan parquet_schema pg_timezone_names pragma_collations pragma_database_size
      pragma_metadata_info pragma_platform pragma_show pragma_storage_info pragma_table_info pragma_user_agent
      pragma_version range read_blob read_csv read_csv_auto read_duckdb read_json read_json_auto
      read_json_objects read_json_objects_auto read_ndjson read_ndjson_auto read_ndjson_objects read_parquet
      read_text repeat repeat_row seq_scan sniff_csv sql_auto_complete summary test_all_types
      test_vector_types unnest which_secret`.split(/\s+/),
    )
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    try {
      const reader = await connection.runAndReadAll(
        `select distinct function_name from duckdb_functions() where function_type in ('table', 'table_macro')`,
      )
      const unplaced = reader
        .getRowObjects()
        .map((row) => String(row.function_name))
        .filter((name) => !reading.has(name) && !SESSION_CHANGING_FUNCTIONS.has(name))
      expect(unplaced).toEqual([])
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
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
