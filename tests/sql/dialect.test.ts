import { readFileSync } from 'node:fs'
import path from 'node:path'
import { TrinoSQL } from 'dt-sql-parser'
import { describe, expect, it } from 'vitest'
import {
  composeMart,
  MART_NAMES,
  martQuery,
  martTemplate,
  sharedQueries,
  stagingQueries,
  stripHeader,
} from '../../functions/core/analytics/marts.ts'
import { queriesDir } from '../../functions/core/analytics/sql-files.ts'
import { FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { feedViewFile } from '../../functions/core/contracts/versions-sql.ts'

/**
 * Functions that exist in both Athena engine v3 (Trino) and DuckDB with the same meaning for the arguments the
 * queries pass. Anything else must be defined for DuckDB in queries/compat/duckdb.sql.
 */
const PORTABLE = new Set([
  'abs',
  // an array of the group's values (nulls kept by both: filter them) and its ascending sort; subscripts are
  // 1-based in both. Not cardinality: DuckDB's takes only a map
  'array_agg',
  'array_sort',
  'avg',
  'cast',
  'ceil',
  'ceiling',
  'coalesce',
  'concat',
  'count',
  'count_if',
  'date_diff',
  'date_trunc',
  'dense_rank',
  'exp',
  // the frame's first row; with an ORDER BY the default frame starts at the partition's first row in both
  'first_value',
  'floor',
  'greatest',
  'hour',
  'lag',
  'lead',
  'least',
  'length',
  'ln',
  'lower',
  'max',
  'max_by',
  'min',
  'min_by',
  'nullif',
  'power',
  // the first match's group, in both (a result file's run id from its name: RUN_ID_SQL)
  'regexp_extract',
  'rank',
  'round',
  'row_number',
  'sqrt',
  'stddev_samp',
  'sum',
  'try_cast',
  'unnest',
  'upper',
  'var_samp',
  'year',
  'month',
  'day',
  'sign',
  'mod',
  // not trim: Trino's removes every kind of whitespace, DuckDB's only spaces (the ingest cleans text instead)
  'replace',
  'substr',
])

/** Words followed by "(" that are SQL syntax, not function calls. */
const SYNTAX = new Set([
  'as',
  'in',
  'over',
  'filter',
  'exists',
  'values',
  'and',
  'or',
  'not',
  'on',
  'when',
  'then',
  'else',
  'join',
  'from',
  'select',
  'with',
  'using',
  'by',
  'partition',
  // group by grouping sets ((a, b), ())
  'sets',
  'where',
  'all',
  'any',
  'is',
  'case',
  'end',
  'union',
  'between',
])

const compatMacros = new Set(
  [
    ...readFileSync(path.join(queriesDir(), 'compat', 'duckdb.sql'), 'utf8').matchAll(
      /create or replace macro ([a-z_]+)\(/g,
    ),
  ].map((m) => m[1] as string),
)

/** Function names called in SQL, with comments and string literals removed. */
function functionsCalled(sql: string): Set<string> {
  const code = sql
    .replace(/--[^\n]*/g, '')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
  const names = new Set<string>()
  for (const m of code.matchAll(/\b([a-z_][a-z0-9_]*)\s*\(/gi)) {
    const name = (m[1] as string).toLowerCase()
    if (!SYNTAX.has(name)) names.add(name)
  }
  // CTE names are followed by "as (" and so never match; a table function alias like "t(x)" follows "as"
  for (const m of code.matchAll(/\bas\s+([a-z_][a-z0-9_]*)\s*\(/gi))
    names.delete((m[1] as string).toLowerCase())
  return names
}

const parser = new TrinoSQL()
const files = [
  ...[...stagingQueries().values()].map((q) => ({ name: `staging/${q.name}`, text: q.text })),
  ...FEED_NAMES.map((feed) => ({
    name: feedViewFile(feed),
    text: readFileSync(path.join(queriesDir(), feedViewFile(feed)), 'utf8'),
  })),
  ...[...sharedQueries().values()].map((q) => ({ name: `shared/${q.name}`, text: q.text })),
  ...MART_NAMES.map((name) => ({ name: `marts/${name}`, text: martQuery(name).text })),
]

describe('queries: Athena (Trino) dialect', () => {
  it.each(files)('$name parses with the TrinoSQL grammar', ({ text }) => {
    expect(parser.validate(stripHeader(text))).toEqual([])
  })

  it.each(MART_NAMES)('%s parses as composed with its staging, as the runner sends it', (name) => {
    expect(
      parser.validate(
        composeMart(name, {
          as_of: '2026-03-29',
          weights_version: 'w-1',
          register_version: 'r-1',
          population_version: 'p-1',
          presence_visits_run: 'r20260330T023000Z-0123abcd',
        }),
      ),
    ).toEqual([])
  })

  it.each(MART_NAMES)('%s parses as the auditors get it, parameters left to fill in', (name) => {
    expect(parser.validate(martTemplate(name))).toEqual([])
  })

  it.each(files)('$name calls only portable functions or ones compat/duckdb.sql defines', ({ text }) => {
    const outside = [...functionsCalled(stripHeader(text))].filter(
      (f) => !PORTABLE.has(f) && !compatMacros.has(f),
    )
    expect(outside).toEqual([])
  })

  it('finds calls, ignores syntax, comments and strings (the check itself)', () => {
    const called = functionsCalled(
      "-- median(x)\nselect count(*) filter (where a in (1)), date_add('day', 1, d), 'sqrt(2)' from t cross join unnest(s) as u(v)",
    )
    expect([...called].sort()).toEqual(['count', 'date_add', 'unnest'])
    expect(parser.validate('select * from t where')).not.toEqual([])
  })
})
