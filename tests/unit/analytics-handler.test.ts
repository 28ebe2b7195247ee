import type { Context } from 'aws-lambda'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { composeMart, MART_NAMES, martQuery, PRESENCE_MARTS } from '../../functions/core/analytics/marts.ts'
import type { RunManifest } from '../../functions/core/analytics/run.ts'
import { nightlyAsOf } from '../../functions/core/analytics/schedule.ts'
import { type ExecutionScript, type FakeAthena, fakeAthena } from './helpers/fake-athena.ts'
import { type FakeS3, fakeS3 } from './helpers/fake-s3.ts'

const LAKE = 'hotspot-lake-test'
const WORKGROUP = 'pipeline'
const DATABASE = 'hotspot'

type Handler = (event: unknown, context: Context) => Promise<RunManifest>
/** A fresh invocation: Lambda's 15 minutes, nearly all of them left. */
const context = {
  functionName: 'analytics',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 899_000,
} as Context

function referenceManifest(kind: string, stored: string, version: string, loadedAt: string) {
  return [
    `manifests/reference/${stored}/${version}.json`,
    JSON.stringify({
      manifest_version: 1,
      kind,
      version,
      schema_version: 1,
      source: { name: 'x', sha256: 'x', bytes: 1 },
      loaded_at: loadedAt,
      keys: [],
      summary: {},
    }),
  ] as const
}

describe('nightly as-of date', () => {
  it('is the London day before the run, across both clock changes', () => {
    // 03:30 BST on Monday 30 March 2026 is 02:30 UTC: as of Sunday 29 March (the day the clocks went forward)
    expect(nightlyAsOf(new Date('2026-03-30T02:30:00Z'))).toBe('2026-03-29')
    // on Sunday 29 March the clocks go forward at 01:00 UTC, so that night's 03:30 BST run is at 02:30 UTC
    expect(nightlyAsOf(new Date('2026-03-29T02:30:00Z'))).toBe('2026-03-28')
    // 03:30 GMT on Monday 26 October 2026 is 03:30 UTC: as of Sunday 25 October (the day the clocks went back)
    expect(nightlyAsOf(new Date('2026-10-26T03:30:00Z'))).toBe('2026-10-25')
    expect(nightlyAsOf(new Date('2026-01-01T03:30:00Z'))).toBe('2025-12-31')
  })
})

describe('analytics handler', () => {
  let s3: FakeS3
  let athena: FakeAthena
  let handler: Handler
  let module: typeof import('../../functions/analytics/handler.ts')

  beforeEach(async () => {
    vi.resetModules()
    s3 = fakeS3({ buckets: [LAKE] })
    athena = fakeAthena()
    s3.seed(LAKE, ...referenceManifest('weights', 'harm_weights', 'w-old', '2026-01-01T00:00:00Z'))
    s3.seed(LAKE, ...referenceManifest('weights', 'harm_weights', 'w-new', '2026-02-01T00:00:00Z'))
    s3.seed(LAKE, ...referenceManifest('register', 'register', 'r-1', '2026-01-01T00:00:00Z'))
    s3.seed(LAKE, ...referenceManifest('population', 'population', 'p-old', '2026-01-01T00:00:00Z'))
    s3.seed(LAKE, ...referenceManifest('population', 'population', 'p-new', '2026-02-01T00:00:00Z'))
    s3.seed(LAKE, 'curated/incidents/dt=2026-03-28/incidents-2026-03-28-aaaa.parquet', 'x')
    s3.seed(LAKE, 'curated/incidents/dt=2026-03-30/incidents-2026-03-30-bbbb.parquet', 'x')
    vi.stubEnv('LAKE_BUCKET', LAKE)
    vi.stubEnv('ATHENA_WORKGROUP', WORKGROUP)
    vi.stubEnv('ATHENA_DATABASE', DATABASE)
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'hotspot-test')
    // dev mode turns metrics off unless told otherwise; on, they are written to the console
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false')
    vi.stubEnv('POWERTOOLS_DEV', 'true')
    module = await import('../../functions/analytics/handler.ts')
    handler = module.handler as unknown as Handler
  })

  afterEach(() => {
    s3.restore()
    athena.restore()
    vi.unstubAllEnvs()
  })

  /** Every mart answers one row of text values shaped by its declared columns. */
  function scriptOneRowPerMart(): void {
    athena.script(...MART_NAMES.map(oneRow))
  }

  function oneRow(mart: (typeof MART_NAMES)[number]): ExecutionScript {
    const columns = martQuery(mart).columns
    return {
      columns: columns.map((c) => ({
        name: c.name,
        type: c.kind === 'int' ? 'bigint' : c.kind === 'string' ? 'varchar' : c.kind,
      })),
      rows: [
        columns.map((c) =>
          c.kind === 'int'
            ? '3'
            : c.kind === 'double'
              ? '0.25'
              : c.kind === 'date'
                ? '2026-03-23'
                : c.kind === 'boolean'
                  ? 'true'
                  : c.kind === 'timestamp'
                    ? '2026-03-23 10:00:00.000'
                    : 'x',
        ),
      ],
      dataScannedInBytes: 1000,
    }
  }

  const athenaCommands = () => athena.sent().map((c) => c.command)
  const puts = () =>
    s3
      .sent()
      .filter((c) => c.command === 'PutObject')
      .map((c) => c.input.Key as string)

  it('runs every mart on Athena as of the last complete London day, with the latest reference versions', async () => {
    scriptOneRowPerMart()
    const manifest = await handler({ scheduled_time: '2026-03-30T02:30:00Z' }, context)
    expect(manifest.as_of).toBe('2026-03-29')
    expect(manifest.weights_version).toBe('w-new')
    expect(manifest.register_version).toBe('r-1')
    expect(manifest.population_version).toBe('p-new')
    // only drops dated on or before the as-of date are inputs
    expect(manifest.inputs.incidents).toEqual([
      { drop_id: 'incidents-2026-03-28-aaaa', drop_date: '2026-03-28' },
    ])
    const starts = athena.sent().filter((c) => c.command === 'StartQueryExecution')
    expect(starts.map((c) => c.input.QueryString)).toEqual(
      MART_NAMES.map((m) =>
        composeMart(m, {
          as_of: '2026-03-29',
          weights_version: 'w-new',
          register_version: 'r-1',
          population_version: 'p-new',
          presence_visits_run: manifest.earlier_runs[0],
        }),
      ),
    )
    for (const start of starts) {
      expect(start.input).toMatchObject({
        WorkGroup: WORKGROUP,
        QueryExecutionContext: { Database: DATABASE, Catalog: 'AwsDataCatalog' },
      })
      // the parameters are literals in the SQL: Athena takes `?` only inside a WHERE clause
      expect(start.input).not.toHaveProperty('ExecutionParameters')
    }
    // each presence mart first, in a run of its own that those after it read (runMarts)
    const rest = MART_NAMES.filter((m) => !PRESENCE_MARTS.includes(m))
    expect(manifest.earlier_runs).toHaveLength(PRESENCE_MARTS.length)
    expect(manifest.bytes_scanned).toBe(1000 * rest.length)
    const written = s3
      .sent()
      .filter((c) => c.command === 'PutObject')
      .map((c) => c.input.Key as string)
    expect(written).toEqual([
      ...PRESENCE_MARTS.flatMap((m, i) => [
        `results/${m}/as_of=2026-03-29/${manifest.earlier_runs[i]}.parquet`,
        `manifests/runs/${manifest.earlier_runs[i]}.json`,
      ]),
      ...rest.map((m) => `results/${m}/as_of=2026-03-29/${manifest.run_id}.parquet`),
      `manifests/runs/${manifest.run_id}.json`,
    ])
    expect(JSON.parse(s3.text(LAKE, `manifests/runs/${manifest.run_id}.json`) as string)).toEqual(manifest)
  })

  it("publishes each mart's row count as a metric of that mart (EMF)", async () => {
    scriptOneRowPerMart()
    const records: Array<Record<string, unknown>> = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      if (typeof line === 'string' && line.includes('"_aws"')) records.push(JSON.parse(line))
    })
    try {
      await handler({ scheduled_time: '2026-03-30T02:30:00Z' }, context)
      expect(records).toEqual(
        MART_NAMES.map((mart) => ({
          _aws: {
            Timestamp: expect.any(Number),
            CloudWatchMetrics: [
              {
                Namespace: 'hotspot-test',
                Dimensions: [['service', 'mart']],
                Metrics: [{ Name: 'MartRows', Unit: 'Count' }],
              },
            ],
          },
          service: 'hotspot-analytics',
          mart,
          MartRows: 1,
        })),
      )
      expect(records).toHaveLength(MART_NAMES.length)
    } finally {
      log.mockRestore()
    }
  })

  it("refuses an operator's as_of after today in London, before any query; today itself is allowed", async () => {
    const { S3ObjectStore } = await import('../../functions/adapters/s3-object-store.ts')
    const { AthenaQueryEngine } = await import('../../functions/adapters/athena-query-engine.ts')
    const run = module.analyticsHandler({
      store: new S3ObjectStore({ bucket: LAKE }),
      engine: new AthenaQueryEngine({ workgroup: WORKGROUP, database: DATABASE, client: athena.client }),
      // 00:30 BST on Monday 30 March 2026: today in London is the 30th, though it is still the 29th in UTC
      clock: { now: () => new Date('2026-03-29T23:30:00Z') },
    })
    await expect(run({ as_of: '2026-03-31' }, context)).rejects.toThrow(
      'as of 2026-03-31 is after today (2026-03-30 in London)',
    )
    expect(athenaCommands()).toEqual([])
    scriptOneRowPerMart()
    expect((await run({ as_of: '2026-03-30' }, context)).as_of).toBe('2026-03-30')
  })

  it('with plenty of time left, waits on each query as it would without a deadline (no StopQueryExecution)', async () => {
    scriptOneRowPerMart()
    const manifest = await handler({ as_of: '2026-03-29' }, context)
    expect(athenaCommands()).toEqual(
      MART_NAMES.flatMap(() => ['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults']),
    )
    expect(manifest.marts).toHaveLength(MART_NAMES.length - PRESENCE_MARTS.length)
  })

  it('out of time mid-run: stops the running execution, writes no manifest, and throws for a retry', async () => {
    // an engine on a virtual clock that the invocation's remaining time follows: 1 s left beyond the margin
    let now = 0
    const sleeps: number[] = []
    const { AthenaQueryEngine, AthenaQueryError } = await import(
      '../../functions/adapters/athena-query-engine.ts'
    )
    const { S3ObjectStore } = await import('../../functions/adapters/s3-object-store.ts')
    const engine = new AthenaQueryEngine({
      workgroup: WORKGROUP,
      database: DATABASE,
      client: athena.client,
      timing: {
        sleep: async (ms) => {
          sleeps.push(ms)
          now += ms
        },
        random: () => 0.5,
      },
      now: () => now,
    })
    const run = module.analyticsHandler({
      store: new S3ObjectStore({ bucket: LAKE }),
      engine,
      clock: { now: () => new Date('2026-03-30T02:30:05Z') },
    })
    const late = { getRemainingTimeInMillis: () => module.FINISH_MARGIN_MS + 1_000 - now }
    // the presence run at once; then the first mart takes 750 ms, and the second is still running when the
    // second left runs out
    athena.script(
      oneRow('presence_visits'),
      oneRow('presence_daily'),
      { ...oneRow('scorecard_weekly'), states: ['QUEUED', 'RUNNING', 'SUCCEEDED'] },
      { states: ['RUNNING'] },
    )

    const error = await run({ scheduled_time: '2026-03-30T02:30:00Z' }, late).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(AthenaQueryError)
    expect(error).toMatchObject({ state: 'TIMED_OUT', kind: 'timeout', label: 'patrol_dosage' })
    expect((error as Error).message).toContain('after 250 ms; StopQueryExecution sent')

    const [, , first, second] = [...athena.executions.keys()]
    const bound = {
      as_of: '2026-03-29',
      weights_version: 'w-new',
      register_version: 'r-1',
      population_version: 'p-new',
    }
    expect(
      athena
        .sent()
        .slice(0, 6)
        .map((c) => c.command),
    ).toEqual(PRESENCE_MARTS.flatMap(() => ['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults']))
    expect(athena.sent().slice(6)).toEqual([
      {
        command: 'StartQueryExecution',
        input: expect.objectContaining({ QueryString: composeMart('scorecard_weekly', bound) }),
      },
      { command: 'GetQueryExecution', input: { QueryExecutionId: first } },
      { command: 'GetQueryExecution', input: { QueryExecutionId: first } },
      { command: 'GetQueryExecution', input: { QueryExecutionId: first } },
      { command: 'GetQueryResults', input: { QueryExecutionId: first, MaxResults: 1000 } },
      {
        command: 'StartQueryExecution',
        input: expect.objectContaining({ QueryString: composeMart('patrol_dosage', bound) }),
      },
      { command: 'GetQueryExecution', input: { QueryExecutionId: second } },
      { command: 'GetQueryExecution', input: { QueryExecutionId: second } },
      { command: 'StopQueryExecution', input: { QueryExecutionId: second } },
    ])
    // polls of the first mart at 0, 250 and 750 ms; of the second at 750 and 1000 ms, its deadline
    expect(sleeps).toEqual([250, 500, 250])
    expect(athena.executions.get(second as string)?.stopped).toBe(true)
    expect(puts()).toEqual([
      expect.stringMatching(/^results\/presence_visits\/as_of=2026-03-29\//),
      expect.stringMatching(/^manifests\/runs\//),
      expect.stringMatching(/^results\/presence_daily\/as_of=2026-03-29\//),
      expect.stringMatching(/^manifests\/runs\//),
      expect.stringMatching(/^results\/scorecard_weekly\/as_of=2026-03-29\//),
    ])
  })

  it('with no time left beyond the margin, starts no query and throws', async () => {
    scriptOneRowPerMart()
    const { RunOutOfTimeError } = await import('../../functions/core/analytics/run.ts')
    const nearlyOver = { ...context, getRemainingTimeInMillis: () => module.FINISH_MARGIN_MS } as Context
    const error = await handler({ as_of: '2026-03-29' }, nearlyOver).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(RunOutOfTimeError)
    expect((error as Error).message).toMatch(/no time left to run presence_visits \(0 of 1 marts done/)
    expect(athena.sent()).toEqual([])
    expect(puts()).toEqual([])
  })

  it('backfills a given as-of date', async () => {
    scriptOneRowPerMart()
    const manifest = await handler({ as_of: '2026-03-30' }, context)
    expect(manifest.as_of).toBe('2026-03-30')
    expect(manifest.inputs.incidents).toHaveLength(2)
  })

  it('throws on an event it does not understand, and when a query fails', async () => {
    await expect(handler({ as_of: '2026-02-30' }, context)).rejects.toThrow(/not a date/)
    // parseDate alone would read past the spaces; the date goes into SQL, so only the exact form is taken
    await expect(handler({ as_of: ' 2026-03-29\n' }, context)).rejects.toThrow(/not a date/)
    expect(athena.sent()).toEqual([])
    await expect(handler({ when: 'now' }, context)).rejects.toThrow()
    athena.script({
      states: ['FAILED'],
      stateChangeReason: 'COLUMN_NOT_FOUND',
      athenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false },
    })
    await expect(handler({ as_of: '2026-03-29' }, context)).rejects.toThrow(/COLUMN_NOT_FOUND/)
    expect(s3.keys(LAKE).some((k) => k.startsWith('manifests/runs/'))).toBe(false)
  })

  it('refuses to start without its configuration', async () => {
    vi.resetModules()
    vi.stubEnv('ATHENA_WORKGROUP', undefined)
    await expect(import('../../functions/analytics/handler.ts')).rejects.toThrow(/ATHENA_WORKGROUP/)
  })
})

describe('lake lock settings', () => {
  it('come all together or not at all', async () => {
    const { lakeLock } = await import('../../functions/core/config.ts')
    expect(lakeLock({}, 'f')).toBeUndefined()
    expect(
      lakeLock(
        { LAKE_LOCK_MODE: 'COMPLIANCE', LAKE_LOCK_DAYS: 30, LAKE_LOCKED_PREFIXES: 'archive/, manifests/' },
        'f',
      ),
    ).toEqual({
      mode: 'COMPLIANCE',
      days: 30,
      prefixes: ['archive/', 'manifests/'],
    })
    expect(() => lakeLock({ LAKE_LOCK_MODE: 'GOVERNANCE' }, 'f')).toThrow(/together or not at all/)
  })
})
