import { readdirSync } from 'node:fs'
import path from 'node:path'
import type { StagingTable } from '../ports.ts'
import { QUERIES_DIR, type QueryFile, QueryFileError, readQueryFile } from './sql-files.ts'

/** The marts the nightly run produces, in the order it runs them. */
export const MART_NAMES = [
  'scorecard_weekly',
  'patrol_dosage',
  'patrol_effect',
  'displacement',
  'victim_satisfaction_monthly',
  'stop_search_monthly',
  'tips_monthly',
  'arrests_weekly',
  'concentration',
  'hotspot_candidates',
  'funder_monthly',
  'hotspot_heatmap',
] as const
export type MartName = (typeof MART_NAMES)[number]

/** Parameters every mart binds, in this order, in its first CTE (queries/README.md). */
export const MART_PARAMETERS = ['as_of', 'weights_version', 'register_version'] as const

let cache:
  | { marts: Map<string, QueryFile>; staging: Map<string, QueryFile>; shared: Map<string, QueryFile> }
  | undefined

function readFolder(folder: string): Map<string, QueryFile> {
  const queries = new Map<string, QueryFile>()
  for (const file of readdirSync(path.join(QUERIES_DIR, folder)).sort()) {
    if (!file.endsWith('.sql')) continue
    const name = file.slice(0, -'.sql'.length)
    queries.set(name, readQueryFile(path.join(QUERIES_DIR, folder, file), name))
  }
  return queries
}

function load(): NonNullable<typeof cache> {
  if (cache) return cache
  const marts = new Map<string, QueryFile>()
  for (const name of MART_NAMES) {
    const file = path.join(QUERIES_DIR, 'marts', `${name}.sql`)
    const query = readQueryFile(file, name)
    if (query.columns.length === 0)
      throw new QueryFileError(`${file}: the header must declare the output columns`)
    marts.set(name, query)
  }
  cache = { marts, staging: readFolder('staging'), shared: readFolder('shared') }
  return cache
}

export function martQuery(name: string): QueryFile {
  const query = load().marts.get(name)
  if (!query)
    throw new Error(`unknown mart ${JSON.stringify(name)}; expected one of ${MART_NAMES.join(', ')}`)
  return query
}

export function stagingQueries(): Map<string, QueryFile> {
  return load().staging
}

/** Building blocks several marts share that depend on their parameters (queries/shared/shr_*.sql). */
export function sharedQueries(): Map<string, QueryFile> {
  return load().shared
}

const SHARED_REFERENCE = /\bshr_[a-z0-9_]+\b/g

/** The names in `found` and those their own text names, each after what it reads. */
function inDependencyOrder(
  text: string,
  pattern: RegExp,
  queries: Map<string, QueryFile>,
  label: string,
  skip: ReadonlySet<string> = new Set(),
): string[] {
  const ordered: string[] = []
  const visit = (sql: string, trail: string[]) => {
    for (const match of new Set(sql.match(pattern) ?? [])) {
      if (ordered.includes(match) || skip.has(match)) continue
      const query = queries.get(match)
      if (!query) throw new QueryFileError(`${label}: no query ${match} in queries/`)
      if (trail.includes(match)) {
        throw new QueryFileError(`queries refer to each other in a cycle: ${[...trail, match].join(' -> ')}`)
      }
      visit(query.text, [...trail, match])
      ordered.push(match)
    }
  }
  visit(text, [])
  return ordered
}

/**
 * A mart with the shared CTEs it names put right after its params CTE (they read `params`, so they cannot be
 * staging, which has none).
 */
function withShared(body: string, label: string): string {
  const shared = sharedQueries()
  const names = inDependencyOrder(body, SHARED_REFERENCE, shared, label)
  if (names.length === 0) return body
  const open = body.indexOf('(', body.search(/params\s+as\s*\(/i))
  let depth = 0
  let close = -1
  for (let i = open; i < body.length; i++) {
    if (body[i] === '(') depth++
    else if (body[i] === ')' && --depth === 0) {
      close = i
      break
    }
  }
  const comma = body.indexOf(',', close)
  if (open < 0 || close < 0 || comma < 0)
    throw new QueryFileError(`${label}: a mart starts with its params CTE`)
  const ctes = names
    .map((n) => `\n\n${n} as (\n${stripHeader((shared.get(n) as QueryFile).text)}\n),`)
    .join('')
  return body.slice(0, comma + 1) + ctes + body.slice(comma + 1)
}

const STAGING_REFERENCE = /\bstg_[a-z0-9_]+\b/g

/** A mart's SQL ready to run (see composeSql), leaving out staging the engine already holds as tables. */
export function composeMart(name: string, prepared: ReadonlySet<string> = new Set()): string {
  const mart = martQuery(name)
  const body = stripHeader(mart.text)
  if (!/^with\s/i.test(body)) {
    throw new QueryFileError(`${mart.path}: a mart starts with its params CTE (with params as ...)`)
  }
  return composeSql(withShared(body, name), name, prepared)
}

const WORD = /[a-z_][a-z0-9_]*/gi

function wordsOf(text: string): Set<string> {
  return new Set(
    text
      .replace(/--[^\n]*/g, ' ')
      .toLowerCase()
      .match(WORD) ?? [],
  )
}

/**
 * The staging the given marts read (directly or through other staging), in dependency order, for engines that
 * build staging as tables: each one's SQL reads the staging built before it by name.
 */
export function stagingSql(marts: readonly string[] = MART_NAMES): Map<string, StagingTable> {
  const staging = stagingQueries()
  const readerTexts = new Map<string, string[]>()
  const stagingReaders = new Map<string, string[]>()
  const ordered: string[] = []
  const visit = (name: string, readerText: string, readerName?: string) => {
    const isNew = !readerTexts.has(name)
    if (isNew) {
      readerTexts.set(name, [])
      stagingReaders.set(name, [])
    }
    readerTexts.get(name)?.push(readerText)
    if (readerName) stagingReaders.get(name)?.push(readerName)
    if (!isNew) return
    const text = stripHeader((staging.get(name) as QueryFile).text)
    for (const dependency of new Set(text.match(STAGING_REFERENCE) ?? [])) {
      if (dependency !== name && staging.has(dependency)) visit(dependency, text, name)
    }
    ordered.push(name)
  }
  // the columns kept are those every mart reads, whichever marts run, so each run keeps the same tables
  const needed = new Set<string>()
  for (const mart of MART_NAMES) {
    const text = withShared(stripHeader(martQuery(mart).text), mart)
    for (const name of new Set(text.match(STAGING_REFERENCE) ?? [])) {
      if (!staging.has(name)) throw new QueryFileError(`${mart}: no query ${name} in queries/staging`)
      visit(name, text)
      if (marts.includes(mart)) needed.add(name)
    }
  }
  for (const name of [...ordered].reverse()) {
    if (!needed.has(name)) continue
    const text = stripHeader((staging.get(name) as QueryFile).text)
    for (const dependency of text.match(STAGING_REFERENCE) ?? [])
      if (dependency !== name) needed.add(dependency)
  }
  const words = new Map<string, Set<string>>()
  // a table's staging readers come after it, so walking backwards settles their words first
  for (const name of [...ordered].reverse()) {
    const found = new Set<string>()
    for (const text of readerTexts.get(name) as string[]) for (const word of wordsOf(text)) found.add(word)
    for (const reader of stagingReaders.get(name) as string[])
      for (const word of words.get(reader) as Set<string>) found.add(word)
    words.set(name, found)
  }
  const tables = new Map<string, StagingTable>()
  for (const name of ordered.filter((n) => needed.has(n))) {
    const sql = composeSql((staging.get(name) as QueryFile).text, name, new Set(tables.keys()))
    tables.set(name, { sql, readerWords: words.get(name) as Set<string> })
  }
  return tables
}

/**
 * SQL with the staging queries it names (and those they name), in dependency order, as CTEs in front of its
 * own: `stg_incidents` then reads like a table on both engines, and no view has to exist in Athena.
 */
export function composeSql(text: string, label = 'query', prepared: ReadonlySet<string> = new Set()): string {
  const staging = stagingQueries()
  const body = stripHeader(text)
  const ordered = inDependencyOrder(body, STAGING_REFERENCE, staging, label, prepared)
  if (ordered.length === 0) return body
  const ctes = ordered.map((n) => `${n} as (\n${stripHeader((staging.get(n) as QueryFile).text)}\n)`)
  const own = /^with\s/i.test(body)
    ? `${body.replace(/^with\s+/i, '')}`
    : `final_query as (\n${body}\n)\nselect * from final_query`
  return `with\n${ctes.join(',\n')},\n${own}`
}

/** The SQL without its leading comment lines. */
export function stripHeader(text: string): string {
  const lines = text.split('\n')
  let i = 0
  while (i < lines.length && ((lines[i] as string).startsWith('--') || (lines[i] as string).trim() === ''))
    i++
  return lines.slice(i).join('\n').trim().replace(/;\s*$/, '')
}
