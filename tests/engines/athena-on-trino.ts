/**
 * Athena's query API answered by a real Trino: the pipeline's own AthenaQueryEngine (and everything above it:
 * runMarts, the result files, the run manifest) runs unchanged, and each StartQueryExecution's QueryString is
 * executed as sent, in the database it names, on the Trino over the same lake. Only the AWS transport is faked
 * (aws-sdk-client-mock); the SQL meets a real engine. Results come back as Athena pages them: a header row
 * first, at most 1,000 rows a page, every value as text (VarCharValue) and SQL null as an empty datum.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type StartQueryExecutionInput,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena'
import { mockClient } from 'aws-sdk-client-mock'
import { PRESENCE_MARTS } from '../../functions/core/analytics/marts.ts'
import { martRunsTable } from '../../lib/glue-schema.ts'
import type { TextResult, TrinoLake } from './trino-lake.ts'

interface Execution {
  input: StartQueryExecutionInput
  result: Promise<TextResult | Error>
}

export interface AthenaOnTrino {
  client: AthenaClient
  /** Every StartQueryExecution input received, in order. */
  started: StartQueryExecutionInput[]
  restore(): void
}

export function athenaOnTrino(lake: TrinoLake): AthenaOnTrino {
  const client = new AthenaClient({
    region: 'eu-west-2',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  })
  const mock = mockClient(client)
  const executions = new Map<string, Execution>()
  const byToken = new Map<string, string>()
  const started: StartQueryExecutionInput[] = []

  mock.on(StartQueryExecutionCommand).callsFake((input: StartQueryExecutionInput) => {
    started.push(input)
    const known = input.ClientRequestToken ? byToken.get(input.ClientRequestToken) : undefined
    if (known) return { QueryExecutionId: known }
    if (input.QueryExecutionContext?.Database !== lake.schema)
      throw new Error(
        `athena-on-trino: database ${input.QueryExecutionContext?.Database}, expected ${lake.schema}`,
      )
    if (input.ExecutionParameters !== undefined)
      throw new Error('athena-on-trino: the pipeline sends no ExecutionParameters (literals only)')
    const id = `trino-${executions.size + 1}`
    const sql = input.QueryString as string
    // Athena's partition projection sees a run's results at once; Trino's Hive connector knows the partitions it
    // was told of: those of the presence marts' runs that the query reads through their views are registered first
    const runs = PRESENCE_MARTS.filter((mart) => new RegExp(`\\b${mart}(_runs)?\\b`).test(sql))
    const result = (async () => {
      for (const mart of runs) await lake.syncPartitions(martRunsTable(mart))
      return lake.query(sql)
    })().catch((error: Error) => error)
    executions.set(id, { input, result })
    if (input.ClientRequestToken) byToken.set(input.ClientRequestToken, id)
    return { QueryExecutionId: id }
  })

  const execution = (id: string | undefined) => {
    const found = executions.get(id ?? '')
    if (!found) throw new Error(`athena-on-trino: no execution ${id}`)
    return found
  }

  mock.on(GetQueryExecutionCommand).callsFake(async (input: { QueryExecutionId?: string }) => {
    const e = execution(input.QueryExecutionId)
    const result = await e.result
    const failed = result instanceof Error
    return {
      QueryExecution: {
        QueryExecutionId: input.QueryExecutionId,
        Query: e.input.QueryString,
        StatementType: 'DML',
        Status: failed
          ? {
              State: 'FAILED',
              StateChangeReason: result.message,
              AthenaError: {
                ErrorCategory: 2,
                ErrorType: 1000,
                Retryable: false,
                ErrorMessage: result.message,
              },
            }
          : { State: 'SUCCEEDED' },
        Statistics: { DataScannedInBytes: failed ? 0 : result.physicalInputBytes },
      },
    }
  })

  mock
    .on(GetQueryResultsCommand)
    .callsFake(async (input: { QueryExecutionId?: string; NextToken?: string }) => {
      const result = await execution(input.QueryExecutionId).result
      if (result instanceof Error) throw result
      const all = [
        { Data: result.columns.map((c) => ({ VarCharValue: c.name })) },
        ...result.rows.map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) })),
      ]
      const start = input.NextToken === undefined ? 0 : Number(input.NextToken)
      const end = Math.min(start + 1000, all.length)
      return {
        ResultSet: {
          Rows: all.slice(start, end),
          ResultSetMetadata: { ColumnInfo: result.columns.map((c) => ({ Name: c.name, Type: c.type })) },
        },
        ...(end < all.length ? { NextToken: String(end) } : {}),
      }
    })

  mock.on(StopQueryExecutionCommand).resolves({})

  return { client, started, restore: () => mock.restore() }
}
