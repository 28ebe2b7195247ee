import { BatchProcessor, EventType, ParsingError, processPartialResponse } from '@aws-lambda-powertools/batch'
import { parser } from '@aws-lambda-powertools/batch/parser'
import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import { SSMClient } from '@aws-sdk/client-ssm'
import middy from '@middy/core'
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import { addMetricGroup } from '../adapters/metric-groups.ts'
import { S3ObjectStore } from '../adapters/s3-object-store.ts'
import { readPseudonymKey } from '../adapters/ssm-pseudonym-key.ts'
import { DropDateRefusedError } from '../core/ingest/drop-date.ts'
import { FileRejectedError } from '../core/ingest/formats.ts'
import { ingestLandedObject } from '../core/ingest/landed.ts'
import { parseLandingKey } from '../core/lake.ts'
import { useParquetWasm } from '../core/parquet/writer.ts'
import { systemClock } from '../core/ports.ts'
import { removeDeadWorkFolders } from '../core/work-folder.ts'
import { ingestConfig } from './config.ts'
import { type CreatedObject, type IngestQueueRecord, ingestQueueRecord } from './s3-event.ts'

/**
 * Ingest Lambda: S3 (landing/ ObjectCreated:*) -> SQS -> here. Each SQS record is one S3 event notification;
 * every object it names is ingested with the same domain call the CLI uses. A record that fails is reported in
 * `batchItemFailures`, so SQS redelivers only that message; ingest is idempotent (conditional creates keyed by
 * drop_id), so a redelivery after a partial run completes it and a redelivery after a full run writes nothing.
 */

// cold start: a missing LAKE_BUCKET stops the function here, with a message naming it
const config = ingestConfig(process.env)
useParquetWasm(config.parquetWasm)
const logger = new Logger({
  serviceName: config.serviceName,
  persistentKeys: { lake_bucket: config.lakeBucket },
})
// outside Lambda (tests, local runs) the tracer is off by itself
const tracer = new Tracer({ serviceName: config.serviceName })
const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName, logger })
const lake = new S3ObjectStore({ bucket: config.lakeBucket, objectLock: config.lock, tracer })
const ssm = new SSMClient({})
tracer.captureAWSv3Client(ssm)
// read once per container: a key that cannot be read stops the function here, with the parameter named
const settings = {
  pseudonymKey: await readPseudonymKey(config.pseudonymKeyParameter, ssm),
  accuracyLimitM: config.accuracyLimitM,
}

/**
 * A message that is not an S3 notification fails in the processor's parser, before ingestRecord sees it: this
 * says why in the log (the parser itself only logs at debug level).
 */
class IngestQueueProcessor extends BatchProcessor {
  override failureHandler(record: SQSRecord, error: Error) {
    if (error instanceof ParsingError) {
      logger.error('message is not an S3 ObjectCreated notification', { message_id: record.messageId, error })
    }
    return super.failureHandler(record, error)
  }
}
const processor = new IngestQueueProcessor(EventType.SQS, { parser, schema: ingestQueueRecord })

export class NotForThisLakeError extends Error {
  override name = 'NotForThisLakeError'
}

/**
 * A drop dated before the first drop date, where the Glue tables' partition projection starts: stored, it
 * would be in the lake but in no Athena query, mart or audit, so it is refused before anything is read or
 * written. The message fails like any other (redelivered, then to the dead-letter queue, whose alarm fires);
 * after a deploy with an earlier firstDropDate, a redrive of that queue ingests it.
 */
export class BeforeFirstDropError extends Error {
  override name = 'BeforeFirstDropError'
}

/** The object's key, once it is known to be a drop in this lake's landing/ area. */
function landedKey({ bucket, key }: CreatedObject): string {
  if (bucket !== config.lakeBucket) {
    throw new NotForThisLakeError(`s3://${bucket}/${key}: bucket is not the lake bucket ${config.lakeBucket}`)
  }
  const landing = parseLandingKey(key)
  if (!landing) {
    throw new NotForThisLakeError(
      `s3://${bucket}/${key}: not a landing key (landing/<feed>/<YYYY-MM-DD>/<file>)`,
    )
  }
  if (landing.dropDate < config.firstDropDate) {
    throw new BeforeFirstDropError(
      `s3://${bucket}/${key}: drop date ${landing.dropDate} is before the first drop date ${config.firstDropDate}, ` +
        "where the Glue tables' partition projection starts: Athena would never read it, so it is not ingested. " +
        'To load it, deploy with an earlier -c firstDropDate and redrive the ingest dead-letter queue.',
    )
  }
  return key
}

async function ingestRecord(record: IngestQueueRecord): Promise<void> {
  const notification = record.body
  if (notification.kind === 'test') {
    logger.info('S3 test event ignored', { message_id: record.messageId, bucket: notification.bucket })
    return
  }
  for (const object of notification.objects) {
    if (object.key.endsWith('/') && !object.size) {
      logger.info('folder marker ignored', { message_id: record.messageId, key: object.key })
      continue
    }
    try {
      const { manifest, outcome } = await ingestLandedObject(lake, landedKey(object), systemClock, {
        versionId: object.versionId,
        settings,
      })
      // the stack alarms on the share of a feed's rows quarantined (lib/monitoring.ts)
      addMetricGroup(
        metrics,
        { name: 'feed', value: manifest.feed },
        {
          RowsAccepted: manifest.rows_accepted,
          RowsQuarantined: manifest.rows_quarantined,
          RowsDuplicate: manifest.rows_duplicate,
        },
      )
      logger.info('drop ingested', {
        message_id: record.messageId,
        key: object.key,
        version_id: object.versionId,
        outcome,
        drop_id: manifest.drop_id,
        feed: manifest.feed,
        rows_in: manifest.rows_in,
        rows_accepted: manifest.rows_accepted,
        rows_quarantined: manifest.rows_quarantined,
        rows_duplicate: manifest.rows_duplicate,
      })
    } catch (error) {
      // Thrown, so the batch processor marks this SQS record failed and SQS redelivers it. A FileRejectedError
      // (the drop cannot be read at all: empty, unknown header, wrong feed, undecodable bytes) fails the same
      // way: after maxReceiveCount deliveries the message moves to the DLQ, whose depth alarm tells the
      // operators; the rejection itself is already recorded under quarantine/ with its reason. So does a
      // DropDateRefusedError (dated after tomorrow in London), whose dt= partition Athena will not project
      // before that day: the log and the alarm are what an operator sees. A BeforeFirstDropError too, with
      // nothing written (a quarantine record of that date would be as invisible).
      logger.error(
        error instanceof DropDateRefusedError
          ? 'drop refused: dated after tomorrow in London'
          : error instanceof FileRejectedError
            ? 'drop rejected: file cannot be read'
            : error instanceof BeforeFirstDropError
              ? 'drop refused: dated before the first drop date'
              : 'ingest failed',
        {
          message_id: record.messageId,
          bucket: object.bucket,
          key: object.key,
          error: error as Error,
        },
      )
      throw error
    }
  }
}

async function lambdaHandler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // /tmp outlives a runtime that was killed (out of memory, a timeout) when the environment is reused: what its
  // drops staged there would otherwise take room from every later drop
  const removed = await removeDeadWorkFolders()
  if (removed.length > 0) logger.warn('work folders of a dead runtime removed', { folders: removed })
  return processPartialResponse(event, ingestRecord, processor, {
    context,
    // one drop at a time: each is staged to /tmp and parsed on one core, so parallel records only add memory
    processInParallel: false,
    // every failure, even of the whole batch, is reported per record (never as an invocation error), so that
    // failures look the same whatever the batch size; they are counted by the DLQ-depth alarm and the logs
    throwOnFullBatchFailure: false,
  })
}

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
