/**
 * What the Glue catalog holds, derived from the code that writes the lake (DESIGN sections 3, 5 and 9): the zod
 * contracts (`curatedColumns`), the mart headers (`martQuery(...).columns`), the reference writers' column lists
 * and the manifest/quarantine record types. No CDK here: `catalog.ts` turns these specs into resources and the
 * tests read them back from the synthesized template.
 *
 * Types follow what the files physically hold, so Athena reads them without coercion (parquet/writer.ts):
 *   string -> string (BYTE_ARRAY UTF8)     timestamp -> timestamp (INT64 TIMESTAMP_MILLIS, UTC, no zone)
 *   date   -> date   (INT32 DATE)          int       -> int       (INT32)
 *   double -> double                      boolean   -> boolean
 * A mart header's `bigint` and `integer` are both the `int` kind (sql-files.ts) and run.ts writes them as INT32,
 * so their Glue type is `int` (Athena: integer), not bigint: declaring bigint over INT32 data relies on reader
 * coercion we do not need.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { MART_NAMES, martQuery, PRESENCE_MARTS } from '../functions/core/analytics/marts.ts'
import type { RunManifest } from '../functions/core/analytics/run.ts'
import { queriesDir } from '../functions/core/analytics/sql-files.ts'
import { type Column, type ColumnKind, EARLIEST_MS } from '../functions/core/contracts/columns.ts'
import { CONTRACTS, curatedColumns, FEED_NAMES, type FeedName } from '../functions/core/contracts/feeds.ts'
import { feedViewFile } from '../functions/core/contracts/versions-sql.ts'
import type { IngestManifest, QuarantineRecord } from '../functions/core/ingest/ingest.ts'
import { REFERENCE_TABLE_COLUMNS, REFERENCE_TABLES } from '../functions/core/reference/tables.ts'

/** Glue (Hive DDL) type of each storage kind. */
export const GLUE_TYPES: Record<ColumnKind, string> = {
  string: 'string',
  timestamp: 'timestamp',
  date: 'date',
  int: 'int',
  double: 'double',
  boolean: 'boolean',
}

/** The type Athena engine v3 (Trino) reports for a column of each kind: what a Presto view must declare. */
export const TRINO_TYPES: Record<ColumnKind, string> = {
  string: 'varchar',
  timestamp: 'timestamp(3)',
  date: 'date',
  int: 'integer',
  double: 'double',
  boolean: 'boolean',
}

/** Glue limits a column comment to 255 characters. */
export const MAX_COLUMN_COMMENT = 255

export interface GlueColumn {
  name: string
  /** Hive type as Glue stores it (`string`, `int`, `struct<...>`, ...). */
  type: string
  comment?: string
}

export type Projection =
  | { type: 'date'; format: string; range: string; interval: number; unit: 'DAYS' }
  | { type: 'enum'; values: readonly string[] }

export interface PartitionSpec extends GlueColumn {
  projection: Projection
}

export type StorageFormat = 'parquet' | 'jsonl' | 'json'

export interface TableSpec {
  name: string
  description: string
  format: StorageFormat
  /** Key prefix in the data bucket, ending in `/`: the table's location. */
  prefix: string
  columns: GlueColumn[]
  partitions: PartitionSpec[]
  /** Key of one partition relative to the bucket, with `${name}` for each partition: the location template. */
  template?: string
}

export interface ViewSpec {
  name: string
  description: string
  /** Trino SQL, table names unqualified (the view's schema is the catalog database). */
  sql: string
  columns: (GlueColumn & { trinoType: string })[]
}

/** The format of the `dt` and `as_of` folder values (`dt=2026-01-31`). */
export const DATE_FORMAT = 'yyyy-MM-dd'

/**
 * The earliest possible first projected day: 2000-01-01, the contracts' earliest accepted instant
 * (`EARLIEST_MS`), and the start when none is given (the local Trino harness, which lists no S3). Athena lists
 * every projected day a query does not prune, so the stack always starts the projections at the force's first
 * drop date (CDK context `firstDropDate`, Catalog `partitionStart`), and the ingest refuses earlier drops.
 */
export const DEFAULT_PARTITION_START = new Date(EARLIEST_MS).toISOString().slice(0, 10)

/**
 * Last projected day: the day after tomorrow (UTC). Ingest accepts drops dated up to tomorrow in London
 * (drop-date.ts), and between 23:00 and midnight UTC in summer London's tomorrow is two UTC days ahead:
 * `NOW+1DAYS` would hide such a drop for that hour.
 */
export const PARTITION_END = 'NOW+2DAYS'

export function dateProjection(start: string = DEFAULT_PARTITION_START): Projection {
  return { type: 'date', format: DATE_FORMAT, range: `${start},${PARTITION_END}`, interval: 1, unit: 'DAYS' }
}

export function comment(text: string): string | undefined {
  const trimmed = text.trim()
  if (trimmed === '') return undefined
  return trimmed.length <= MAX_COLUMN_COMMENT ? trimmed : `${trimmed.slice(0, MAX_COLUMN_COMMENT - 3)}...`
}

export function glueColumn(column: Column): GlueColumn {
  const text = comment(column.description)
  return {
    name: column.name,
    type: GLUE_TYPES[column.kind],
    ...(text === undefined ? {} : { comment: text }),
  }
}

/** Tables: `<feed>_versions` per feed. */
export const versionsTable = (feed: FeedName) => `${feed}_versions`
/** Every run's results of a mart; the view named after the mart shows the latest finished run per as_of. */
export const martRunsTable = (mart: string) => `${mart}_runs`
/** The table of the run manifests, which the mart views read to tell finished runs (FINISHED_RUN_ID_SQL). */
export const RUN_MANIFESTS_TABLE = 'run_manifests'

/**
 * The tables the marts and staging read (queries/README.md): all the pipeline's queries may touch. Besides the
 * feeds and the reference, those under the views of PIPELINE_VIEWS.
 */
export const PIPELINE_TABLES: readonly string[] = [
  ...FEED_NAMES.map(versionsTable),
  ...REFERENCE_TABLES,
  ...PRESENCE_MARTS.map(martRunsTable),
  RUN_MANIFESTS_TABLE,
]

/** The views the marts read: the latest finished runs of the presence marts (shr_presence_history). */
export const PIPELINE_VIEWS: readonly string[] = PRESENCE_MARTS

/**
 * Fields of a quarantine line (scan.ts QuarantineRecord) as Glue columns. `feed` is the partition (a column may
 * not also be a partition key). `record` holds the row's fields by the drop's own column names.
 */
const QUARANTINE_FIELDS = {
  drop_id: 'string',
  file: 'string',
  line: 'bigint',
  column: 'string',
  code: 'string',
  reason: 'string',
  record: 'map<string,string>',
  text: 'string',
} satisfies Record<Exclude<keyof QuarantineRecord, 'feed'>, string>

/** Fields of `manifests/ingest/<feed>/<drop_id>.json` (ingest.ts IngestManifest), `feed` being the partition. */
const INGEST_MANIFEST_FIELDS = {
  manifest_version: 'int',
  drop_id: 'string',
  schema_version: 'int',
  format: 'string',
  encoding: 'string',
  drop_date: 'string',
  source: 'struct<name:string,landing_key:string,sha256:string,bytes:bigint>',
  landing_version_id: 'string',
  ingested_at: 'string',
  rows_in: 'bigint',
  rows_accepted: 'bigint',
  rows_quarantined: 'bigint',
  rows_duplicate: 'bigint',
  quarantined_by_code: 'map<string,bigint>',
  quarantine_truncated: 'struct<max_bytes:bigint,records_not_stored:bigint,first_line_not_stored:bigint>',
  outputs: 'struct<curated:string,quarantine:string>',
  scan_path: 'string',
  passes: 'int',
  pseudonym_key_id: 'string',
  accuracy_limit_m: 'double',
  timings_ms: 'struct<hash:bigint,scan:bigint,publish:bigint,total:bigint>',
} satisfies Record<Exclude<keyof IngestManifest, 'feed'>, string>

/** Fields of `manifests/runs/<run_id>.json` (run.ts RunManifest). */
const RUN_MANIFEST_FIELDS = {
  manifest_version: 'int',
  run_id: 'string',
  as_of: 'string',
  engine: 'string',
  started_at: 'string',
  finished_at: 'string',
  weights_version: 'string',
  register_version: 'string',
  population_version: 'string',
  inputs: 'map<string,array<struct<drop_id:string,drop_date:string>>>',
  earlier_runs: 'array<string>',
  marts:
    'array<struct<mart:string,query_sha256:string,file_sha256:string,parameters:array<string>,rows:bigint,' +
    'result_key:string,elapsed_ms:bigint,bytes_scanned:bigint,execution_id:string>>',
  bytes_scanned: 'bigint',
} satisfies Record<keyof RunManifest, string>

const fields = (types: Record<string, string>): GlueColumn[] =>
  Object.entries(types).map(([name, type]) => ({ name, type }))

export interface CatalogSpecOptions {
  /** First day of the `dt` and `as_of` projections (YYYY-MM-DD). */
  partitionStart?: string
}

/** Every table of the catalog, in a stable order: feeds, marts, reference data, then the audit trail. */
export function tableSpecs(options: CatalogSpecOptions = {}): TableSpec[] {
  const days = dateProjection(options.partitionStart)
  const feedEnum: Projection = { type: 'enum', values: FEED_NAMES }
  const feeds = FEED_NAMES.map(
    (feed): TableSpec => ({
      name: versionsTable(feed),
      description:
        `Every stored row of the ${feed} feed (contract version ${CONTRACTS[feed].version}), one Parquet file per ` +
        `drop at curated/${feed}/dt=<drop_date>/<drop_id>.parquet. The view ${feed} shows each record's current version.`,
      format: 'parquet',
      prefix: `curated/${feed}/`,
      columns: curatedColumns(CONTRACTS[feed]).map(glueColumn),
      partitions: [
        { name: 'dt', type: 'date', comment: 'drop date (the drop_date column)', projection: days },
      ],
      template: `curated/${feed}/dt=\${dt}/`,
    }),
  )
  const marts = MART_NAMES.map((mart): TableSpec => {
    const query = martQuery(mart)
    return {
      name: martRunsTable(mart),
      description:
        `Every run's results of the ${mart} mart (${query.grain}), one Parquet file per run at ` +
        `results/${mart}/as_of=<date>/<run_id>.parquet: the run id is the file name ("$path"). ` +
        `The view ${mart} shows the latest finished run per as_of.`,
      format: 'parquet',
      prefix: `results/${mart}/`,
      columns: query.columns.map(glueColumn),
      partitions: [{ name: 'as_of', type: 'date', comment: 'the as-of date of the run', projection: days }],
      template: `results/${mart}/as_of=\${as_of}/`,
    }
  })
  const reference = REFERENCE_TABLES.map(
    (table): TableSpec => ({
      name: table,
      description: `Every loaded version of ${table}, one Parquet file per version at reference/${table}/<version>.parquet.`,
      format: 'parquet',
      prefix: `reference/${table}/`,
      columns: REFERENCE_TABLE_COLUMNS[table].map(glueColumn),
      partitions: [],
    }),
  )
  const audit: TableSpec[] = [
    {
      name: 'quarantine',
      description:
        'Rejected rows with their reasons, one JSON Lines file per drop at quarantine/<feed>/dt=<drop_date>/<drop_id>.jsonl.',
      format: 'jsonl',
      prefix: 'quarantine/',
      columns: fields(QUARANTINE_FIELDS),
      partitions: [
        { name: 'feed', type: 'string', comment: 'the feed', projection: feedEnum },
        { name: 'dt', type: 'date', comment: 'drop date', projection: days },
      ],
      template: `quarantine/\${feed}/dt=\${dt}/`,
    },
    {
      name: 'ingest_manifests',
      description:
        'One row per ingested drop: counts (rows_in = rows_accepted + rows_quarantined + rows_duplicate), hashes, ' +
        'timings; manifests/ingest/<feed>/<drop_id>.json.',
      format: 'json',
      prefix: 'manifests/ingest/',
      columns: fields(INGEST_MANIFEST_FIELDS),
      partitions: [{ name: 'feed', type: 'string', comment: 'the feed', projection: feedEnum }],
      template: `manifests/ingest/\${feed}/`,
    },
    {
      name: RUN_MANIFESTS_TABLE,
      description:
        'One row per completed run of the marts: parameters, inputs, query hashes, row counts; manifests/runs/<run_id>.json.',
      format: 'json',
      prefix: 'manifests/runs/',
      columns: fields(RUN_MANIFEST_FIELDS),
      partitions: [],
    },
  ]
  return [...feeds, ...marts, ...reference, ...audit]
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

/** The run id of a result row: its file name without `.parquet` (`results/<mart>/as_of=<date>/<run_id>.parquet`). */
export const RUN_ID_SQL = `regexp_extract("$path", '([^/]+)\\.parquet$', 1)`

/**
 * The run id of a run manifest: its file name without `.json` (`manifests/runs/<run_id>.json`). The manifest is
 * written last (run.ts), so a run id here is a run that finished; only the object's name is needed, as when the
 * local view lists the folder and `report` asks whether the key exists.
 */
export const FINISHED_RUN_ID_SQL = `regexp_extract("$path", '([^/]+)\\.json$', 1)`

/**
 * The view `<mart>`: the rows of the latest finished run per as_of (run ids sort by start time; a run killed
 * part-way leaves results but no manifest), with `as_of` and `run_id`: the columns and rows of the local DuckDB
 * view of the same name.
 */
export function latestRunSql(mart: string): string {
  const columns = martQuery(mart).columns.map((c) => quote(c.name))
  return [
    `select ${[...columns, 'as_of', 'run_id'].join(', ')}`,
    'from (',
    '  select *, max(run_id) over (partition by as_of) as latest_run_id',
    `  from (select *, ${RUN_ID_SQL} as run_id from ${martRunsTable(mart)}) as runs`,
    `  where run_id in (select ${FINISHED_RUN_ID_SQL} from ${RUN_MANIFESTS_TABLE})`,
    ') as ranked',
    'where run_id = latest_run_id',
  ].join('\n')
}

export function viewSpecs(): ViewSpec[] {
  const feeds = FEED_NAMES.map(
    (feed): ViewSpec => ({
      name: feed,
      description: `Each ${feed} record's current version (latest drop); for a past date use the named query ${feed}_as_of.`,
      // the text the local DuckDB lake creates too (queries/views, generated from the contracts)
      sql: readFileSync(path.join(queriesDir(), feedViewFile(feed)), 'utf8'),
      columns: curatedColumns(CONTRACTS[feed]).map((c) => ({
        ...glueColumn(c),
        trinoType: TRINO_TYPES[c.kind],
      })),
    }),
  )
  const marts = MART_NAMES.map(
    (mart): ViewSpec => ({
      name: mart,
      description: `The ${mart} rows of the latest finished run per as_of (every run: ${martRunsTable(mart)}).`,
      sql: latestRunSql(mart),
      columns: [
        ...martQuery(mart).columns.map((c) => ({ ...glueColumn(c), trinoType: TRINO_TYPES[c.kind] })),
        { name: 'as_of', type: 'date', comment: 'the as-of date of the run', trinoType: 'date' },
        {
          name: 'run_id',
          type: 'string',
          comment: 'the run (manifests/runs/<run_id>.json)',
          trinoType: 'varchar',
        },
      ],
    }),
  )
  return [...feeds, ...marts]
}

/**
 * `viewOriginalText` of a Presto (Trino) view stored as a Glue VIRTUAL_VIEW table: the format Athena itself
 * writes for CREATE VIEW (a base64 JSON definition in a comment). Its column types must be the ones the SQL
 * returns, or Athena reports the view as stale.
 */
export function prestoViewText(view: ViewSpec, database: string): string {
  const definition = {
    originalSql: view.sql,
    catalog: 'awsdatacatalog',
    schema: database,
    columns: view.columns.map((c) => ({ name: c.name, type: c.trinoType })),
  }
  return `/* Presto View: ${Buffer.from(JSON.stringify(definition), 'utf8').toString('base64')} */`
}
