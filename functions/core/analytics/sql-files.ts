import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Column, ColumnKind } from '../contracts/columns.ts'

/** The queries/ folder: beside the source tree, unless the edge names where its bundle ships it. */
const SOURCE_QUERIES_DIR = fileURLToPath(new URL('../../../queries/', import.meta.url))
let queriesFolder: string | undefined

export function queriesDir(): string {
  return queriesFolder ?? SOURCE_QUERIES_DIR
}

/** Called once at cold start, before any query file is read (the analytics Lambda's QUERIES_DIR). */
export function useQueriesDir(folder: string | undefined): void {
  queriesFolder = folder
}

const SQL_TYPES: Record<string, ColumnKind> = {
  varchar: 'string',
  date: 'date',
  timestamp: 'timestamp',
  bigint: 'int',
  integer: 'int',
  double: 'double',
  boolean: 'boolean',
}

export interface QueryFile {
  name: string
  path: string
  text: string
  sha256: string
  grain: string
  /**
   * The columns whose values name a row (the grain, machine-readable: `-- grain key: a, b`): unique together and
   * never null in a mart's results (data-tests.ts). Empty when the header declares none (staging, shared).
   */
  grainKey: string[]
  /** Output columns declared in the header, in order (marts only). */
  columns: Column[]
}

export class QueryFileError extends Error {
  override name = 'QueryFileError'
}

/**
 * Reads a query file and its header comment:
 *
 *   -- grain: one row per hotspot per ISO week
 *   -- grain key: hotspot_id, week_start
 *   -- parameters: as_of (date), weights_version (varchar), register_version (varchar)
 *   -- columns:
 *   --   hotspot_id   varchar  the hotspot (register area_id)
 *   --   week_start   date     Monday of the week, Europe/London
 *
 * The declared columns are the mart's schema: results are typed by them and checked against them.
 */
export function readQueryFile(path: string, name: string): QueryFile {
  const text = readFileSync(path, 'utf8')
  const header: string[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('--')) break
    header.push(line.replace(/^--\s?/, ''))
  }
  const grain = header
    .find((l) => l.startsWith('grain:'))
    ?.slice('grain:'.length)
    .trim()
  if (!grain) throw new QueryFileError(`${path}: the header comment must state the grain (-- grain: ...)`)
  const grainKey =
    header
      .find((l) => l.startsWith('grain key:'))
      ?.slice('grain key:'.length)
      .split(',')
      .map((c) => c.trim()) ?? []
  const columns: Column[] = []
  const start = header.findIndex((l) => l.trim() === 'columns:')
  if (start !== -1) {
    for (const line of header.slice(start + 1)) {
      const m = /^\s+([a-z_][a-z0-9_]*)\s+([a-z]+)\s*(.*)$/.exec(line)
      if (!m) break
      const kind = SQL_TYPES[m[2] as string]
      if (!kind) throw new QueryFileError(`${path}: column ${m[1]} has unknown type ${m[2]}`)
      columns.push({ name: m[1] as string, kind, required: false, description: (m[3] as string).trim() })
    }
  }
  const undeclared = grainKey.filter((c) => !columns.some((column) => column.name === c))
  if (columns.length > 0 && undeclared.length > 0)
    throw new QueryFileError(
      `${path}: the grain key names ${undeclared.join(', ')}, not among the declared output columns`,
    )
  return {
    name,
    path,
    text,
    sha256: createHash('sha256').update(text).digest('hex'),
    grain,
    grainKey,
    columns,
  }
}
