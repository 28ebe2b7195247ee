import { readdirSync } from 'node:fs'
import path from 'node:path'
import { CONTRACTS, FEED_NAMES, type FeedName } from '../contracts/feeds.ts'
import type { StagingTable } from '../ports.ts'
import { formatDay, isDay, parseDate } from '../time/days.ts'
import { type QueryFile, QueryFileError, queriesDir, readQueryFile } from './sql-files.ts'

/**
 * The marts the nightly run produces, in the order it runs them. The presence marts come first, each a run of
 * its own (PRESENCE_MARTS): the marts after them read their results through the views of finished runs.
 */
export const MART_NAMES = [
  'presence_visits',
  'presence_daily',
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
  'presence_weekly',
  'dose_response',
] as const
export type MartName = (typeof MART_NAMES)[number]

/**
 * The marts whose results other marts read, in the order they run, each a run of its own before the rest
 * (runMarts): presence_visits measures the GPS runs once; presence_daily sums the rows of the presence_visits run
 * made just before it (presence_visits_run); the marts after them read both through the views of finished runs (shr_presence_history,
 * shr_patrol_visits).
 */
export const PRESENCE_MARTS: readonly MartName[] = ['presence_visits', 'presence_daily']

/**
 * The runs a request for `marts` makes, in order: one per presence mart, then one of the rest. A presence mart
 * reads the one before it as of the same date, so asking for it runs those before it too: its rows never come
 * from visits measured on other drops.
 */
export function martStages(marts: readonly MartName[]): MartName[][] {
  const last = Math.max(...marts.map((mart) => PRESENCE_MARTS.indexOf(mart)))
  const rest = marts.filter((mart) => !PRESENCE_MARTS.includes(mart))
  const stages = PRESENCE_MARTS.slice(0, last + 1).map((mart) => [mart])
  return rest.length > 0 ? [...stages, rest] : stages
}

/**
 * A run's parameters, in the order of the params CTE's slots (queries/README.md): every mart takes the first
 * three; the others only the marts that read them declare (OPTIONAL_SLOTS).
 */
export const MART_PARAMETERS = [
  'as_of',
  'weights_version',
  'register_version',
  'population_version',
  'presence_visits_run',
] as const
export type MartParameterName = (typeof MART_PARAMETERS)[number]

/** The population is optional, unlike the weights and the register: null when none is loaded. */
export interface MartParameters {
  as_of: string
  weights_version: string
  register_version: string
  population_version: string | null
  /**
   * The presence_visits run whose visits presence_daily sums: the one runMarts made just before it. Read by id,
   * not as the latest run of the date: a run that found no visit has no rows, and would show an older one's.
   */
  presence_visits_run?: string | null
}

/**
 * The one line every mart's params CTE holds. The `?` are slots for the composer, never sent: Athena refuses a
 * `?` outside a WHERE clause, so the values are written into the SQL as literals (martParameterLiterals).
 */
const PARAMS_SELECT =
  'select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version'

/**
 * What a mart adds to the end of that line for each parameter only some marts read, in this order, exactly
 * when it reads it: a new population changes no other mart's SQL (nor its query_sha256 in the run manifest).
 */
const OPTIONAL_SLOTS: { name: MartParameterName; reads: RegExp; what: string }[] = [
  {
    name: 'population_version',
    reads: /\bfrom\s+population\b/i,
    what: 'a mart that reads the population declares it',
  },
  {
    name: 'presence_visits_run',
    reads: /\bp\.presence_visits_run\b/i,
    what: 'a mart that reads a presence_visits run by id declares it',
  },
]
const slotOf = (name: string) => `, cast(? as varchar) as ${name}`

/** A reference version as the loaders make it (`w-` and 16 hex digits, or a test's `r-test`). */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export class MartParameterError extends Error {
  override name = 'MartParameterError'
}

/**
 * The parameters as SQL literals, in MART_PARAMETERS order, after each value is checked against a strict
 * pattern (a date that exists; a version or run id of letters, digits, `.`, `_` and `-`): no quote, backslash
 * or whitespace can reach the SQL text, whatever the caller passes. No value is the literal null.
 */
export function martParameterLiterals(parameters: MartParameters): string[] {
  const { as_of: asOf } = parameters
  if (!isDay(asOf)) throw new MartParameterError(`as_of ${JSON.stringify(asOf)} is not a date (YYYY-MM-DD)`)
  for (const name of MART_PARAMETERS.slice(1)) {
    const value = parameters[name] ?? null
    if (value !== null && !VERSION.test(value))
      throw new MartParameterError(
        `${name} ${JSON.stringify(value)} is not a version (letters, digits, '.', '_', '-'; at most 64)`,
      )
  }
  return MART_PARAMETERS.map((name) => {
    const value = parameters[name] ?? null
    return value === null ? 'null' : `'${value}'`
  })
}

let cache:
  | { marts: Map<string, QueryFile>; staging: Map<string, QueryFile>; shared: Map<string, QueryFile> }
  | undefined

function readFolder(folder: string): Map<string, QueryFile> {
  const queries = new Map<string, QueryFile>()
  for (const file of readdirSync(path.join(queriesDir(), folder)).sort()) {
    if (!file.endsWith('.sql')) continue
    const name = file.slice(0, -'.sql'.length)
    queries.set(name, readQueryFile(path.join(queriesDir(), folder, file), name))
  }
  return queries
}

function load(): NonNullable<typeof cache> {
  if (cache) return cache
  const marts = new Map<string, QueryFile>()
  for (const name of MART_NAMES) {
    const file = path.join(queriesDir(), 'marts', `${name}.sql`)
    const query = readQueryFile(file, name)
    if (query.columns.length === 0)
      throw new QueryFileError(`${file}: the header must declare the output columns`)
    if (query.grainKey.length === 0)
      throw new QueryFileError(`${file}: the header must name the grain's columns (-- grain key: ...)`)
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

export interface ComposeOptions {
  /** Staging the engine already holds as tables (DuckDB's staging cache): left out of the SQL. */
  prepared?: ReadonlySet<string>
}

/**
 * A mart's SQL without its header, checked to start with the params CTE the composers fill in, the params line
 * it declares (with each optional slot exactly when it reads that parameter), and the parameters it declares.
 */
function martBody(name: string): { body: string; paramsSelect: string; names: MartParameterName[] } {
  const mart = martQuery(name)
  const body = stripHeader(mart.text)
  if (!/^with\s+params\s+as\s*\(\s*/i.test(body) || !body.includes(PARAMS_SELECT))
    throw new QueryFileError(
      `${mart.path}: a mart starts with its params CTE (with params as (${PARAMS_SELECT}),)`,
    )
  const read = OPTIONAL_SLOTS.filter((slot) => slot.reads.test(body))
  const paramsSelect = PARAMS_SELECT + read.map((slot) => slotOf(slot.name)).join('')
  // the line to its end, less a trailing comment (a lint's noqa)
  const line = (body.slice(body.indexOf(PARAMS_SELECT)).split('\n')[0] as string).replace(/\s*--.*$/, '')
  if (line !== paramsSelect) {
    const unread = OPTIONAL_SLOTS.find((slot) => !read.includes(slot) && line.includes(slotOf(slot.name)))
    throw new QueryFileError(
      unread
        ? `${mart.path}: declares${slotOf(unread.name)} but never uses it (${unread.what})`
        : `${mart.path}: its params line must be ${paramsSelect} (${read.map((slot) => slot.what).join('; ')})`,
    )
  }
  return {
    body,
    paramsSelect,
    names: [...MART_PARAMETERS.slice(0, 3), ...read.map((slot) => slot.name)],
  }
}

/** A mart's params line with its slots filled, in order, by `values`. */
function filledParams(paramsSelect: string, values: readonly string[]): string {
  let slot = 0
  return paramsSelect.replaceAll('?', () => values[slot++] as string)
}

/**
 * A mart's SQL exactly as an engine runs it: the parameters written into its params CTE as literals, the shared
 * blocks after it, and the staging it reads inlined as CTEs (see composeSql), each feed read only up to the
 * as-of date's partition, except the staging the engine already holds as tables.
 */
export function composeMart(name: string, parameters: MartParameters, options: ComposeOptions = {}): string {
  const { body, paramsSelect, names } = martBody(name)
  const literals = martParameterLiterals(parameters)
  if (names.includes('presence_visits_run') && !parameters.presence_visits_run)
    throw new MartParameterError(`${name} sums the visits of a presence_visits run: give presence_visits_run`)
  const values = names.map((parameter) => literals[MART_PARAMETERS.indexOf(parameter)] as string)
  const bound = body.replace(paramsSelect, filledParams(paramsSelect, values))
  return composeSql(withShared(bound, name), name, options.prepared, parameters.as_of)
}

/**
 * What an auditor replaces in a mart's saved query (martTemplate), one placeholder per parameter. A run without
 * a population has population_version null: the placeholder's quoted string is then replaced by null.
 */
export const MART_PLACEHOLDERS: Record<MartParameterName, string> = {
  as_of: 'YYYY-MM-DD',
  weights_version: 'WEIGHTS_VERSION',
  register_version: 'REGISTER_VERSION',
  population_version: 'POPULATION_VERSION',
  presence_visits_run: 'PRESENCE_VISITS_RUN',
}

/** The parameters a mart's params CTE declares, in order (the optional ones only for the marts that read them). */
export function martParameterNames(name: string): MartParameterName[] {
  return martBody(name).names
}

/**
 * A mart as a saved query for people to run with their own values (the auditors' named queries in Athena):
 * the params CTE holds the placeholders of MART_PLACEHOLDERS it declares, to replace with an as-of date and the
 * reference versions (a run manifest names them); until then the query fails on the date. Not `?` parameters:
 * Athena takes those only inside a WHERE clause, and a params CTE that finds its values by filtering tables is
 * read again wherever a mart names it (Trino refused one with 207 stages, over its limit of 150). Staging reads
 * every partition: there is no as-of date to prune by.
 */
export function martTemplate(name: string): string {
  const { body, paramsSelect, names } = martBody(name)
  const placeholders = names.map((parameter) => `'${MART_PLACEHOLDERS[parameter]}'`)
  return composeSql(
    withShared(body.replace(paramsSelect, filledParams(paramsSelect, placeholders)), name),
    name,
  )
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
      // read by window, it is inlined in each mart, pruned to the as-of date (composeMart)
      if (readsByWindow(stripHeader((staging.get(name) as QueryFile).text))) continue
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
 * A staging query's read of a feed: `from <feed>_versions`, optionally `as <alias>`, then the end of the FROM
 * item. Any other mention of a `_versions` table (a join, a bare alias) is refused rather than left unpruned.
 */
const VERSIONS_READ =
  /\bfrom\s+([a-z_][a-z0-9_]*_versions)\b(?:\s+as\s+([a-z_][a-z0-9_]*))?(?=\s*(?:$|\)|,|where\b|group\b|order\b|union\b|limit\b|window\b|having\b))/gi
const VERSIONS_NAME = /\b[a-z_][a-z0-9_]*_versions\b/i

/** The days of partitions a read of `<feed>_versions` covers, for a feed read by window (contract readDays). */
function readDaysOf(table: string): number | undefined {
  const feed = table.slice(0, -'_versions'.length)
  return (FEED_NAMES as readonly string[]).includes(feed) ? CONTRACTS[feed as FeedName].readDays : undefined
}

/** True for a staging query that reads a feed by window: it needs an as-of date, so it is never a table. */
function readsByWindow(sql: string): boolean {
  return [...sql.matchAll(VERSIONS_READ)].some((m) => readDaysOf(m[1] as string) !== undefined)
}

/**
 * Staging SQL reading only the partitions up to the as-of date, and for a feed read by window (GPS pings) only
 * those of its readDays days up to it.
 */
export function prunedToAsOf(sql: string, asOf: string, label: string): string {
  const pruned: string[] = []
  const rewritten = sql.replace(VERSIONS_READ, (_, table: string, alias: string | undefined) => {
    const days = readDaysOf(table)
    const from = days === undefined ? undefined : formatDay((parseDate(asOf) as number) - days + 1)
    const read =
      from === undefined
        ? `(select * from ${table} where dt <= date '${asOf}')`
        : `(select * from ${table} where dt between date '${from}' and date '${asOf}')`
    pruned.push(read)
    return `from ${read} as ${alias ?? table}`
  })
  let rest = rewritten.replace(/--[^\n]*/g, ' ')
  for (const read of pruned) rest = rest.replace(read, ' ')
  rest = rest.replace(/\bas\s+[a-z_][a-z0-9_]*/gi, ' ')
  const unpruned = VERSIONS_NAME.exec(rest)
  if (unpruned)
    throw new QueryFileError(
      `${label}: staging reads ${unpruned[0]} in a form the as-of pruning does not know; write \`from ${unpruned[0]}\` (optionally \`as alias\`) and end the FROM item there`,
    )
  return rewritten
}

/**
 * SQL with the staging queries it names (and those they name), in dependency order, as CTEs in front of its
 * own: `stg_incidents` then reads like a table on both engines, and no view has to exist in Athena.
 * Given an as-of date, each staging query reads its feed's versions only from the partitions up to that date
 * (`dt <= date '...'`): Athena then lists and reads no later partition. Versions dropped later can only end a
 * version's validity after the as-of date, so the rows a mart selects are the same either way.
 */
export function composeSql(
  text: string,
  label = 'query',
  prepared: ReadonlySet<string> = new Set(),
  asOf?: string,
): string {
  const staging = stagingQueries()
  const body = stripHeader(text)
  const ordered = inDependencyOrder(body, STAGING_REFERENCE, staging, label, prepared)
  if (ordered.length === 0) return body
  if (asOf !== undefined && !isDay(asOf))
    throw new MartParameterError(`as_of ${JSON.stringify(asOf)} is not a date (YYYY-MM-DD)`)
  const ctes = ordered.map((n) => {
    const sql = stripHeader((staging.get(n) as QueryFile).text)
    return `${n} as (\n${asOf === undefined ? sql : prunedToAsOf(sql, asOf, n)}\n)`
  })
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
