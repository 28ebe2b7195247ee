import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { CONTRACTS, FEED_NAMES, type FeedName } from '../core/contracts/feeds.ts'
import type { StagingTable } from '../core/ports.ts'
import { REFERENCE_TABLES } from '../core/reference/tables.ts'

/** DuckDB's errors for a file it cannot read as a database: damaged, or written by another storage version. */
const UNREADABLE_DATABASE =
  /not a valid DuckDB database|version number|database file with version|corrupt|checksum/i

/** How a staging table was made ready for a run. */
export type StagingPreparation = 'reused' | 'incremental' | 'rebuilt'

const CACHE = 'staging_cache'
/** Stored with the state: a change to how tables are kept invalidates every cached table. */
const CACHE_FORMAT = 1

/** Cache files attached by an open lake of this process. */
const attachedInThisProcess = new Set<string>()

/** A SQL string literal. */
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
/** A quoted SQL identifier. */
export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`

interface CachedState {
  signature: string
  /** The curated files the table was computed from (for a table built on other staging: theirs). */
  files: string[]
}

interface TableInputs {
  /** The feed whose `<feed>_versions` the table reads, or the staging table it is built on. */
  feed?: FeedName
  upstream?: string
  key: string[]
}

interface Prepared {
  how: StagingPreparation
  files: string[]
  /** The files before this run's update (for an incremental update of the tables built on this one). */
  previousFiles?: string[]
  /** Temp tables of the keys whose rows this run recomputed, and of their new rows (incremental only). */
  delta?: Delta
}

interface Delta {
  keys: string
  rows: string
}

/**
 * Staging kept between runs in a DuckDB database beside the lake (`.cache/staging.duckdb`), brought up to date
 * with the drops that arrived since: the nightly run recomputes the versions of the records a new drop touches,
 * not every version ever stored.
 *
 * Every staging query is row-by-row except its version window, which relates the rows of one key, and, for
 * rows without a natural key, the rows of one drop date. So for the new files' drop dates D, the keys K of every
 * stored row dated in D, and every stored version of a key in K, the staging query run over just those rows
 * gives exactly their final rows; the rows of other keys are unchanged. The one case this does not cover
 * (a row without a natural key, dated outside D, sharing a key in K: its drop date's latest drop is not among
 * the rows) is detected and rebuilt in full. A table built on another staging table (stg_incident_harm) is
 * recomputed for the same keys.
 *
 * Anything else (a changed query, a column set or reference table, a file gone) rebuilds the table. The state
 * of a table is removed before it is changed and written after, so an interrupted update is rebuilt next time.
 */
export class StagingCache {
  readonly preparations = new Map<string, StagingPreparation>()

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly root: string,
    private readonly file: string,
  ) {}

  /**
   * Attaches the cache database, or says why it cannot be used: held by another process (DuckDB locks the file)
   * or by another open lake in this one (the lock does not see those), or a lake it cannot be written in. A file
   * DuckDB cannot open as a database (damaged, or from another version) is only a cache: it is replaced.
   */
  static async attach(
    connection: DuckDBConnection,
    root: string,
  ): Promise<StagingCache | { unavailable: string }> {
    const folder = path.join(root, '.cache')
    const file = path.join(folder, 'staging.duckdb')
    if (attachedInThisProcess.has(file)) return { unavailable: 'the cache is in use by another open lake' }
    try {
      mkdirSync(folder, { recursive: true })
    } catch (error) {
      return { unavailable: `the cache cannot be kept in ${folder}: ${(error as Error).message}` }
    }
    try {
      await connection.run(`attach ${literal(file)} as ${CACHE}`)
    } catch (error) {
      const message = (error as Error).message
      if (/lock/i.test(message)) return { unavailable: 'the cache is in use by another run' }
      // only a file that is not a database DuckDB can read is replaced: on any other error (a file another run
      // holds, reported otherwise) removing it would give this run a second cache beside the other's
      if (!UNREADABLE_DATABASE.test(message)) return { unavailable: `the cache cannot be opened: ${message}` }
      try {
        for (const stale of [file, `${file}.wal`]) rmSync(stale, { force: true })
        await connection.run(`attach ${literal(file)} as ${CACHE}`)
      } catch (again) {
        return { unavailable: `the cache cannot be opened: ${(again as Error).message}` }
      }
    }
    attachedInThisProcess.add(file)
    await connection.run(
      `create table if not exists ${CACHE}.cache_state (name varchar primary key, signature varchar, files varchar[])`,
    )
    return new StagingCache(connection, root, file)
  }

  /** For the lake closing its database (which detaches the cache): another lake of this process may attach it. */
  release(): void {
    attachedInThisProcess.delete(this.file)
  }

  /** Brings every staging table up to date and shows it under its own name (a temp view). */
  async prepare(staging: ReadonlyMap<string, StagingTable>): Promise<void> {
    const prepared = new Map<string, Prepared>()
    for (const [name, table] of staging) {
      const inputs = this.inputsOf(name, table.sql, staging)
      const columns = await this.columnsOf(table, inputs)
      const signature = this.signatureOf(table.sql, columns)
      const state = await this.stateOf(name)
      const result = await this.prepareTable(name, table.sql, columns, inputs, signature, state, prepared)
      prepared.set(name, result)
      this.preparations.set(name, result.how)
      await this.run(
        `create or replace temp view ${ident(name)} as select * from ${CACHE}.main.${ident(name)}`,
      )
    }
    for (const { delta } of prepared.values()) {
      if (delta) for (const table of [delta.keys, delta.rows]) await this.run(`drop table if exists ${table}`)
    }
    // into the database file now, not left in its write-ahead log for the next process to replay
    if ([...prepared.values()].some(({ how }) => how !== 'reused')) await this.run(`checkpoint ${CACHE}`)
  }

  private async prepareTable(
    name: string,
    sql: string,
    columns: string[],
    inputs: TableInputs | undefined,
    signature: string,
    state: CachedState | undefined,
    prepared: Map<string, Prepared>,
  ): Promise<Prepared> {
    const upstream = inputs?.upstream ? prepared.get(inputs.upstream) : undefined
    const files = inputs?.feed
      ? this.curatedFiles(inputs.feed)
      : upstream
        ? upstream.files
        : this.allInputFiles(sql)
    const usable = state?.signature === signature && upstream?.how !== 'rebuilt'
    if (usable && sameList(state.files, files)) return { how: 'reused', files }
    if (usable && inputs?.feed) {
      const cached = new Set(state.files)
      const current = new Set(files)
      if (state.files.every((f) => current.has(f))) {
        const added = files.filter((f) => !cached.has(f))
        const delta = await this.updateFromFeed(
          name,
          sql,
          columns,
          { ...inputs, feed: inputs.feed },
          files,
          added,
          signature,
        )
        if (delta) return { how: 'incremental', files, previousFiles: state.files, delta }
      }
    }
    if (
      usable &&
      inputs?.upstream &&
      upstream?.how === 'incremental' &&
      upstream.delta &&
      sameList(state.files, upstream.previousFiles ?? [])
    ) {
      const delta = await this.updateFromUpstream(
        name,
        sql,
        columns,
        inputs,
        upstream.delta,
        files,
        signature,
      )
      return { how: 'incremental', files, previousFiles: state.files, delta }
    }
    await this.rebuild(name, sql, columns, inputs, files, signature)
    return { how: 'rebuilt', files }
  }

  private async rebuild(
    name: string,
    sql: string,
    columns: string[],
    inputs: TableInputs | undefined,
    files: string[],
    signature: string,
  ): Promise<void> {
    await this.forget(name)
    const source = inputs?.feed ? this.withFeedFiles(sql, inputs.feed, files) : this.withAllFeedFiles(sql)
    await this.run(
      `create or replace table ${CACHE}.main.${ident(name)} as select ${columns.map(ident).join(', ')} from (${source})`,
    )
    await this.remember(name, signature, files)
  }

  /**
   * Recomputes the rows of every key stored on the new files' drop dates. Returns the temp tables of those keys
   * and their new rows, or undefined when the update cannot be exact (the table is then rebuilt).
   */
  private async updateFromFeed(
    name: string,
    sql: string,
    columns: string[],
    inputs: TableInputs & { feed: FeedName },
    files: string[],
    added: string[],
    signature: string,
  ): Promise<Delta | undefined> {
    const dates = new Set(added.map(dropDateOf))
    const onDates = files.filter((f) => dates.has(dropDateOf(f)))
    const deltaKeys = `__delta_keys_${name}`
    const deltaVersions = `__delta_versions_${name}`
    const table = `${CACHE}.main.${ident(name)}`
    await this.run(
      `create or replace temp table ${deltaKeys} as select distinct ${inputs.key.map(ident).join(', ')} from ${readFiles(onDates)}`,
    )
    // the other versions of those keys lie in a few files, which the cached rows name (their drop date and id)
    const holding = await this.connection.runAndReadAll(
      `select distinct cast(t.drop_date as varchar), t.drop_id from ${table} as t
       where exists (select 1 from ${deltaKeys} as k where ${matchKey(inputs.key, 'k', 't')})`,
    )
    const current = new Set(files)
    const holdingFiles = new Set(onDates)
    for (const [dropDate, dropId] of holding.getRows()) {
      const file = path.join(this.root, 'curated', inputs.feed, `dt=${dropDate}`, `${dropId}.parquet`)
      if (!current.has(file)) return await this.dropAll([deltaKeys])
      holdingFiles.add(file)
    }
    await this.run(
      `create or replace temp table ${deltaVersions} as select v.* from ${readFiles([...holdingFiles])} as v
       where exists (select 1 from ${deltaKeys} as k where ${matchKey(inputs.key, 'k', 'v')})`,
    )
    const dateList = [...dates].map((d) => `date ${literal(d)}`).join(', ')
    const reader = await this.connection.runAndReadAll(
      `select count(*) from ${deltaVersions} where key_derived and drop_date not in (${dateList})`,
    )
    if (Number(reader.getRows()[0]?.[0]) > 0) return await this.dropAll([deltaVersions, deltaKeys])
    const delta = { keys: deltaKeys, rows: `__delta_rows_${name}` }
    await this.replaceKeys(
      name,
      columns,
      inputs.key,
      delta,
      replaceName(sql, `${inputs.feed}_versions`, deltaVersions),
      signature,
      files,
    )
    await this.dropAll([deltaVersions])
    return delta
  }

  /** Recomputes a table built on another staging table for the keys the other's update recomputed. */
  private async updateFromUpstream(
    name: string,
    sql: string,
    columns: string[],
    inputs: TableInputs,
    upstreamDelta: Delta,
    files: string[],
    signature: string,
  ): Promise<Delta> {
    const delta = { keys: upstreamDelta.keys, rows: `__delta_rows_${name}` }
    const source = replaceName(sql, inputs.upstream as string, upstreamDelta.rows)
    await this.replaceKeys(name, columns, inputs.key, delta, source, signature, files)
    return delta
  }

  /** Replaces the cached rows of the delta's keys with the rows `sql` gives for them. */
  private async replaceKeys(
    name: string,
    columns: string[],
    key: string[],
    delta: Delta,
    sql: string,
    signature: string,
    files: string[],
  ): Promise<void> {
    const table = `${CACHE}.main.${ident(name)}`
    await this.run(
      `create or replace temp table ${delta.rows} as select ${columns.map(ident).join(', ')} from (${sql})`,
    )
    await this.forget(name)
    await this.run(
      `delete from ${table} as t where exists (select 1 from ${delta.keys} as k where ${matchKey(key, 'k', 't')})`,
    )
    await this.run(`insert into ${table} select * from ${delta.rows}`)
    await this.remember(name, signature, files)
  }

  private async dropAll(tables: string[]): Promise<undefined> {
    for (const table of tables) await this.run(`drop table if exists ${table}`)
    return undefined
  }

  /** The feed or staging table a staging query reads (exactly one, else it is always rebuilt), and its key. */
  private inputsOf(
    name: string,
    sql: string,
    staging: ReadonlyMap<string, StagingTable>,
  ): TableInputs | undefined {
    const feeds = FEED_NAMES.filter((f) => new RegExp(`\\b${f}_versions\\b`).test(sql))
    const upstreams = [...staging.keys()].filter((s) => s !== name && new RegExp(`\\b${s}\\b`).test(sql))
    if (feeds.length === 1 && upstreams.length === 0) {
      const feed = feeds[0] as FeedName
      return { feed, key: [...CONTRACTS[feed].key] }
    }
    if (feeds.length === 0 && upstreams.length === 1) {
      const upstream = upstreams[0] as string
      const upstreamInputs = this.inputsOf(upstream, (staging.get(upstream) as StagingTable).sql, staging)
      if (upstreamInputs) return { upstream, key: upstreamInputs.key }
    }
    return undefined
  }

  /** The columns its readers name, and the key (the cache deletes by it). */
  private columnsOf(table: StagingTable, inputs: TableInputs | undefined): Promise<string[]> {
    // the key, to delete by; a feed's drop date and id, to find the files holding a key's other versions
    const keep = new Set([...(inputs?.key ?? []), ...(inputs?.feed ? ['drop_date', 'drop_id'] : [])])
    return columnsRead(this.connection, table, keep)
  }

  private signatureOf(sql: string, columns: string[]): string {
    const references = REFERENCE_TABLES.filter((t) => new RegExp(`\\b${t}\\b`).test(sql)).map((t) => [
      t,
      listFiles(path.join(this.root, 'reference', t)),
    ])
    return createHash('sha256')
      .update(JSON.stringify({ format: CACHE_FORMAT, sql, columns, references }))
      .digest('hex')
  }

  private curatedFiles(feed: FeedName): string[] {
    return listFiles(path.join(this.root, 'curated', feed))
  }

  private allInputFiles(sql: string): string[] {
    return FEED_NAMES.filter((f) => new RegExp(`\\b${f}_versions\\b`).test(sql)).flatMap((f) =>
      this.curatedFiles(f),
    )
  }

  /** The query over exactly the listed files (a file landing meanwhile is left for the next update). */
  private withFeedFiles(sql: string, feed: FeedName, files: string[]): string {
    return files.length === 0 ? sql : replaceName(sql, `${feed}_versions`, readFiles(files))
  }

  private withAllFeedFiles(sql: string): string {
    let text = sql
    for (const feed of FEED_NAMES) {
      const files = this.curatedFiles(feed)
      if (files.length > 0) text = replaceName(text, `${feed}_versions`, readFiles(files))
    }
    return text
  }

  private async stateOf(name: string): Promise<CachedState | undefined> {
    const reader = await this.connection.runAndReadAll(
      `select signature, files from ${CACHE}.cache_state where name = ${literal(name)}`,
    )
    const row = reader.getRowObjectsJS()[0]
    if (!row) return undefined
    const files = row.files as unknown
    return {
      signature: String(row.signature),
      files: Array.isArray(files) ? files.map(String) : [],
    }
  }

  private async forget(name: string): Promise<void> {
    await this.run(`delete from ${CACHE}.cache_state where name = ${literal(name)}`)
  }

  private async remember(name: string, signature: string, files: string[]): Promise<void> {
    await this.run(
      `insert into ${CACHE}.cache_state values (${literal(name)}, ${literal(signature)}, [${files.map(literal).join(', ')}]::varchar[])`,
    )
  }

  private async run(sql: string): Promise<void> {
    await this.connection.run(sql)
  }
}

/**
 * The columns of a staging table that its readers name (StagingTable.readerWords), in the query's order, and
 * those in `alsoKeep`: the others are read by no one, so they are neither computed nor kept.
 */
export async function columnsRead(
  connection: DuckDBConnection,
  table: StagingTable,
  alsoKeep: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const described = await connection.runAndReadAll(`describe ${table.sql}`)
  return described
    .getRowObjectsJS()
    .map((row) => String(row.column_name))
    .filter((column) => alsoKeep.has(column) || table.readerWords.has(column.toLowerCase()))
}

/**
 * The files under a folder, at any depth, whose names end with `extension` (full paths, in no order; none when
 * the folder does not exist). An object store's temporary file ends in `.tmp-<pid>-<hex>`, never in the extension.
 */
export function* filesUnder(folder: string, extension: string): Generator<string> {
  if (!existsSync(folder)) return
  const stack = [folder]
  while (stack.length > 0) {
    const dir = stack.pop() as string
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) stack.push(full)
      else if (entry.name.endsWith(extension)) yield full
    }
  }
}

/** The Parquet files of a folder (`<dt>/<drop_id>.parquet` for a feed), sorted, as full paths. */
function listFiles(folder: string): string[] {
  return [...filesUnder(folder, '.parquet')].sort()
}

function dropDateOf(file: string): string {
  const match = /dt=(\d{4}-\d{2}-\d{2})/.exec(file)
  if (!match) throw new Error(`${file}: a curated file lies under dt=<drop date>`)
  return match[1] as string
}

function readFiles(files: string[]): string {
  return `read_parquet([${files.map(literal).join(', ')}], hive_partitioning = true)`
}

function replaceName(sql: string, name: string, replacement: string): string {
  return sql.replace(new RegExp(`\\b${name}\\b`, 'g'), replacement)
}

function matchKey(key: string[], left: string, right: string): string {
  return key.map((k) => `${left}.${ident(k)} = ${right}.${ident(k)}`).join(' and ')
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i])
}
