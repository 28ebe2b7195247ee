import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { z } from 'zod'
import { AthenaQueryEngine, AthenaQueryError } from '../adapters/athena-query-engine.ts'
import { addMetricGroup } from '../adapters/metric-groups.ts'
import { S3ObjectStore } from '../adapters/s3-object-store.ts'
import { type RunManifest, RunOutOfTimeError, runMarts } from '../core/analytics/run.ts'
import { nightlyAsOf } from '../core/analytics/schedule.ts'
import { useQueriesDir } from '../core/analytics/sql-files.ts'
import { useParquetWasm } from '../core/parquet/writer.ts'
import { type Clock, type ObjectStore, type QueryEngine, systemClock } from '../core/ports.ts'
import { isDay } from '../core/time/days.ts'
import { analyticsConfig } from './config.ts'

/**
 * Nightly analytics Lambda, started by EventBridge Scheduler at 03:30 Europe/London with the input
 * `{"scheduled_time": "<aws.scheduler.scheduled-time>"}`: runs every mart on Athena as of the last complete
 * London day. An operator can backfill with `{"as_of": "YYYY-MM-DD"}`. Failures are thrown: the scheduler
 * invokes the function asynchronously, so Lambda retries a failed run twice and then sends the event to the
 * function's dead-letter queue, whose alarm tells the operators.
 *
 * The function never waits on Athena longer than its own remaining time (DESIGN 9): the marts run one after
 * another, and each query may wait only for what is left of the invocation less FINISH_MARGIN_MS. A query
 * still running then is stopped (StopQueryExecution) and the run throws, so the retry starts from a clean
 * state: marts already done come back by their ClientRequestToken without a second scan, and the stopped one
 * is started again under a new token.
 */

/**
 * Time kept back from the remaining invocation time, for what follows the last wait on Athena: the mart's
 * results read back (funder_monthly, the largest at London scale, is 22,680 rows: 23 GetQueryResults pages),
 * written as Parquet and put, and the run manifest put (Object Lock, SSE-KMS); or, out of time,
 * StopQueryExecution (up to 5 attempts, about 4 s of backoff, when throttled) and the error logged. That is
 * some 10 s at worst without failures; 60 s leaves room for the SDKs' own retries and slow S3 or KMS answers,
 * and takes 1/15 of the function's 15 minutes from the queries, whose whole nightly run takes a few minutes.
 */
export const FINISH_MARGIN_MS = 60_000

const config = analyticsConfig(process.env)
useQueriesDir(config.queriesDir)
useParquetWasm(config.parquetWasm)
const logger = new Logger({
  serviceName: config.serviceName,
  persistentKeys: { lake_bucket: config.lakeBucket },
})
// outside Lambda (tests, local runs) the tracer is off by itself
const tracer = new Tracer({ serviceName: config.serviceName })
const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName, logger })
const store = new S3ObjectStore({ bucket: config.lakeBucket, objectLock: config.lock, tracer })
const engine = new AthenaQueryEngine({ workgroup: config.workgroup, database: config.database, tracer })

const day = z.string().refine(isDay, 'is not a date (YYYY-MM-DD)')

export const analyticsEvent = z.union([
  z.object({ as_of: day }).strict(),
  z.object({ scheduled_time: z.iso.datetime({ offset: true }) }).strict(),
])

export interface AnalyticsDependencies {
  store: ObjectStore
  engine: QueryEngine
  clock: Clock
  /** Default FINISH_MARGIN_MS. */
  marginMs?: number
}

/** The handler over its dependencies (the tests give it an engine on a virtual clock). */
export function analyticsHandler(
  dependencies: AnalyticsDependencies,
): (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<RunManifest> {
  const { store, engine, clock } = dependencies
  const marginMs = dependencies.marginMs ?? FINISH_MARGIN_MS
  return async (event, context) => {
    const parsed = analyticsEvent.parse(event)
    const asOf = 'as_of' in parsed ? parsed.as_of : nightlyAsOf(new Date(parsed.scheduled_time))
    const timeLeftMs = () => context.getRemainingTimeInMillis() - marginMs
    let manifest: RunManifest
    // every mart's rows, those of the presence run made first (manifest.earlier_runs) included
    const martRows: { mart: string; rows: number }[] = []
    try {
      manifest = await runMarts({
        store,
        engine,
        clock,
        asOf,
        timeLeftMs,
        onMart: (mart, rows) => martRows.push({ mart, rows }),
      })
    } catch (error) {
      if (
        error instanceof RunOutOfTimeError ||
        (error instanceof AthenaQueryError && error.kind === 'timeout')
      ) {
        logger.error('marts run out of time: thrown for a retry', {
          as_of: asOf,
          margin_ms: marginMs,
          remaining_ms: context.getRemainingTimeInMillis(),
          error: error as Error,
        })
      }
      throw error
    }
    for (const { mart, rows } of martRows) {
      addMetricGroup(metrics, { name: 'mart', value: mart }, { MartRows: rows })
    }
    logger.info('marts run', {
      run_id: manifest.run_id,
      earlier_runs: manifest.earlier_runs,
      as_of: manifest.as_of,
      bytes_scanned: manifest.bytes_scanned,
      marts: manifest.marts.map((m) => ({ mart: m.mart, rows: m.rows, bytes_scanned: m.bytes_scanned })),
    })
    return manifest
  }
}

export const handler = middy(analyticsHandler({ store, engine, clock: systemClock }))
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
