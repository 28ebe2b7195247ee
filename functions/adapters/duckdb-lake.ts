import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBResultReader,
  DuckDBTypeId,
  StatementType,
} from '@duckdb/node-api'
import { MART_NAMES, martQuery, PRESENCE_MARTS } from '../core/analytics/marts.ts'
import { queriesDir } from '../core/analytics/sql-files.ts'
import type { Column, ColumnKind } from '../core/contracts/columns.ts'
import { CONTRACTS, curatedColumns, FEED_NAMES } from '../core/contracts/feeds.ts'
import { feedViewFile } from '../core/contracts/versions-sql.ts'
import type {
  QueryEngine,
  QueryOptions,
  QueryResult,
  StagingBuilder,
  StagingTable,
  ViewRefresher,
} from '../core/ports.ts'
import { REFERENCE_TABLE_COLUMNS } from '../core/reference/tables.ts'
import {
  columnsRead,
  filesUnder,
  ident,
  literal,
  StagingCache,
  type StagingPreparation,
} from './duckdb-staging-cache.ts'

export interface DuckDbLakeOptions {
  /**
   * Keep staging between runs in `<lake>/.cache/staging.duckdb` and update it with new drops (default true).
   * Off: every run builds staging in memory from scratch.
   */
  stagingCache?: boolean
  /**
   * The auditors' view (`hotspot query`): once the views exist, DuckDB reads files under the lake's folder only,
   * loads no extension and takes no change of setting; staging is never kept in the lake's cache. With `select`,
   * which runs one SELECT and nothing else, nothing can be written either (DESIGN section 10). The folder must
   * be a lake.
   */
  confined?: boolean
  /**
   * The most memory DuckDB's buffers may take, as DuckDB writes sizes ('600MB', '2GB'); beyond it, windows,
   * sorts and joins spill to `<lake>/.cache/duckdb-spill`. Default DEFAULT_DUCKDB_MEMORY_LIMIT. Not for a confined
   * lake, which cannot spill (its queries keep DuckDB's own limit).
   */
  memoryLimit?: string
}

/**
 * DuckDB's own default is 80% of the machine's memory: a night of a large force's GPS pings (10 million) would
 * take 2 GB and more for windows that spill at little cost (bench/pings.ts). A laptop's pipeline keeps to this.
 */
export const DEFAULT_DUCKDB_MEMORY_LIMIT = '500MB'

/** The top folders of a lake (DESIGN section 5): a folder holding none of them is not a lake. */
const LAKE_FOLDERS = [
  'landing',
  'curated',
  'quarantine',
  'manifests',
  'reference',
  'results',
  'archive',
  'ledger',
]

/** Why `hotspot query` has nothing to say about a folder, or undefined when it is a lake. */
function notALake(root: string): string | undefined {
  if (!existsSync(root)) return `no lake at ${root}: the folder does not exist`
  const entries = new Set(readdirSync(root))
  if (!LAKE_FOLDERS.some((folder) => entries.has(folder)))
    return `${root} is not a lake: it holds none of ${LAKE_FOLDERS.map((f) => `${f}/`).join(', ')}`
  return undefined
}

/** An auditor's SQL that `select` does not run: more than one statement, or one that is not a SELECT. */
class QueryRefusedError extends Error {
  override name = 'QueryRefusedError'
}

const SQL_TYPES: Record<ColumnKind, string> = {
  string: 'varchar',
  timestamp: 'timestamp',
  date: 'date',
  int: 'integer',
  double: 'double',
  boolean: 'boolean',
}

/** Fields of a quarantine record (QuarantineRecord in the ingest). */
const QUARANTINE_COLUMNS = [
  ['drop_id', 'varchar'],
  ['feed', 'varchar'],
  ['file', 'varchar'],
  ['line', 'bigint'],
  ['column', 'varchar'],
  ['code', 'varchar'],
  ['reason', 'varchar'],
  ['record', 'json'],
  ['text', 'varchar'],
] as const

function hasFiles(folder: string, extension: string): boolean {
  return !filesUnder(folder, extension).next().done
}

/** A typed relation with no rows, so a view exists (and has its columns) before any file for it arrived. */
function emptyRelation(columns: Column[]): string {
  return `(select ${columns.map((c) => `cast(null as ${SQL_TYPES[c.kind]}) as ${ident(c.name)}`).join(', ')} where false)`
}

/**
 * DuckDB over a local lake: the local `QueryEngine`, and a `StagingBuilder`. Views:
 * - `<feed>_versions` (every stored row, with the `dt` partition) and `<feed>` (each record's current version);
 * - `area_cells`, `hotspots`, `harm_weights`, `population` (every loaded version);
 * - one view per mart: the rows of the latest finished run (one with a run manifest) for each `as_of`, with
 *   `as_of` and `run_id`; and for the presence marts `<mart>_runs`, every run's rows with the file's `"$path"`;
 * - `quarantine`, `ingest_manifests` and `run_manifests` for auditors.
 * A view is made in DuckDB when a statement first names it (all of them at once in a confined lake, where an auditor
 * may list them). The Trino compatibility macros (queries/compat/duckdb.sql) are loaded and the session is in Europe/London.
 */
/**
 * DuckDB's functions that a SELECT can call but that change the session or write (logging, profiling and
 * parser switches; logs written to a path, which inside the lake could block a ledger key), checkpoint, or run
 * SQL given as text or a serialized plan, which would escape this check. Every other table function of the
 * pinned DuckDB only reads (tests/unit/query-command.test.ts lists them: an upgrade that adds one fails there).
 */
/**
 * The views read the lake's files through glob patterns, where * ? [ ] { } are wildcards: a lake folder named
 * with one would match other files or none, and its views would show nothing.
 */
function patternCharactersIn(folder: string): string | undefined {
  const found = folder.match(/[*?[\]{}]/)
  return found
    ? `lake folder ${JSON.stringify(folder)} holds ${found[0]}, a wildcard in the file patterns the views read: use a folder without * ? [ ] { }`
    : undefined
}

export const SESSION_CHANGING_FUNCTIONS: ReadonlySet<string> = new Set([
  'checkpoint',
  'force_checkpoint',
  'enable_logging',
  'disable_logging',
  'truncate_duckdb_logs',
  'write_log',
  'enable_profiling',
  'disable_profiling',
  'enable_peg_parser',
  'disable_peg_parser',
  'json_execute_serialized_sql',
  'query',
  'query_table',
])

export class DuckDbLake implements QueryEngine, StagingBuilder, ViewRefresher {
  readonly name = 'duckdb' as const

  /** Undefined until staging is first prepared; null when the cache cannot be used (staging then lives in memory). */
  private stagingCache: StagingCache | null | undefined
  /** Why staging was built in memory rather than kept in the lake's cache (once staging has been prepared). */
  stagingCacheUnavailable: string | undefined
  /** Each view's definition (refresh), and those made in DuckDB, as they were made: a view is made when first named. */
  private readonly definitions = new Map<string, string>()
  private readonly made = new Map<string, string>()

  private constructor(
    readonly root: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly options: DuckDbLakeOptions,
  ) {}

  static async open(root: string, options: DuckDbLakeOptions = {}): Promise<DuckDbLake> {
    const folder = path.resolve(root)
    const problem = patternCharactersIn(folder) ?? (options.confined ? notALake(folder) : undefined)
    if (problem) throw new Error(problem)
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    await connection.run(`set TimeZone = 'Europe/London'`)
    // DuckDB keeps the Parquet bytes it reads in its own memory too (its external file cache, meant for remote
    // files), up to its memory limit (80% of the machine): the first run on the demo lake, building the staging
    // cache from ~10,500 curated files, held 525 MB there and peaked at 1,000 MB (median of 5), 370 MB without
    // it, no slower. The lake's files are local: the system's page cache keeps them already.
    await connection.run('set enable_external_file_cache = false')
    if (!options.confined) {
      await connection.run(
        `set memory_limit = ${literal(options.memoryLimit ?? DEFAULT_DUCKDB_MEMORY_LIMIT)}`,
      )
      // its default spill folder is ./.tmp under wherever the command was started; it makes the last folder only
      mkdirSync(path.join(folder, '.cache'), { recursive: true })
      await connection.run(`set temp_directory = ${literal(path.join(folder, '.cache', 'duckdb-spill'))}`)
    }
    await connection.run(readFileSync(path.join(queriesDir(), 'compat', 'duckdb.sql'), 'utf8'))
    const lake = new DuckDbLake(folder, instance, connection, options)
    await lake.refresh()
    if (options.confined) {
      // an auditor lists the views (SHOW TABLES) as well as reading them: all are made before the lake is confined
      await lake.ensureViews([...lake.definitions.keys()].join(' '))
      await lake.confine()
    }
    return lake
  }

  /**
   * From now on: files under the lake's folder only (its trailing separator keeps out a sibling folder whose
   * name starts with the lake's), no extension installed or loaded, no setting changed. The views, defined
   * already, read the lake's files and still work. DuckDB would still write into the lake's own folder (a COPY
   * into curated/ or ledger/): `select` runs nothing but a SELECT.
   */
  private async confine(): Promise<void> {
    // DuckDB allows its spill folder (./.tmp under the working folder) besides the allowed ones: none, so the
    // lake is the only folder a query reaches. A query larger than memory fails instead of spilling.
    await this.connection.run(`set temp_directory = ''`)
    await this.connection.run(`set allowed_directories = [${literal(`${this.root}${path.sep}`)}]`)
    await this.connection.run('set enable_external_access = false')
    await this.connection.run('set lock_configuration = true')
  }

  /**
   * Works out every view's definition again, so that a folder whose first file arrived since (a feed, a mart, the
   * manifests) is read rather than shown empty. A view already made whose definition changed is made again
   * when next named; the others stand: DuckDB expands a view's file pattern each time a query reads it.
   */
  async refresh(): Promise<void> {
    this.definitions.clear()
    for (const feed of FEED_NAMES) {
      const folder = path.join(this.root, 'curated', feed)
      const versions = hasFiles(folder, '.parquet')
        ? `read_parquet(${literal(`${folder}/*/*.parquet`)}, hive_partitioning = true)`
        : emptyRelation([
            ...curatedColumns(CONTRACTS[feed]),
            { name: 'dt', kind: 'date', required: true, description: '' },
          ])
      this.define(`${feed}_versions`, `select * from ${versions}`)
      // each record's current version: the rule the staging queries apply (queries/views, generated)
      this.define(feed, readFileSync(path.join(queriesDir(), feedViewFile(feed)), 'utf8'))
    }
    for (const [table, columns] of Object.entries(REFERENCE_TABLE_COLUMNS)) {
      const folder = path.join(this.root, 'reference', table)
      this.define(
        table,
        hasFiles(folder, '.parquet')
          ? `select * from read_parquet(${literal(`${folder}/*.parquet`)}, union_by_name = true)`
          : `select * from ${emptyRelation(columns)}`,
      )
    }
    // a run's manifest is written last (run.ts): a run without one was killed or failed part-way
    const finishedRuns = `(select regexp_extract(file, '([^/]+)\\.json$', 1)
      from glob(${literal(path.join(this.root, 'manifests', 'runs', '*.json'))}))`
    for (const mart of MART_NAMES) {
      const folder = path.join(this.root, 'results', mart)
      const columns = martQuery(mart).columns
      const runs = hasFiles(folder, '.parquet')
        ? `(select *, regexp_extract(filename, '([^/]+)\\.parquet$', 1) as run_id
            from read_parquet(${literal(`${folder}/*/*.parquet`)}, hive_partitioning = true, filename = true,
              union_by_name = true))`
        : `(select *, cast(null as date) as as_of, cast(null as varchar) as run_id, cast(null as varchar) as filename
            from ${emptyRelation(columns)})`
      this.define(
        mart,
        `select * exclude (filename, latest_run) from (
           select *, max(run_id) over (partition by as_of) as latest_run from ${runs}
           where run_id in ${finishedRuns}
         ) where run_id = latest_run`,
      )
      // every run's rows, the file's path as "$path" (as Athena gives it): as Glue's table of the name, which
      // a mart reads to take the rows of one run by its id (presence_daily)
      if (PRESENCE_MARTS.includes(mart))
        this.define(`${mart}_runs`, `select * exclude (filename, run_id), filename as "$path" from ${runs}`)
    }
    const quarantine = path.join(this.root, 'quarantine')
    const typed = QUARANTINE_COLUMNS.map(([name, type]) => `${ident(name)}: ${literal(type)}`).join(', ')
    this.define(
      'quarantine',
      hasFiles(quarantine, '.jsonl')
        ? `select * from read_json(${literal(`${quarantine}/*/*/*.jsonl`)}, format = 'newline_delimited', hive_partitioning = true, columns = {${typed}})`
        : `select ${QUARANTINE_COLUMNS.map(([name, type]) => `cast(null as ${type}) as ${ident(name)}`).join(', ')}, cast(null as date) as dt where false`,
    )
    for (const [table, folder, glob] of [
      ['ingest_manifests', path.join(this.root, 'manifests', 'ingest'), '*/*.json'],
      ['run_manifests', path.join(this.root, 'manifests', 'runs'), '*.json'],
    ] as const) {
      if (hasFiles(folder, '.json')) {
        this.define(table, `select * from read_json(${literal(`${folder}/${glob}`)}, format = 'auto')`)
      }
    }
  }

  private define(name: string, sql: string): void {
    this.definitions.set(name, sql)
  }

  /**
   * Makes the views a statement names, and those their definitions name, that are not made yet (or were made
   * from a definition since changed). Binding a view expands its file pattern and reads a file's schema (every
   * manifest's, for the JSON ones): for a lake of 10,000 drops, 1.6 s for all of them, which a run of two
   * presence marts, reading pings and the register, paid before each of its stages.
   */
  private async ensureViews(sql: string, making: ReadonlySet<string> = new Set()): Promise<void> {
    // names outside text and comments, read left to right as DuckDB's tokenizer does (a quote inside a comment or a
    // quoted identifier opens no string); a quoted identifier's name counts: a view's file pattern names the
    // folder of the feed it reads
    const code = sql.replace(
      /'(?:[^']|'')*'|"((?:[^"]|"")*)"|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|\$([a-z_]*)\$[\s\S]*?\$\2\$/gi,
      (_, quoted: string | undefined) => (quoted === undefined ? ' ' : ` ${quoted.replaceAll('""', '"')} `),
    )
    const words = new Set(code.toLowerCase().match(/[a-z_][a-z0-9_]*/g))
    for (const [name, definition] of this.definitions) {
      if (!words.has(name) || making.has(name)) continue
      // what it reads first (a view is bound when it is made), and made again if its definition changed
      await this.ensureViews(definition, new Set([...making, name]))
      if (this.made.get(name) === definition) continue
      await this.connection.run(`create or replace view ${ident(name)} as ${definition}`)
      this.made.set(name, definition)
    }
  }

  /**
   * Makes the staging tables ready for the marts of a run, which then read them instead of recomputing the
   * version windows over every stored row. Kept between runs in the lake's staging cache and brought up to date
   * with the drops since the last run (see StagingCache); built in memory when the cache is off or held by
   * another process. Each keeps only the columns its readers name. They hold what the lake held when this was
   * called.
   */
  async prepareStaging(staging: ReadonlyMap<string, StagingTable>): Promise<ReadonlySet<string>> {
    for (const table of staging.values()) await this.ensureViews(table.sql)
    if (this.stagingCache === undefined) {
      const attached =
        this.options.stagingCache === false || this.options.confined
          ? { unavailable: 'the cache is off' }
          : await StagingCache.attach(this.connection, this.root)
      this.stagingCache = attached instanceof StagingCache ? attached : null
      this.stagingCacheUnavailable = attached instanceof StagingCache ? undefined : attached.unavailable
    }
    if (this.stagingCache) {
      await this.stagingCache.prepare(staging)
      return new Set(staging.keys())
    }
    for (const [name, table] of staging) {
      const columns = await columnsRead(this.connection, table)
      await this.connection.run(
        `create or replace temp table ${ident(name)} as select ${columns.map(ident).join(', ')} from (${table.sql})`,
      )
    }
    return new Set(staging.keys())
  }

  /** How each staging table was made ready the last time (nothing when the cache is not in use). */
  stagingPreparations(): ReadonlyMap<string, StagingPreparation> {
    return this.stagingCache?.preparations ?? new Map()
  }

  /** QueryEngine: positional text parameters; every value returned as text (or null). */
  async query(sql: string, parameters: readonly string[], _options?: QueryOptions): Promise<QueryResult> {
    const started = performance.now()
    await this.ensureViews(sql)
    const prepared = await this.connection.prepare(sql)
    for (const [i, value] of parameters.entries()) prepared.bindVarchar(i + 1, value)
    const reader = await prepared.runAndReadAll()
    const columnTypes = reader.columnTypes()
    const columns = reader
      .columnNames()
      .map((name, i) => ({ name, type: String(columnTypes[i]).toLowerCase() }))
    const rows = reader
      .getRowsJson()
      .map((row) =>
        row.map((value) =>
          value === null ? null : typeof value === 'object' ? JSON.stringify(value) : String(value),
        ),
      )
    return { columns, rows, stats: { elapsed_ms: Math.round(performance.now() - started) } }
  }

  /**
   * An auditor's SQL (`hotspot query`): exactly one statement, and a SELECT, as DuckDB itself parses it (DESCRIBE,
   * SHOW, SUMMARIZE, VALUES, FROM-first and table-valued PRAGMAs are SELECTs to it). Anything else could write
   * (COPY, EXPORT, CREATE), reach out (ATTACH, INSTALL) or change the session (SET); EXPLAIN is refused too, as
   * EXPLAIN ANALYZE runs the statement it explains. Plain rows, as `rows` gives them.
   */
  async select(sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
    const statements = await this.connection.extractStatements(sql).catch((error: Error) => {
      // text holding no statement (empty, or only comments) is the one failure the binding gives no message
      if (error.message === 'Error in native callback') return undefined
      throw error
    })
    if (statements?.count !== 1)
      throw new QueryRefusedError(`query runs one statement, not ${statements?.count ?? 0}`)
    await this.ensureViews(sql)
    const prepared = await statements.prepare(0)
    if (prepared.statementType !== StatementType.SELECT) {
      throw new QueryRefusedError(
        `query runs one SELECT statement; this is a ${StatementType[prepared.statementType]} statement`,
      )
    }
    const acting = (await this.functionsNamedIn(sql)).filter((name) => SESSION_CHANGING_FUNCTIONS.has(name))
    if (acting.length > 0) {
      throw new QueryRefusedError(
        `query runs a SELECT that only reads; ${acting.map((name) => `${name}()`).join(', ')} would change the session or write files`,
      )
    }
    return plainRows(await prepared.runAndReadAll())
  }

  /** Every function a SELECT names, as DuckDB's own parser reads it (names in lower case, schema left off). */
  private async functionsNamedIn(sql: string): Promise<string[]> {
    // the function takes a constant only, not a bound parameter
    const reader = await this.connection.runAndReadAll(`select json_serialize_sql(${literal(sql)}) as tree`)
    const tree = JSON.parse(String(reader.getRowObjects()[0]?.tree)) as {
      error?: boolean
      error_message?: string
    }
    if (tree.error) throw new QueryRefusedError(`query runs one SELECT statement; ${tree.error_message}`)
    const names = new Set<string>()
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) for (const item of node) visit(item)
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'function_name' && typeof value === 'string') names.add(value.toLowerCase())
          else visit(value)
        }
      }
    }
    visit(tree)
    return [...names]
  }

  /** Runs SQL and returns plain rows (plainRows). */
  async rows(sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
    await this.ensureViews(sql)
    return plainRows(await this.connection.runAndReadAll(sql))
  }

  /** Closes the database, and with it the staging cache (another lake opened later may then attach it). */
  close(): void {
    this.connection.closeSync()
    this.instance.closeSync()
    this.stagingCache?.release()
  }
}

/** A result as plain rows: integers as numbers where exact, dates as YYYY-MM-DD, times as ISO text. */
function plainRows(reader: DuckDBResultReader): { columns: string[]; rows: Record<string, unknown>[] } {
  const columns = reader.columnNames()
  const dateColumns = new Set(columns.filter((_, i) => reader.columnTypes()[i]?.typeId === DuckDBTypeId.DATE))
  const rows = reader.getRowObjectsJS().map((row) => {
    const out: Record<string, unknown> = {}
    for (const name of columns) {
      const value = plain(row[name])
      out[name] = dateColumns.has(name) && typeof value === 'string' ? value.slice(0, 10) : value
    }
    return out
  })
  return { columns, rows }
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  }
  return value
}
