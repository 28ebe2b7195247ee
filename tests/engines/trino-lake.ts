/**
 * A lake folder as Trino sees it: one schema whose tables are declared from the same specs that become the Glue
 * tables in AWS (lib/glue-schema.ts tableSpecs: names, columns, types, partitions, locations), over the lake's
 * own Parquet files. Rows come back as text, as Athena's GetQueryResults gives them, so the pipeline's own
 * typing (run.ts typedRow) reads both engines' answers.
 */
import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { BasicAuth, Trino, type QueryResult as TrinoPage } from 'trino-client'
import { RUN_MANIFESTS_TABLE, type TableSpec, tableSpecs, viewSpecs } from '../../lib/glue-schema.ts'

/** Hive (Glue) column types as Trino's Hive connector declares them. */
export function trinoType(glueType: string): string {
  const scalar: Record<string, string> = {
    string: 'varchar',
    int: 'integer',
    bigint: 'bigint',
    double: 'double',
    boolean: 'boolean',
    date: 'date',
    timestamp: 'timestamp(3)',
  }
  const found = scalar[glueType]
  if (!found)
    throw new Error(`no Trino type for the Glue type ${glueType} (only Parquet tables are declared)`)
  return found
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

/** CREATE TABLE for one Parquet table spec, its partition columns last (as Hive wants them). */
export function createTableSql(schema: string, spec: TableSpec, root: string): string {
  const columns = [...spec.columns, ...spec.partitions].map((c) => `  ${quote(c.name)} ${trinoType(c.type)}`)
  const location = `local://${path.join(root, spec.prefix)}`
  const properties = [
    `external_location = '${location}'`,
    `format = 'PARQUET'`,
    ...(spec.partitions.length > 0
      ? [`partitioned_by = ARRAY[${spec.partitions.map((p) => `'${p.name}'`).join(', ')}]`]
      : []),
  ]
  return `create table hive.${quote(schema)}.${quote(spec.name)} (\n${columns.join(',\n')}\n) with (${properties.join(', ')})`
}

/**
 * A stand-in for a table of pretty-printed JSON manifests: Athena reads them with the Ion SerDe, which Trino
 * lacks. The views need only which manifests exist (their "$path"), so the files are declared as lines of text
 * under the Glue table's name and location.
 */
export function manifestFilesSql(schema: string, spec: TableSpec, root: string): string {
  const location = `local://${path.join(root, spec.prefix)}`
  return `create table hive.${quote(schema)}.${quote(spec.name)} (line varchar) with (external_location = '${location}', format = 'TEXTFILE')`
}

export interface TextResult {
  columns: { name: string; type: string }[]
  rows: (string | null)[][]
  /** Bytes Trino read from the files. */
  physicalInputBytes: number
}

export class TrinoQueryError extends Error {
  override name = 'TrinoQueryError'
}

/** A value of Trino's JSON protocol as the text Athena's VarCharValue holds. */
function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

export class TrinoLake {
  private constructor(
    private readonly client: Trino,
    readonly schema: string,
    readonly root: string,
  ) {}

  /**
   * A new schema over the lake at `root` with every Parquet table of the catalog (the feeds' `_versions`
   * tables, the reference tables and the marts' `_runs` tables), and their partitions found on disk; and the
   * run manifests' files, which the mart views read (manifestFilesSql).
   */
  static async declare(url: string, root: string): Promise<TrinoLake> {
    const schema = `lake_${randomBytes(6).toString('hex')}`
    const client = Trino.create({
      server: url,
      catalog: 'hive',
      schema,
      auth: new BasicAuth('hotspot-tests'),
    })
    const lake = new TrinoLake(client, schema, path.resolve(root))
    await lake.query(`create schema hive.${quote(schema)}`)
    for (const spec of tableSpecs()) {
      if (spec.format !== 'parquet' && spec.name !== RUN_MANIFESTS_TABLE) continue
      // Trino wants an external location to exist; a lake without that feed yet just has no rows
      await mkdir(path.join(lake.root, spec.prefix), { recursive: true })
      await lake.query(
        spec.format === 'parquet'
          ? createTableSql(schema, spec, lake.root)
          : manifestFilesSql(schema, spec, lake.root),
      )
    }
    await lake.refresh()
    // the views of Glue (lib/glue-schema.ts viewSpecs), as Athena stores them: the auditors', and those the
    // marts read (the presence marts' latest finished runs)
    for (const view of viewSpecs()) await lake.query(`create view ${view.name} as ${view.sql}`)
    return lake
  }

  /** Registers the partition folders now on disk (after new drops or runs). */
  async syncPartitions(table: string): Promise<void> {
    await this.query(
      `call hive.system.sync_partition_metadata(schema_name => '${this.schema}', table_name => '${table}', mode => 'FULL')`,
    )
  }

  async query(sql: string): Promise<TextResult> {
    const pages = await this.client.query(sql)
    let columns: TextResult['columns'] | undefined
    const rows: TextResult['rows'] = []
    let last: TrinoPage | undefined
    for await (const page of pages) {
      if (page.error) {
        throw new TrinoQueryError(
          `Trino: ${page.error.errorName}: ${page.error.message}${sql.length < 400 ? `\n${sql}` : ''}`,
        )
      }
      if (page.columns && !columns) columns = page.columns.map((c) => ({ name: c.name, type: c.type }))
      for (const row of page.data ?? []) rows.push(row.map(asText))
      last = page
    }
    return {
      columns: columns ?? [],
      rows,
      physicalInputBytes: last?.stats?.physicalInputBytes ?? 0,
    }
  }

  /** Registers every partition folder now on disk (after new drops or runs): Hive has no projection here. */
  async refresh(): Promise<void> {
    for (const spec of tableSpecs())
      if (spec.format === 'parquet' && spec.partitions.length > 0) await this.syncPartitions(spec.name)
  }

  async drop(): Promise<void> {
    // the tables are external: dropping them leaves the lake's files alone
    const { rows } = await this.query(
      `select table_name, table_type from hive.information_schema.tables where table_schema = '${this.schema}'`,
    )
    for (const [name, type] of rows)
      await this.query(
        `drop ${type === 'VIEW' ? 'view' : 'table'} hive.${quote(this.schema)}.${quote(name as string)}`,
      )
    await this.query(`drop schema hive.${quote(this.schema)}`)
  }
}
