import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { StartQueryExecutionCommand } from '@aws-sdk/client-athena'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ATHENA_MAX_ATTEMPTS,
  AthenaQueryEngine,
  type AthenaQueryEngineOptions,
  AthenaQueryError,
  athenaClient,
  athenaClientRequestToken,
  athenaParameterLiteral,
} from '../../functions/adapters/athena-query-engine.ts'
import {
  type FakeAthena,
  fakeAthena,
  invalidRequest,
  throttling,
  tooManyRequests,
} from './helpers/fake-athena.ts'

const WORKGROUP = 'hotspot-pipeline'
const DATABASE = 'hotspot'
const SCOPE = { workgroup: WORKGROUP, catalog: 'AwsDataCatalog', database: DATABASE }

const SQL = `with params as (select cast(? as date) as as_of, cast(? as varchar) as officer)
select hotspot_id, incidents, share from scorecards, params where officer = params.officer`
const PARAMETERS = ['2026-03-02', "O'Brien"]
const AS_OF = '2026-03-02'

const HEX64 = /^[0-9a-f]{64}$/

const failedWith = async (promise: Promise<unknown>): Promise<AthenaQueryError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AthenaQueryError)
  return error as AthenaQueryError
}

describe('athenaClientRequestToken', () => {
  it('is 64 hex characters, pinned, and the same for the same inputs', () => {
    const token = athenaClientRequestToken(SQL, PARAMETERS, AS_OF, SCOPE)
    expect(token).toMatch(HEX64)
    expect(athenaClientRequestToken(SQL, [...PARAMETERS], AS_OF, { ...SCOPE })).toBe(token)
    // pinned: changing the derivation would start every in-flight query a second time after a deploy
    expect(athenaClientRequestToken('select 1', [], undefined)).toBe(
      '3b134c592848c0dfd67a43dd432635c277eaa0693badebcf6a2472abdbe62047',
    )
  })

  it('changes with the SQL, each parameter, the as-of date, the scope, the attempt and the inputs', () => {
    const token = athenaClientRequestToken(SQL, PARAMETERS, AS_OF, SCOPE)
    const others = [
      athenaClientRequestToken(`${SQL} `, PARAMETERS, AS_OF, SCOPE),
      athenaClientRequestToken(SQL, ['2026-03-02', 'OBrien'], AS_OF, SCOPE),
      athenaClientRequestToken(SQL, ['2026-03-0', "2O'Brien"], AS_OF, SCOPE),
      athenaClientRequestToken(SQL, PARAMETERS, '2026-03-09', SCOPE),
      athenaClientRequestToken(SQL, PARAMETERS, undefined, SCOPE),
      athenaClientRequestToken(SQL, PARAMETERS, AS_OF, { ...SCOPE, workgroup: 'auditors' }),
      athenaClientRequestToken(SQL, PARAMETERS, AS_OF, { ...SCOPE, database: 'hotspot_staging' }),
      athenaClientRequestToken(SQL, PARAMETERS, AS_OF, { ...SCOPE, attempt: 2 }),
      // a same-day correction changes the drops a run reads: a rerun must not get the old execution back
      athenaClientRequestToken(SQL, PARAMETERS, AS_OF, { ...SCOPE, inputs: 'digest-before-correction' }),
      athenaClientRequestToken(SQL, PARAMETERS, AS_OF, { ...SCOPE, inputs: 'digest-after-correction' }),
    ]
    expect(new Set([token, ...others]).size).toBe(others.length + 1)
  })

  it('renders parameters as SQL string literals with quotes doubled', () => {
    expect(athenaParameterLiteral('2026-03-02')).toBe("'2026-03-02'")
    expect(athenaParameterLiteral("O'Brien")).toBe("'O''Brien'")
    expect(athenaParameterLiteral("''")).toBe("''''''")
    expect(athenaParameterLiteral('')).toBe("''")
  })
})

describe('AthenaQueryEngine: the commands it sends and how it reads the answers', () => {
  let athena: FakeAthena
  let sleeps: number[]
  let clock: number

  const engine = (options: Partial<AthenaQueryEngineOptions> = {}) =>
    new AthenaQueryEngine({
      workgroup: WORKGROUP,
      database: DATABASE,
      client: athena.client,
      timing: {
        sleep: async (ms) => {
          sleeps.push(ms)
          clock += ms
        },
        random: () => 0.5,
      },
      now: () => clock,
      ...options,
    })
  const commands = () => athena.sent().map((c) => c.command)
  const starts = () => athena.sent().filter((c) => c.command === 'StartQueryExecution')

  beforeEach(() => {
    athena = fakeAthena({ pageSize: 3 })
    sleeps = []
    clock = 1_000
  })
  afterEach(() => athena.restore())

  it('runs a query: start, poll with backoff, two pages of results without the header row', async () => {
    athena.script({
      states: ['QUEUED', 'RUNNING', 'SUCCEEDED'],
      columns: [
        { name: 'hotspot_id', type: 'varchar' },
        { name: 'incidents', type: 'bigint' },
        { name: 'share', type: 'decimal', precision: 5, scale: 2 },
      ],
      rows: [
        ['H001', '12', '0.25'],
        ['H002', null, '0.10'],
        ['H003', '7', null],
        ['', '0', '0.00'],
      ],
      dataScannedInBytes: 123_456_789,
    })
    const athenaEngine = engine()
    const result = await athenaEngine.query(SQL, PARAMETERS, { label: 'scorecards', asOf: AS_OF })

    const token = athenaClientRequestToken(SQL, PARAMETERS, AS_OF, SCOPE)
    expect(token).toMatch(HEX64)
    expect(athenaEngine.clientRequestToken(SQL, PARAMETERS, { asOf: AS_OF })).toBe(token)
    const [execution] = [...athena.executions.keys()]
    expect(athena.sent()).toEqual([
      {
        command: 'StartQueryExecution',
        input: {
          QueryString: SQL,
          ClientRequestToken: token,
          WorkGroup: WORKGROUP,
          QueryExecutionContext: { Database: DATABASE, Catalog: 'AwsDataCatalog' },
          ExecutionParameters: ["'2026-03-02'", "'O''Brien'"],
        },
      },
      { command: 'GetQueryExecution', input: { QueryExecutionId: execution } },
      { command: 'GetQueryExecution', input: { QueryExecutionId: execution } },
      { command: 'GetQueryExecution', input: { QueryExecutionId: execution } },
      { command: 'GetQueryResults', input: { QueryExecutionId: execution, MaxResults: 1000 } },
      {
        command: 'GetQueryResults',
        input: { QueryExecutionId: execution, MaxResults: 1000, NextToken: 'page-3' },
      },
    ])
    expect(sleeps).toEqual([250, 500])

    expect(result).toEqual({
      columns: [
        { name: 'hotspot_id', type: 'varchar' },
        { name: 'incidents', type: 'bigint' },
        { name: 'share', type: 'decimal(5,2)' },
      ],
      rows: [
        ['H001', '12', '0.25'],
        ['H002', null, '0.10'],
        ['H003', '7', null],
        ['', '0', '0.00'],
      ],
      stats: { elapsed_ms: 750, bytes_scanned: 123_456_789, execution_id: execution },
    })
  })

  it('sends the same token for the same query, so a rerun gets the same execution, and a new one per as-of', async () => {
    athena.script({ columns: [{ name: 'n', type: 'bigint' }], rows: [['1']] }, { rows: [] })
    const first = await engine().query(SQL, PARAMETERS, { label: 'a', asOf: AS_OF })
    // a fresh engine (a new Lambda after a crash) with another label: same token, same execution
    const again = await engine().query(SQL, PARAMETERS, { label: 'b', asOf: AS_OF })
    const nextWeek = await engine().query(SQL, PARAMETERS, { asOf: '2026-03-09' })

    const tokens = starts().map((c) => c.input.ClientRequestToken)
    expect(tokens[0]).toMatch(HEX64)
    expect(tokens[1]).toBe(tokens[0])
    expect(tokens[2]).toBe(athenaClientRequestToken(SQL, PARAMETERS, '2026-03-09', SCOPE))
    expect(tokens[2]).not.toBe(tokens[0])
    expect(again.stats.execution_id).toBe(first.stats.execution_id)
    expect(again.rows).toEqual([['1']])
    expect(nextWeek.stats.execution_id).not.toBe(first.stats.execution_id)
    expect(athena.executions.size).toBe(2)
  })

  it('leaves ExecutionParameters out when there are none, and uses the catalog it is given', async () => {
    await engine({ catalog: 'hotspot_catalog' }).query('select 1', [])
    expect(starts()).toEqual([
      {
        command: 'StartQueryExecution',
        input: {
          QueryString: 'select 1',
          ClientRequestToken: athenaClientRequestToken('select 1', [], undefined, {
            ...SCOPE,
            catalog: 'hotspot_catalog',
          }),
          WorkGroup: WORKGROUP,
          QueryExecutionContext: { Database: DATABASE, Catalog: 'hotspot_catalog' },
        },
      },
    ])
  })

  it('caps the poll interval at maxPollIntervalMs', async () => {
    athena.script({ states: ['QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'] })
    await engine({ pollIntervalMs: 100, maxPollIntervalMs: 1000 }).query('select 1', [])
    expect(sleeps).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it('keeps the first row of a statement without a header row (not a SELECT)', async () => {
    athena.script({
      statementType: 'UTILITY',
      columns: [{ name: 'tab_name', type: 'string' }],
      rows: [['x']],
    })
    expect((await engine().query('show tables', [])).rows).toEqual([['x']])
  })

  it('FAILED with a user error: throws a non-retryable AthenaQueryError naming reason and execution', async () => {
    const reason = "COLUMN_NOT_FOUND: line 2:8: Column 'hotspot' cannot be resolved"
    athena.script({
      states: ['RUNNING', 'FAILED'],
      stateChangeReason: reason,
      athenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false, ErrorMessage: reason },
    })
    const error = await failedWith(engine().query(SQL, PARAMETERS, { label: 'scorecards', asOf: AS_OF }))
    const [execution] = [...athena.executions.keys()]
    expect(error).toMatchObject({
      name: 'AthenaQueryError',
      state: 'FAILED',
      reason,
      executionId: execution,
      label: 'scorecards',
      retryable: false,
      kind: 'user',
      errorCategory: 2,
      errorType: 1006,
    })
    expect(error.message).toContain(reason)
    expect(error.message).toContain(execution)
    expect(error.message).toContain('scorecards')
    expect(commands()).toEqual(['StartQueryExecution', 'GetQueryExecution', 'GetQueryExecution'])
  })

  it('does not retry "Query exhausted resources at this scale factor", whatever Athena says', async () => {
    const reason = 'Query exhausted resources at this scale factor'
    athena.script({
      states: ['FAILED'],
      stateChangeReason: reason,
      athenaError: { ErrorCategory: 1, ErrorType: 1001, Retryable: true, ErrorMessage: reason },
    })
    const error = await failedWith(engine().query(SQL, PARAMETERS, { asOf: AS_OF }))
    expect(error).toMatchObject({ state: 'FAILED', retryable: false, kind: 'exhausted-resources' })
    expect(error.message).toContain(reason)
    expect(starts()).toHaveLength(1)
    expect(commands()).toEqual(['StartQueryExecution', 'GetQueryExecution'])
  })

  it.each([
    'Query cancelled by the bytes scanned cutoff per query limit',
    'Query cancelled! : Bytes scanned limit was exceeded',
    'Query cancelled: data scanned limit of 10 GB was exceeded',
    'BYTES_SCANNED_CUTOFF_PER_QUERY exceeded',
  ])('does not retry a cancellation by the bytes-scanned cutoff (%s)', async (reason) => {
    athena.script({ states: ['RUNNING', 'CANCELLED'], stateChangeReason: reason })
    const error = await failedWith(engine().query(SQL, PARAMETERS, { label: 'monthly', asOf: AS_OF }))
    expect(error).toMatchObject({ state: 'CANCELLED', retryable: false, kind: 'bytes-scanned-cutoff' })
    expect(error.message).toContain(reason)
    expect(error.message).toContain('bytes-scanned cutoff')
    expect(starts()).toHaveLength(1)
  })

  it('replaces a retryable system failure with a new execution under the next token', async () => {
    const reason = 'Amazon Athena experienced an internal error while executing this query'
    athena.script(
      {
        states: ['FAILED'],
        stateChangeReason: reason,
        athenaError: { ErrorCategory: 1, ErrorType: 401, Retryable: true, ErrorMessage: reason },
      },
      { columns: [{ name: 'n', type: 'bigint' }], rows: [['3']] },
    )
    const result = await engine().query(SQL, PARAMETERS, { asOf: AS_OF })
    expect(result.rows).toEqual([['3']])
    expect(starts().map((c) => c.input.ClientRequestToken)).toEqual([
      athenaClientRequestToken(SQL, PARAMETERS, AS_OF, { ...SCOPE, attempt: 1 }),
      athenaClientRequestToken(SQL, PARAMETERS, AS_OF, { ...SCOPE, attempt: 2 }),
    ])
    expect(result.stats.execution_id).toBe([...athena.executions.keys()][1])
    // the failure is seen at the first poll; then EXECUTION_RETRY's first wait, the draw at one half: 500 ms
    // (of up to 1 s) before the second execution
    expect(sleeps).toEqual([500])
  })

  it('gives up on retryable failures after the attempts of its execution retry, still marked retryable', async () => {
    const failure = {
      states: ['FAILED' as const],
      stateChangeReason: 'internal error',
      athenaError: { ErrorCategory: 1, Retryable: true },
    }
    athena.script(failure, failure)
    const error = await failedWith(engine({ executionRetry: { attempts: 2 } }).query(SQL, PARAMETERS))
    expect(error).toMatchObject({
      retryable: true,
      kind: 'system',
      executionId: [...athena.executions.keys()][1],
    })
    expect(error.message).toContain('[retryable]')
    expect(starts()).toHaveLength(2)
  })

  it('leaves throttling to the client: a throttle it did not absorb is thrown, not retried or replaced', async () => {
    athena.failNext('StartQueryExecution', tooManyRequests())
    await expect(engine().query('select 1', [])).rejects.toMatchObject({ name: 'TooManyRequestsException' })
    athena.failNext('GetQueryExecution', throttling('ThrottlingException', 429))
    await expect(engine().query('select 1', [])).rejects.toMatchObject({ name: 'ThrottlingException' })
    athena.failNext('GetQueryResults', throttling('ThrottlingException'))
    await expect(engine().query('select 1', [])).rejects.toMatchObject({ name: 'ThrottlingException' })
    expect(commands()).toEqual([
      'StartQueryExecution',
      'StartQueryExecution',
      'GetQueryExecution',
      'StartQueryExecution',
      'GetQueryExecution',
      'GetQueryResults',
    ])
    expect(sleeps).toEqual([])
  })

  it('reads the results with the SDK paginator: each page asks for the token the page before gave', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => [String(i)])
    athena.script({ columns: [{ name: 'n', type: 'bigint' }], rows })
    const result = await engine().query('select n', [])
    expect(result.rows).toEqual(rows)
    const [execution] = [...athena.executions.keys()]
    // pages of 3 rows, the header row first: tokens page-3 and page-6, no request after the last page
    expect(athena.sent().filter((c) => c.command === 'GetQueryResults')).toEqual(
      [undefined, 'page-3', 'page-6'].map((NextToken) => ({
        command: 'GetQueryResults',
        input: { QueryExecutionId: execution, MaxResults: 1000, NextToken },
      })),
    )
  })

  it('lets other errors through at once', async () => {
    athena.failNext('StartQueryExecution', invalidRequest('line 1:1: mismatched input'))
    await expect(engine().query('selec 1', [])).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'line 1:1: mismatched input',
    })
    expect(commands()).toEqual(['StartQueryExecution'])
  })

  it('stops an execution still running after timeoutMs and throws', async () => {
    athena.script({ states: ['QUEUED', 'RUNNING'] })
    const error = await failedWith(engine({ timeoutMs: 1000 }).query(SQL, PARAMETERS, { label: 'slow' }))
    const [execution] = [...athena.executions.keys()]
    expect(error).toMatchObject({
      state: 'TIMED_OUT',
      retryable: false,
      kind: 'timeout',
      executionId: execution,
    })
    expect(error.message).toContain('1000 ms')
    // polls at 0, 250, 750 and (the last wait shortened to the deadline) 1000 ms, then the stop
    expect(sleeps).toEqual([250, 500, 250])
    expect(athena.sent().at(-1)).toEqual({
      command: 'StopQueryExecution',
      input: { QueryExecutionId: execution },
    })
    expect(commands().filter((c) => c === 'StopQueryExecution')).toHaveLength(1)
    expect(athena.executions.get(execution as string)?.stopped).toBe(true)

    // the same query again (the run's retry) gets the cancelled execution back by its token, and replaces it
    // under the next token instead of failing on it for as long as Athena remembers the token
    const again = await engine().query(SQL, PARAMETERS, { label: 'slow' })
    const replacement = [...athena.executions.keys()][1]
    expect(again.stats.execution_id).toBe(replacement)
    expect(starts().map((c) => c.input.ClientRequestToken)).toEqual([
      athenaClientRequestToken(SQL, PARAMETERS, undefined, SCOPE),
      athenaClientRequestToken(SQL, PARAMETERS, undefined, SCOPE),
      athenaClientRequestToken(SQL, PARAMETERS, undefined, { ...SCOPE, attempt: 2 }),
    ])
    expect(athena.executions.get(execution as string)?.stopped).toBe(true)
  })

  it('does not replace an execution someone cancels while it is being polled', async () => {
    athena.script({
      states: ['RUNNING', 'RUNNING', 'CANCELLED'],
      stateChangeReason: 'Query was cancelled by user',
    })
    const error = await failedWith(engine().query(SQL, PARAMETERS, { label: 'stopped-by-hand' }))
    expect(error).toMatchObject({ state: 'CANCELLED', kind: 'cancelled', retryable: false })
    expect(commands()).toEqual([
      'StartQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
    ])
  })

  it("stops the execution when the query's own timeoutMs runs out, under a longer engine timeout", async () => {
    athena.script({ states: ['QUEUED', 'RUNNING'] })
    const error = await failedWith(
      engine().query(SQL, PARAMETERS, { label: 'mart', asOf: AS_OF, timeoutMs: 600 }),
    )
    const [execution] = [...athena.executions.keys()]
    expect(error).toMatchObject({
      state: 'TIMED_OUT',
      kind: 'timeout',
      retryable: false,
      executionId: execution,
    })
    expect(error.message).toContain('after 600 ms; StopQueryExecution sent')
    // polls at 0, 250 and 600 ms (the second wait shortened to the deadline), then the stop
    expect(sleeps).toEqual([250, 350])
    expect(athena.sent()).toEqual([
      {
        command: 'StartQueryExecution',
        input: expect.objectContaining({
          ClientRequestToken: athenaClientRequestToken(SQL, PARAMETERS, AS_OF, SCOPE),
        }),
      },
      { command: 'GetQueryExecution', input: { QueryExecutionId: execution } },
      { command: 'GetQueryExecution', input: { QueryExecutionId: execution } },
      { command: 'GetQueryExecution', input: { QueryExecutionId: execution } },
      { command: 'StopQueryExecution', input: { QueryExecutionId: execution } },
    ])
  })

  it("keeps the engine's timeoutMs when it is the shorter", async () => {
    athena.script({ states: ['RUNNING'] })
    const error = await failedWith(engine({ timeoutMs: 300 }).query('select 1', [], { timeoutMs: 60_000 }))
    expect(error.kind).toBe('timeout')
    expect(error.message).toContain('after 300 ms')
    expect(sleeps).toEqual([250, 50])
    expect(commands().at(-1)).toBe('StopQueryExecution')
  })

  it('does not replace a failed execution once the query is out of time', async () => {
    const failure = {
      states: ['RUNNING' as const, 'FAILED' as const],
      stateChangeReason: 'internal error',
      athenaError: { ErrorCategory: 1, Retryable: true },
    }
    athena.script(failure)
    // the failure is seen at 250 ms, exactly at the deadline
    const error = await failedWith(engine().query('select 1', [], { timeoutMs: 250 }))
    expect(error).toMatchObject({ state: 'FAILED', retryable: true })
    expect(starts()).toHaveLength(1)
  })

  it('does not replace a failed execution when its backoff would end after the deadline', async () => {
    const failure = {
      states: ['RUNNING' as const, 'FAILED' as const],
      stateChangeReason: 'internal error',
      athenaError: { ErrorCategory: 1, Retryable: true },
    }
    athena.script(failure)
    // the failure is seen at 250 ms of 300; the replacement's 500 ms wait would start it at 750 ms
    const error = await failedWith(engine().query('select 1', [], { timeoutMs: 300 }))
    expect(error).toMatchObject({ state: 'FAILED', retryable: true })
    expect(starts()).toHaveLength(1)
    expect(sleeps).toEqual([250])
  })

  it('does not start a query with no time left to wait for it', async () => {
    for (const timeoutMs of [0, -5_000]) {
      await expect(engine().query('select 1', [], { label: 'late', timeoutMs })).rejects.toThrow(
        /Athena query late not started: no time left/,
      )
    }
    expect(athena.sent()).toEqual([])
  })

  it('a query with plenty of time sends exactly what it sends without a timeout of its own', async () => {
    const script = { states: ['QUEUED' as const, 'RUNNING' as const, 'SUCCEEDED' as const], rows: [['1']] }
    athena.script(script)
    const unbounded = await engine().query('select 1', [], { asOf: AS_OF })
    const without = athena.sent()
    const sleptWithout = [...sleeps]
    athena.restore()
    athena = fakeAthena({ pageSize: 3 })
    sleeps = []
    athena.script(script)
    const bounded = await engine().query('select 1', [], { asOf: AS_OF, timeoutMs: 14 * 60_000 })
    expect(athena.sent()).toEqual(without)
    expect(sleeps).toEqual(sleptWithout)
    expect(bounded.rows).toEqual(unbounded.rows)
  })

  it('still reports the timeout when StopQueryExecution fails', async () => {
    athena.script({ states: ['RUNNING'] })
    athena.failNext('StopQueryExecution', invalidRequest('Query has already finished'))
    const error = await failedWith(engine({ timeoutMs: 100 }).query('select 1', []))
    expect(error.kind).toBe('timeout')
    expect(commands().at(-1)).toBe('StopQueryExecution')
  })
})

describe("athenaClient: retries of single calls are the SDK client's", () => {
  it('uses the standard retry mode with ATHENA_MAX_ATTEMPTS attempts', async () => {
    const client = athenaClient({ region: 'eu-west-2' })
    expect(await client.config.maxAttempts()).toBe(ATHENA_MAX_ATTEMPTS)
    const { retryMode } = client.config
    expect(typeof retryMode === 'string' ? retryMode : await retryMode()).toBe('standard')
  })

  it('sends a throttled StartQueryExecution again, unchanged (same token), until Athena takes it', async () => {
    // Athena's JSON protocol on loopback: two throttles, then the execution id
    const bodies: string[] = []
    const server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8')
      })
      request.on('end', () => {
        bodies.push(body)
        const throttled = bodies.length <= 2
        response.writeHead(throttled ? 400 : 200, { 'content-type': 'application/x-amz-json-1.1' })
        response.end(
          JSON.stringify(
            throttled
              ? { __type: 'TooManyRequestsException', Message: 'Rate exceeded' }
              : { QueryExecutionId: 'execution-1' },
          ),
        )
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const client = athenaClient({
        region: 'eu-west-2',
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      })
      const token = athenaClientRequestToken(SQL, PARAMETERS, AS_OF, SCOPE)
      const started = await client.send(
        new StartQueryExecutionCommand({ QueryString: SQL, ClientRequestToken: token, WorkGroup: WORKGROUP }),
      )
      expect(started.QueryExecutionId).toBe('execution-1')
      expect(bodies).toHaveLength(3)
      expect(new Set(bodies).size).toBe(1)
      expect(JSON.parse(bodies[0] as string)).toEqual({
        QueryString: SQL,
        ClientRequestToken: token,
        WorkGroup: WORKGROUP,
      })
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
