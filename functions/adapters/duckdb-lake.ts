import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { type DuckDBConnection, DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api'
import type { Column, ColumnKind } from '../core/contracts/columns.ts'
import { CONTRACTS, curatedColumns, FEED_NAMES, type FeedName } from '../core/contracts/feeds.ts'

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

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`

function hasFiles(folder: string, extension: string): boolean {
  if (!existsSync(folder)) return false
  const stack = [folder]
  while (stack.length > 0) {
    const dir = stack.pop() as string
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) stack.push(path.join(dir, entry.name))
      else if (entry.name.endsWith(extension) && !entry.name.includes('.tmp-')) return true
    }
  }
  return false
}

/** A typed relation with no rows, so a view exists (and has its columns) before any drop of its feed arrived. */
function emptyRelation(columns: Column[]): string {
  return `select ${columns.map((c) => `cast(null as ${SQL_TYPES[c.kind]}) as ${ident(c.name)}`).join(', ')} where false`
}

/**
 * SQL of the view showing each record's current version: its row from the latest drop (by drop date, then
 * ingestion time). Rows without a natural key (police.uk anti-social behaviour, stop-and-search) cannot be
 * matched across drops, so they are current only while their drop is the latest drop of its drop date: a
 * corrected re-drop of a day replaces them wholesale.
 */
export function currentVersionSql(feed: FeedName, versions: string): string {
  const key = CONTRACTS[feed].key.map(ident).join(', ')
  return `
select * exclude (version_rank, latest_drop_of_day) from (
  select *,
    row_number() over (partition by ${key} order by drop_date desc, ingested_at desc, drop_id desc, source_line desc)
      as version_rank,
    arg_max(drop_id, ingested_at) over (partition by drop_date) as latest_drop_of_day
  from ${versions}
)
where version_rank = 1 and (not key_derived or drop_id = latest_drop_of_day)`
}

/**
 * DuckDB over a local lake: for each feed a view `<feed>` (current versions) and `<feed>_versions` (every
 * stored version, with the `dt` partition), plus `quarantine` and `ingest_manifests` for auditors.
 */
export class DuckDbLake {
  private constructor(
    readonly root: string,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(root: string): Promise<DuckDbLake> {
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    await connection.run(`set TimeZone = 'Europe/London'`)
    const lake = new DuckDbLake(path.resolve(root), connection)
    await lake.createViews()
    return lake
  }

  private async createViews(): Promise<void> {
    for (const feed of FEED_NAMES) {
      const columns = curatedColumns(CONTRACTS[feed])
      const folder = path.join(this.root, 'curated', feed)
      const versions = hasFiles(folder, '.parquet')
        ? `read_parquet(${literal(`${folder}/*/*.parquet`)}, hive_partitioning = true, union_by_name = true)`
        : `(${emptyRelation([...columns, { name: 'dt', kind: 'date', required: true, description: '' }])})`
      await this.connection.run(`create or replace view ${feed}_versions as select * from ${versions}`)
      await this.connection.run(
        `create or replace view ${feed} as select * exclude (dt) from (${currentVersionSql(feed, `${feed}_versions`)})`,
      )
    }
    const quarantine = path.join(this.root, 'quarantine')
    const typed = QUARANTINE_COLUMNS.map(([name, type]) => `${ident(name)}: ${literal(type)}`).join(', ')
    const relation = hasFiles(quarantine, '.jsonl')
      ? `read_json(${literal(`${quarantine}/*/*/*.jsonl`)}, format = 'newline_delimited', hive_partitioning = true, columns = {${typed}})`
      : `(select ${QUARANTINE_COLUMNS.map(([name, type]) => `cast(null as ${type}) as ${ident(name)}`).join(', ')}, cast(null as date) as dt where false)`
    await this.connection.run(`create or replace view quarantine as select * from ${relation}`)
    const manifests = path.join(this.root, 'manifests', 'ingest')
    if (hasFiles(manifests, '.json')) {
      await this.connection.run(
        `create or replace view ingest_manifests as select * from read_json(${literal(`${manifests}/*/*.json`)}, format = 'auto', union_by_name = true)`,
      )
    }
  }

  /** Runs SQL and returns plain rows: integers as numbers where exact, times as ISO text. */
  async query(sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
    const reader = await this.connection.runAndReadAll(sql)
    const columns = reader.columnNames()
    const dateColumns = new Set(
      columns.filter((_, i) => reader.columnTypes()[i]?.typeId === DuckDBTypeId.DATE),
    )
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

  close(): void {
    this.connection.closeSync()
  }
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
