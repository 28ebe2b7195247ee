import {
  AthenaClient,
  type AthenaError,
  AthenaServiceException,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  type QueryExecutionState,
  type Row,
  StartQueryExecutionCommand,
  type StartQueryExecutionInput,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena'
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock'
import { commandLog, failureQueue, type SentCommand } from './sdk-fake.ts'

/**
 * An in-memory Athena behind aws-sdk-client-mock. It answers the four commands the query engine sends the way
 * Athena does: a repeated ClientRequestToken returns the same QueryExecutionId (and a token reused with other
 * input is refused), an execution walks through its scripted states one GetQueryExecution at a time,
 * GetQueryResults pages with NextToken and puts the header row first on the first page, and
 * StopQueryExecution cancels. Tests script what the next executions do and then assert the exact commands.
 */

export type FakeAthenaCommand =
  | 'StartQueryExecution'
  | 'GetQueryExecution'
  | 'GetQueryResults'
  | 'StopQueryExecution'

/** What one execution does. Unscripted executions succeed at once with no columns and no rows. */
export interface ExecutionScript {
  /** States reported by successive GetQueryExecution calls; the last one sticks. Default `['SUCCEEDED']`. */
  states?: QueryExecutionState[]
  stateChangeReason?: string
  athenaError?: AthenaError
  columns?: { name: string; type: string; precision?: number; scale?: number }[]
  /** Data rows (the fake adds the header row). `null` is an SQL null: a Datum without VarCharValue. */
  rows?: (string | null)[][]
  dataScannedInBytes?: number
  /** Default 'DML' (a SELECT: the first result row is the header). */
  statementType?: 'DML' | 'DDL' | 'UTILITY'
}

export interface FakeExecution {
  id: string
  input: StartQueryExecutionInput
  script: ExecutionScript
  polls: number
  stopped: boolean
}

export interface FakeAthena {
  mock: AwsClientStub<AthenaClient>
  client: AthenaClient
  /** The next StartQueryExecution calls that create an execution (not repeats of a token) follow these. */
  script(...scripts: ExecutionScript[]): void
  executions: Map<string, FakeExecution>
  /** The next calls of `command` fail with these errors, in order, before Athena looks at them. */
  failNext(command: FakeAthenaCommand, ...errors: Error[]): void
  /** Every command sent so far, in order, as `{ command: 'StartQueryExecution', input }`. */
  sent(): SentCommand[]
  restore(): void
}

export interface FakeAthenaOptions {
  /** Largest page GetQueryResults returns, whatever MaxResults asks for (Athena's own cap is 1000). */
  pageSize?: number
}

const serviceOptions = (name: string, message: string, httpStatusCode = 400) =>
  ({ name, $fault: 'client', message, Message: message, $metadata: { httpStatusCode } }) as const

export function tooManyRequests(message = 'Rate exceeded'): TooManyRequestsException {
  return new TooManyRequestsException(
    serviceOptions('TooManyRequestsException', message) as ConstructorParameters<
      typeof TooManyRequestsException
    >[0],
  )
}

/** A throttle as the SDK reports it when the service answers 429 with a generic error. */
export function throttling(name = 'ThrottlingException', httpStatusCode = 400): AthenaServiceException {
  return new AthenaServiceException(serviceOptions(name, 'Rate exceeded', httpStatusCode))
}

export function invalidRequest(message: string): InvalidRequestException {
  return new InvalidRequestException(
    serviceOptions('InvalidRequestException', message) as ConstructorParameters<
      typeof InvalidRequestException
    >[0],
  )
}

const TERMINAL = new Set<QueryExecutionState>(['SUCCEEDED', 'FAILED', 'CANCELLED'])

export function fakeAthena(options: FakeAthenaOptions = {}): FakeAthena {
  const pageSize = options.pageSize ?? 1000
  const log = commandLog()
  const mock = mockClient(AthenaClient)
  const executions = new Map<string, FakeExecution>()
  const byToken = new Map<string, FakeExecution>()
  const scripts: ExecutionScript[] = []
  const failures = failureQueue<FakeAthenaCommand>()
  let nextId = 1

  const execution = (id: string | undefined) => {
    const found = id === undefined ? undefined : executions.get(id)
    if (!found) throw invalidRequest(`QueryExecution ${id} was not found`)
    return found
  }
  const stateOf = (e: FakeExecution): QueryExecutionState => {
    if (e.stopped) return 'CANCELLED'
    // before the first poll an execution is in its first state; afterwards each poll moves one state on
    const states = e.script.states ?? ['SUCCEEDED']
    return states[Math.max(0, Math.min(e.polls, states.length) - 1)] ?? 'SUCCEEDED'
  }

  mock.on(StartQueryExecutionCommand).callsFake((input: StartQueryExecutionInput) => {
    log.record('StartQueryExecution', input)
    failures.throwIfQueued('StartQueryExecution')
    const token = input.ClientRequestToken
    if (token === undefined || token.length < 32 || token.length > 128) {
      throw invalidRequest('ClientRequestToken must be 32 to 128 characters')
    }
    const known = byToken.get(token)
    if (known) {
      if (JSON.stringify(known.input) !== JSON.stringify(input)) {
        throw invalidRequest('Idempotent parameters do not match')
      }
      return { QueryExecutionId: known.id }
    }
    const id = `0000000${nextId++}-aaaa-bbbb-cccc-dddddddddddd`.slice(-36)
    const created: FakeExecution = { id, input, script: scripts.shift() ?? {}, polls: 0, stopped: false }
    executions.set(id, created)
    byToken.set(token, created)
    return { QueryExecutionId: id }
  })

  mock.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId?: string }) => {
    log.record('GetQueryExecution', input)
    failures.throwIfQueued('GetQueryExecution')
    const e = execution(input.QueryExecutionId)
    e.polls++
    const state = stateOf(e)
    return {
      QueryExecution: {
        QueryExecutionId: e.id,
        Query: e.input.QueryString,
        StatementType: e.script.statementType ?? 'DML',
        WorkGroup: e.input.WorkGroup,
        QueryExecutionContext: e.input.QueryExecutionContext,
        ExecutionParameters: e.input.ExecutionParameters,
        Status: {
          State: state,
          ...(e.stopped
            ? { StateChangeReason: 'Query was cancelled by user' }
            : state === 'FAILED' || state === 'CANCELLED'
              ? {
                  StateChangeReason: e.script.stateChangeReason,
                  ...(e.script.athenaError ? { AthenaError: e.script.athenaError } : {}),
                }
              : {}),
        },
        Statistics: {
          DataScannedInBytes: state === 'SUCCEEDED' ? (e.script.dataScannedInBytes ?? 0) : 0,
          EngineExecutionTimeInMillis: 42,
        },
      },
    }
  })

  mock
    .on(GetQueryResultsCommand)
    .callsFake((input: { QueryExecutionId?: string; NextToken?: string; MaxResults?: number }) => {
      log.record('GetQueryResults', input)
      failures.throwIfQueued('GetQueryResults')
      const e = execution(input.QueryExecutionId)
      if (stateOf(e) !== 'SUCCEEDED') {
        throw invalidRequest(`Query has not yet finished. Current state: ${stateOf(e)}`)
      }
      const columns = e.script.columns ?? []
      const header: Row[] =
        (e.script.statementType ?? 'DML') === 'DML'
          ? [{ Data: columns.map((c) => ({ VarCharValue: c.name })) }]
          : []
      const all: Row[] = [
        ...header,
        ...(e.script.rows ?? []).map((row) => ({
          Data: row.map((value) => (value === null ? {} : { VarCharValue: value })),
        })),
      ]
      const start = input.NextToken === undefined ? 0 : Number(input.NextToken.replace(/^page-/, ''))
      if (!Number.isInteger(start) || start < 0 || start > all.length) {
        throw invalidRequest('The NextToken is not valid')
      }
      const size = Math.min(pageSize, input.MaxResults ?? 1000, 1000)
      const end = Math.min(start + size, all.length)
      const info: ColumnInfo[] = columns.map((c) => ({
        Name: c.name,
        Label: c.name,
        Type: c.type,
        Precision: c.precision ?? 0,
        Scale: c.scale ?? 0,
        Nullable: 'UNKNOWN',
        CaseSensitive: c.type === 'varchar',
      }))
      return {
        UpdateCount: 0,
        ResultSet: { Rows: all.slice(start, end), ResultSetMetadata: { ColumnInfo: info } },
        ...(end < all.length ? { NextToken: `page-${end}` } : {}),
      }
    })

  mock.on(StopQueryExecutionCommand).callsFake((input: { QueryExecutionId?: string }) => {
    log.record('StopQueryExecution', input)
    failures.throwIfQueued('StopQueryExecution')
    const e = execution(input.QueryExecutionId)
    if (!TERMINAL.has(stateOf(e))) e.stopped = true
    return {}
  })

  return {
    mock,
    client: new AthenaClient({ region: 'eu-west-2' }),
    script: (...more) => {
      scripts.push(...more)
    },
    executions,
    failNext: failures.failNext,
    sent: log.sent,
    restore: () => mock.restore(),
  }
}
