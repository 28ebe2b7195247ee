import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import middy from '@middy/core'
import { z } from 'zod'
import { AthenaQueryEngine } from '../adapters/athena-query-engine.ts'
import { S3ObjectStore } from '../adapters/s3-object-store.ts'
import { type RunManifest, runMarts } from '../core/analytics/run.ts'
import { nightlyAsOf } from '../core/analytics/schedule.ts'
import { systemClock } from '../core/ports.ts'
import { parseDate } from '../core/time.ts'
import { analyticsConfig } from './config.ts'

/**
 * Nightly analytics Lambda, started by EventBridge Scheduler at 03:30 Europe/London with the input
 * `{"scheduled_time": "<aws.scheduler.scheduled-time>"}`: runs every mart on Athena as of the last complete
 * London day. An operator can backfill with `{"as_of": "YYYY-MM-DD"}`. Failures are thrown: the scheduler
 * invokes the function asynchronously, so Lambda retries a failed run twice and then sends the event to the
 * function's dead-letter queue, whose alarm tells the operators.
 */

const config = analyticsConfig(process.env)
const logger = new Logger({
  serviceName: config.serviceName,
  persistentKeys: { lake_bucket: config.lakeBucket },
})
const store = new S3ObjectStore({ bucket: config.lakeBucket, objectLock: config.lock })
const engine = new AthenaQueryEngine({ workgroup: config.workgroup, database: config.database })

const day = z.string().refine((text) => parseDate(text) !== undefined, 'is not a date (YYYY-MM-DD)')

export const analyticsEvent = z.union([
  z.object({ as_of: day }).strict(),
  z.object({ scheduled_time: z.iso.datetime({ offset: true }) }).strict(),
])

async function lambdaHandler(event: unknown): Promise<RunManifest> {
  const parsed = analyticsEvent.parse(event)
  const asOf = 'as_of' in parsed ? parsed.as_of : nightlyAsOf(new Date(parsed.scheduled_time))
  const manifest = await runMarts({ store, engine, clock: systemClock, asOf })
  logger.info('marts run', {
    run_id: manifest.run_id,
    as_of: manifest.as_of,
    bytes_scanned: manifest.bytes_scanned,
    marts: manifest.marts.map((m) => ({ mart: m.mart, rows: m.rows, bytes_scanned: m.bytes_scanned })),
  })
  return manifest
}

export const handler = middy(lambdaHandler).use(injectLambdaContext(logger, { resetKeys: true }))
