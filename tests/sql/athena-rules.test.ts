import { describe, expect, it } from 'vitest'
import { martSql } from '../../functions/core/analytics/mart-sql.ts'
import { composeMart, MART_NAMES, martTemplate } from '../../functions/core/analytics/marts.ts'
import { namedQuerySpecs } from '../../lib/catalog.ts'
import { ATHENA_MAX_QUERY_BYTES, type AthenaRule, athenaViolations } from './athena-rules.ts'

/** The rules `sql` breaks, one entry per violation. */
const broken = (sql: string): AthenaRule[] => athenaViolations(sql).map((v) => v.rule)

// versions as the loaders make them (`w-` and 16 hex digits), the longest a register version gets
const PARAMETERS = {
  as_of: '2026-11-15',
  weights_version: 'w-0123456789abcdef',
  register_version: 'r-0123456789abcdef',
  population_version: 'p-0123456789abcdef',
  presence_visits_run: 'r20260330T023000Z-0123abcd',
}

describe('athenaViolations: a ? parameter only inside a WHERE clause', () => {
  it.each([
    ['a WHERE', 'select * from t where d = cast(? as date)'],
    ['a WHERE, several times', 'select * from t where d = cast(? as date) and (v = ? or v in (?, ?))'],
    ['the WHERE of a subquery in the select list', 'select (select max(x) from u where u.y = ?) as m from t'],
    ['the WHERE of a CTE', 'with p as (select * from t where d = ?) select * from p'],
    [
      'the WHERE of a subquery in FROM',
      'select * from (select * from t where d = ?) as s join u on s.k = u.k',
    ],
    ['an EXISTS in a WHERE', 'select * from t where exists (select 1 from u where u.k = t.k and u.v = ?)'],
    ['a lambda in a WHERE', 'select * from t where any_match(a, x -> x = ?)'],
  ])('passes with ? in %s', (_, sql) => {
    expect(athenaViolations(sql)).toEqual([])
  })

  it.each([
    ['the select list of a CTE', 'with params as (select cast(? as date) as as_of) select * from params'],
    ['the select list', 'select ? as x from t'],
    [
      'a function argument in the select list',
      "select date_add('day', ?, d) from t where d > date '2026-01-01'",
    ],
    ['a JOIN ... ON', 'select * from t join u on t.k = u.k and u.v = ? where t.d = ?'],
    ['FROM', 'select * from unnest(array[?]) as a (x)'],
    ['GROUP BY', 'select k, count(*) from t where d = ? group by k, ?'],
    ['HAVING', 'select k, count(*) from t group by k having count(*) > ?'],
    ['an aggregate FILTER (WHERE ...) in the select list', 'select count(*) filter (where x = ?) from t'],
    ['ORDER BY', 'select * from t order by ?'],
    ['LIMIT', 'select * from t limit ?'],
    ['VALUES', 'select * from (values (1, ?)) as v (a, b)'],
    ['the select list of a subquery in a WHERE', 'select * from t where x in (select ? from u)'],
    [
      'a window',
      'select sum(x) over (partition by k order by d rows between ? preceding and current row) from t',
    ],
  ])('fails with ? in %s', (_, sql) => {
    expect(broken(sql)).toContain('parameters-in-where')
    expect(broken(sql).every((rule) => rule === 'parameters-in-where')).toBe(true)
  })

  it('says where the parameter is, once per parameter', () => {
    const violations = athenaViolations(
      'with params as (\n  select cast(? as date) as as_of, ? as w\n)\nselect * from params',
    )
    expect(violations).toHaveLength(2)
    expect(violations[0]).toMatchObject({ rule: 'parameters-in-where', line: 2, column: 15 })
    expect(violations[0]?.message).toMatch(/a select list/)
  })

  it('ignores ? in string literals, quoted identifiers and comments, and a row pattern quantifier', () => {
    expect(
      athenaViolations(
        `-- what? \n/* and ? here */\nselect '?' as "why?", 'it''s ?' as q from t -- ?\nwhere d = ? /* ? */`,
      ),
    ).toEqual([])
    expect(
      athenaViolations(
        'select * from t match_recognize (order by d measures a.d as d pattern (a b?) define b as b.x > a.x)',
      ),
    ).toEqual([])
  })
})

describe('athenaViolations: exactly one statement, and a query', () => {
  it.each([
    ['a SELECT', 'select 1'],
    ['a WITH ... SELECT', 'with a as (select 1 as x) select x from a'],
    ['a query with a final semicolon', 'select 1;'],
  ])('passes %s', (_, sql) => {
    expect(athenaViolations(sql)).toEqual([])
  })

  it.each([
    ['two statements', 'select 1; select 2', 1],
    ['a query and a DROP', 'select 1; drop table t', 2],
    ['a CREATE', 'create table x as select * from t', 1],
    ['an INSERT', 'insert into x select * from t', 1],
    ['a DROP', 'drop table t', 1],
    ['an EXPLAIN', 'explain select * from t', 1],
    ['nothing', '-- only a comment', 1],
  ])('fails %s', (_, sql, count) => {
    expect(broken(sql)).toEqual(Array(count).fill('one-query'))
  })

  it('fails SQL that does not parse, rather than read rules from a broken tree', () => {
    expect(broken('select * from t where')).toEqual(['parses'])
  })
})

describe('athenaViolations: the query length', () => {
  /** A query of exactly `bytes` bytes of UTF-8, padded inside a comment of `pad` characters. */
  const ofBytes = (bytes: number, pad: string) => {
    const head = 'select 1 as x\n-- '
    const room = bytes - Buffer.byteLength(head)
    const unit = Buffer.byteLength(pad)
    return head + pad.repeat(Math.floor(room / unit)) + 'x'.repeat(room % unit)
  }

  it('passes a query of exactly 262,144 bytes and fails one a byte longer', () => {
    expect(Buffer.byteLength(ofBytes(ATHENA_MAX_QUERY_BYTES, 'x'))).toBe(ATHENA_MAX_QUERY_BYTES)
    expect(athenaViolations(ofBytes(ATHENA_MAX_QUERY_BYTES, 'x'))).toEqual([])
    expect(broken(ofBytes(ATHENA_MAX_QUERY_BYTES + 1, 'x'))).toEqual(['query-length'])
  })

  it('counts bytes of UTF-8, not characters', () => {
    const sql = ofBytes(ATHENA_MAX_QUERY_BYTES + 2, '€')
    expect(sql.length).toBeLessThan(ATHENA_MAX_QUERY_BYTES)
    expect(athenaViolations(sql)).toEqual([
      expect.objectContaining({ rule: 'query-length', message: expect.stringMatching(/262146 bytes/) }),
    ])
  })
})

describe('what the pipeline sends to Athena keeps its rules', () => {
  it.each(MART_NAMES)('%s as the nightly run sends it (composeMart, staging inlined)', (mart) => {
    const sql = martSql('inlined', mart, PARAMETERS)
    expect(sql).toBe(composeMart(mart, PARAMETERS))
    expect(athenaViolations(sql)).toEqual([])
  })

  it.each(MART_NAMES)('%s as the auditors get it (martTemplate, placeholders to replace)', (mart) => {
    expect(athenaViolations(martTemplate(mart))).toEqual([])
  })

  it.each(namedQuerySpecs().map((spec) => [spec.name, spec.sql]))('named query %s', (_, sql) => {
    expect(athenaViolations(sql)).toEqual([])
  })
})
