import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import middy from '@middy/core'
import { z } from 'zod'
import { addMetricGroup } from '../adapters/metric-groups.ts'
import { S3ObjectStore } from '../adapters/s3-object-store.ts'
import { SesMailer } from '../adapters/ses-mailer.ts'
import { systemClock } from '../core/ports.ts'
import { chartRasteriser } from '../core/reports/charts/rasterise.ts'
import { requestedPeriod } from '../core/reports/periods.ts'
import {
  describeUndelivered,
  type ReportSummary,
  sendReports,
  undelivered,
} from '../core/reports/send-reports.ts'
import { reportsConfig } from './config.ts'

/**
 * Reports Lambda, started by EventBridge Scheduler in Europe/London: weekly (Monday 07:00) with
 * `{"report": "weekly", "scheduled_time": "<aws.scheduler.scheduled-time>"}` sends each commander the scorecard
 * of the week that ended on the Sunday before; monthly (the 1st, 07:00) sends the funders the previous month.
 * `{"report": ..., "period": "2026-W46" | "2026-10"}` sends a given period that has ended (recipients already
 * sent to are skipped); add `"resend": {"reason": ..., "requested_by": ...}` to send the new figures to those
 * whose figures changed since they were sent, logged in the ledger. A recipient not delivered (stuck, failed,
 * suppressed, quota, or sent with figures that differ now) fails the invocation after everyone was tried: the scheduler invokes the function asynchronously, so Lambda retries it twice (recipients already
 * sent to are skipped) and then sends the event to the function's dead-letter queue, whose alarm tells the
 * operators.
 */

const config = reportsConfig(process.env)
const logger = new Logger({
  serviceName: config.serviceName,
  persistentKeys: { lake_bucket: config.lakeBucket },
})
// outside Lambda (tests, local runs) the tracer is off by itself
const tracer = new Tracer({ serviceName: config.serviceName })
const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName, logger })
const store = new S3ObjectStore({ bucket: config.lakeBucket, objectLock: config.lock, tracer })
const mailer = new SesMailer({ configurationSet: config.configurationSet, tracer })
const rasterise = chartRasteriser(config.rasteriser)

export const reportsEvent = z.union([
  z
    .object({ report: z.enum(['weekly', 'monthly']), scheduled_time: z.iso.datetime({ offset: true }) })
    .strict(),
  z
    .object({
      report: z.enum(['weekly', 'monthly']),
      period: z.string(),
      resend: z
        .object({ reason: z.string().trim().min(1), requested_by: z.string().trim().min(1) })
        .strict()
        .optional(),
    })
    .strict(),
])

export class ReportsNotDeliveredError extends Error {
  override name = 'ReportsNotDeliveredError'
}

async function lambdaHandler(event: unknown): Promise<ReportSummary> {
  const request = reportsEvent.parse(event)
  const resend = 'resend' in request && request.resend ? request.resend : undefined
  const summary = await sendReports({
    store,
    mailer,
    clock: systemClock,
    period: requestedPeriod(request),
    force: config.force,
    rasterise,
    resend: resend && { reason: resend.reason, requestedBy: resend.requested_by },
  })
  const notDelivered = undelivered(summary)
  const sends = new Map<string, number>()
  for (const { outcome } of summary.outcomes) sends.set(outcome.state, (sends.get(outcome.state) ?? 0) + 1)
  for (const [outcome, count] of sends)
    addMetricGroup(metrics, { name: 'outcome', value: outcome }, { Sends: count })
  logger.info('reports sent', {
    report: summary.report,
    period: summary.period,
    run_id: summary.run_id,
    outcomes: summary.outcomes.map((o) => ({ recipient: o.recipient.key, state: o.outcome.state })),
  })
  if (notDelivered.length > 0)
    throw new ReportsNotDeliveredError(
      describeUndelivered(
        summary,
        'to send the new figures, invoke with {"report", "period", "resend": {"reason", "requested_by"}}',
      ),
    )
  return summary
}

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
