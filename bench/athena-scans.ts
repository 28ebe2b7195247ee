import path from 'node:path'
import type { DuckDbLake } from '../functions/adapters/duckdb-lake.ts'

/** A node of DuckDB's JSON plan (EXPLAIN (FORMAT JSON)). */
interface PlanNode {
  operator_name?: string
  extra_info?: Record<string, unknown>
  children?: PlanNode[]
}

export interface ParquetScan {
  /** The scan's first file: a glob or a list cut short names its folder either way. */
  file: string
  projections: string
  filters: string
}

/**
 * The Parquet scans a query (parameters written in) makes on the lake when every CTE is evaluated where it is
 * named, as Trino (Athena) does: each CTE inlined (`not materialized`) and DuckDB's common_subplan optimizer,
 * which would merge the copies back into one scan, switched off for the while. The query runs (EXPLAIN
 * ANALYZE), so filters that prune files are applied. Each scan: its first file, and the columns and filters
 * DuckDB reports for it. What Athena would bill for a mart, estimated locally: the bench and a test of the
 * marts' reads use it, the pipeline does not.
 */
export async function athenaParquetScans(lake: DuckDbLake, sql: string): Promise<ParquetScan[]> {
  const inlined = sql.replace(/(^|\bwith\s+)([a-z_][a-z0-9_]*) as \(/gim, '$1$2 as not materialized (')
  await lake.rows(`set disabled_optimizers = 'common_subplan'`)
  try {
    const { rows } = await lake.rows(`explain (analyze, format json) ${inlined}`)
    const scans: ParquetScan[] = []
    const visit = (node: PlanNode) => {
      if (node.operator_name === 'READ_PARQUET' && node.extra_info) {
        scans.push({
          file: String(node.extra_info['Filename(s)'] ?? '').split(', ')[0] as string,
          projections: String(node.extra_info.Projections ?? ''),
          filters: String(node.extra_info.Filters ?? ''),
        })
      }
      for (const child of node.children ?? []) visit(child)
    }
    const plan: PlanNode | PlanNode[] = JSON.parse(String(Object.values(rows[0] as object)[1]))
    for (const root of Array.isArray(plan) ? plan : [plan]) visit(root)
    return scans
  } finally {
    await lake.rows('reset disabled_optimizers')
  }
}

export interface Scan {
  files: string
  columns: string[]
  bytes: number
}

/**
 * What a query reads from Parquet on Athena (athenaParquetScans): each scan's columns and their compressed chunk
 * bytes, summed over every file of the feed or mart folder it reads (`files`, relative to `root`).
 */
export async function athenaScanEstimate(lake: DuckDbLake, root: string, sql: string): Promise<Scan[]> {
  const chunkBytes = new Map<string, Map<string, number>>()
  const scans: Scan[] = []
  for (const scan of await athenaParquetScans(lake, sql)) {
    const folder = /^(.*\/(?:curated|results)\/[a-z_]+)\//.exec(scan.file)?.[1]
    const glob = folder ? `${folder}/*/*.parquet` : scan.file
    if (!chunkBytes.has(glob)) {
      const sizes = await lake.rows(
        `select path_in_schema as column_name, sum(total_compressed_size) as bytes from parquet_metadata('${glob}') group by 1`,
      )
      chunkBytes.set(glob, new Map(sizes.rows.map((r) => [String(r.column_name), Number(r.bytes)])))
    }
    const sizes = chunkBytes.get(glob) as Map<string, number>
    const mentioned = `${scan.projections}\n${scan.filters}`
    const columns = [...sizes.keys()].filter((c) => new RegExp(`\\b${c}\\b`).test(mentioned))
    scans.push({
      files: path.relative(root, glob),
      columns,
      bytes: columns.reduce((sum, c) => sum + (sizes.get(c) ?? 0), 0),
    })
  }
  return scans
}
