/**
 * Athena's own rules that stock Trino does not have (DESIGN section 11), checked over SQL as it would be sent
 * to StartQueryExecution. Test-only: it parses with dt-sql-parser (a devDependency, an ANTLR grammar far too
 * large for a Lambda bundle), and the SQL it guards is composed from the files in queries/ alone, so checking
 * every mart, template and named query here covers everything the pipeline can send.
 */
import { TrinoSQL, TrinoSqlListener } from 'dt-sql-parser'

/**
 * StartQueryExecution's QueryString: at most 262,144 (AWS API reference, "Length Constraints: Maximum length
 * of 262144"; the knowledge-center article athena-query-string-length gives it as 262,144 bytes, not
 * adjustable). Counted here in UTF-8 bytes, the stricter reading.
 */
export const ATHENA_MAX_QUERY_BYTES = 262_144

export type AthenaRule = 'parses' | 'one-query' | 'parameters-in-where' | 'query-length'

export interface AthenaViolation {
  rule: AthenaRule
  message: string
  /** 1-based, where the rule was broken (the parameter, the statement); none for the length. */
  line?: number
  column?: number
}

/** The clauses a `?` can stand in, innermost last, as the walk enters them. */
type Clause =
  | 'where'
  | 'select list'
  | 'from'
  | 'join condition'
  | 'group by'
  | 'having'
  | 'window'
  | 'aggregate filter'
  | 'order by, offset or limit'
  | 'values'

const parser = new TrinoSQL()

/**
 * The ways `sql` breaks Athena's rules (empty when it keeps them all):
 * - `parses`: the TrinoSQL grammar accepts it (the other rules are read from its parse tree);
 * - `one-query`: exactly one statement, and it is a query (SELECT, WITH ... SELECT, VALUES, TABLE);
 * - `parameters-in-where`: every execution parameter `?` stands directly in a WHERE clause: the innermost
 *   clause around it is a WHERE (a subquery's WHERE counts, wherever the subquery is; a subquery's select list
 *   inside a WHERE does not). Athena: "SELECT ? FROM table is not supported", parameters only in WHERE.
 *   A `?` in a string literal, a quoted identifier or a comment is a token of its own kind, not a parameter,
 *   and neither is a row pattern's `?` quantifier (MATCH_RECOGNIZE);
 * - `query-length`: at most ATHENA_MAX_QUERY_BYTES bytes of UTF-8.
 */
export function athenaViolations(sql: string): AthenaViolation[] {
  const violations: AthenaViolation[] = []
  const bytes = Buffer.byteLength(sql, 'utf8')
  if (bytes > ATHENA_MAX_QUERY_BYTES)
    violations.push({
      rule: 'query-length',
      message: `the query is ${bytes} bytes of UTF-8; Athena takes at most ${ATHENA_MAX_QUERY_BYTES}`,
    })

  const errors: AthenaViolation[] = []
  const tree = parser.parse(sql, (error) =>
    errors.push({
      rule: 'parses',
      message: `does not parse as Trino SQL: ${error.message}`,
      line: error.startLine,
      column: error.startColumn,
    }),
  )
  if (errors.length > 0) return [...violations, ...errors]

  const clauses: Clause[] = []
  const listener = new TrinoSqlListener()
  const enter = (clause: Clause) => () => void clauses.push(clause)
  const exit = () => void clauses.pop()
  // the grammar spells an aggregate's FILTER (WHERE ...) with its whereClause rule: that one is no WHERE clause
  listener.enterWhereClause = () =>
    void clauses.push(clauses.at(-1) === 'aggregate filter' ? 'aggregate filter' : 'where')
  listener.exitWhereClause = exit
  listener.enterSelectList = enter('select list')
  listener.exitSelectList = exit
  // what a query specification holds outside its select list, WHERE, GROUP BY, HAVING and WINDOW is its FROM
  listener.enterQuerySpecification = enter('from')
  listener.exitQuerySpecification = exit
  listener.enterJoinCriteria = enter('join condition')
  listener.exitJoinCriteria = exit
  listener.enterGroupBy = enter('group by')
  listener.exitGroupBy = exit
  listener.enterHavingClause = enter('having')
  listener.exitHavingClause = exit
  listener.enterWindowDefinition = enter('window')
  listener.exitWindowDefinition = exit
  listener.enterFilter = enter('aggregate filter')
  listener.exitFilter = exit
  // what a query holds outside its query term (a query specification, VALUES, a subquery) is ORDER BY, OFFSET
  // and LIMIT (and FETCH)
  listener.enterQueryNoWith = enter('order by, offset or limit')
  listener.exitQueryNoWith = exit
  listener.enterInlineTable = enter('values')
  listener.exitInlineTable = exit

  const parameter = (at: { line: number; column: number }) => {
    const clause = clauses.at(-1)
    if (clause === 'where') return
    violations.push({
      rule: 'parameters-in-where',
      message: `a ? parameter in ${clause === undefined ? 'a statement that is no query' : `a ${clause}`} (line ${at.line}, column ${at.column + 1}): Athena takes parameters only inside a WHERE clause`,
      line: at.line,
      column: at.column + 1,
    })
  }
  listener.enterParameter = (ctx) => parameter(ctx.start ?? { line: 0, column: -1 })
  // LIMIT ? and OFFSET ?
  listener.enterRowCount = (ctx) => {
    const mark = ctx.QUESTION_MARK()
    if (mark) parameter(mark.symbol)
  }

  const statements: { line: number; column: number; statement: object }[] = []
  const queries = new Set<object>()
  listener.enterSingleStatement = (ctx) => {
    statements.push({
      line: ctx.start?.line ?? 0,
      column: ctx.start?.column ?? -1,
      statement: ctx.statement(),
    })
  }
  listener.enterStatementDefault = (ctx) => void queries.add(ctx)

  parser.listen(listener, tree)

  if (statements.length !== 1)
    violations.push({
      rule: 'one-query',
      message: `${statements.length} statements; Athena runs exactly one per query execution`,
      ...(statements[1] ? { line: statements[1].line, column: statements[1].column + 1 } : {}),
    })
  for (const { line, column, statement } of statements) {
    if (!queries.has(statement))
      violations.push({
        rule: 'one-query',
        message: `the statement at line ${line}, column ${column + 1} is not a query (SELECT or WITH ... SELECT)`,
        line,
        column: column + 1,
      })
  }
  return violations
}
