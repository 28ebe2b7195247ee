/**
 * Ingest (DESIGN 2 and 4): a drop lands under `landing/` -> S3 sends ObjectCreated:* to an SQS queue -> the
 * ingest Lambda takes the messages in small batches and reports each failed one (partial batch response), so
 * only that message is seen again; after 3 receives it moves to the dead-letter queue, whose alarm fires on its
 * first message. The queue hides a message for 6 times the function's timeout while one invocation works on it
 * (AWS's guidance for SQS event sources: a retry of a timed-out batch never overlaps the first attempt).
 * The bucket's notification is Storage's (Storage.notifyOnCreated).
 */
import { Duration, Size } from 'aws-cdk-lib'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { FEED_NAMES } from '../functions/core/contracts/feeds.ts'
import { type FunctionSettings, HotspotFunction, PARQUET_WASM_ASSET } from './lambda.ts'
import type { IMonitoring } from './monitoring.ts'
import { acknowledge } from './nag.ts'
import type { IStorage } from './storage.ts'

export const INGEST_TIMEOUT = Duration.minutes(5)
/** SQS messages a single invocation takes (each names one drop; the handler ingests them one after another). */
export const INGEST_BATCH_SIZE = 5
export const INGEST_MAX_RECEIVE_COUNT = 3
/** Invocations at once: enough for a day's feeds arriving together, few enough to leave the account headroom. */
export const INGEST_MAX_CONCURRENCY = 5
export const LANDING_PREFIX = 'landing/'

export interface IngestProps extends FunctionSettings {
  readonly storage: IStorage
  readonly monitoring: IMonitoring
  /** Where the partition projection starts: the function refuses drops dated earlier (FIRST_DROP_DATE). */
  readonly firstDropDate: string
  /**
   * The SecureString SSM parameter holding the key that pseudonymises device ids: the force creates it out of
   * band (CloudFormation cannot create a SecureString, and the key must not be in a template).
   */
  readonly pseudonymKeyParameter: string
  /** Pings less accurate than this many metres are kept but flagged. */
  readonly pingAccuracyLimitM: number
}

export class Ingest extends Construct {
  readonly queue: sqs.Queue
  readonly deadLetterQueue: sqs.Queue
  readonly function: HotspotFunction
  readonly eventSourceMapping: lambda.EventSourceMapping

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id)
    const { storage, monitoring } = props

    this.deadLetterQueue = monitoring.deadLetterQueue(
      'IngestDeadLetters',
      `S3 events of drops the ingest function failed on ${INGEST_MAX_RECEIVE_COUNT} times`,
      'sqs-redrive',
    )
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(INGEST_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: INGEST_MAX_RECEIVE_COUNT },
    })

    this.function = new HotspotFunction(this, 'Function', {
      entry: 'functions/ingest/handler.ts',
      description: 'Ingests each drop that lands under landing/: validate, clean, store (DESIGN 4)',
      serviceName: 'hotspot-ingest',
      // 1 vCPU from 1769 MB; the bench's million-row drop peaks at ~340 MB (two threads: reading, Parquet writing)
      memorySize: 2048,
      timeout: INGEST_TIMEOUT,
      // the drop, its Parquet and its quarantine file are staged in /tmp
      ephemeralStorageSize: Size.gibibytes(4),
      logLevel: props.logLevel,
      logRetentionDays: props.logRetentionDays,
      // the Parquet writer thread (functions/core/ingest/threaded-sink.ts)
      workers: ['functions/core/ingest/parquet-worker.ts'],
      assets: [PARQUET_WASM_ASSET],
    })
    this.function.bindBucket(
      'LAKE_BUCKET',
      storage.data,
      {
        read: ['landing/*', 'manifests/ingest/*', 'manifests/claims/ingest/*'],
        // a drop is read at the version its S3 event names (an overwrite of the key is a new drop)
        readVersions: ['landing/*'],
        write: ['curated/*', 'quarantine/*', 'manifests/ingest/*', 'manifests/claims/ingest/*'],
        // it asks whether a drop's manifest exists (HEAD): a 404, not a 403, needs s3:ListBucket unconditioned
        list: 'bucket',
        why: 'a drop in, its validated rows, rejected rows, claim and manifest out',
      },
      storage.recordsLock,
    )
    this.function.addEnvironment('FIRST_DROP_DATE', props.firstDropDate)
    this.function.bindSecureParameter('PSEUDONYM_KEY_PARAMETER', props.pseudonymKeyParameter)
    this.function.addEnvironment('PING_ACCURACY_LIMIT_M', String(props.pingAccuracyLimitM))

    const source = new SqsEventSource(this.queue, {
      batchSize: INGEST_BATCH_SIZE,
      reportBatchItemFailures: true,
      maxConcurrency: INGEST_MAX_CONCURRENCY,
    })
    this.function.fn.addEventSource(source)
    const mapping = this.function.fn.node.children.find((c) => c instanceof lambda.EventSourceMapping)
    if (!(mapping instanceof lambda.EventSourceMapping)) throw new Error('ingest: no event source mapping')
    this.eventSourceMapping = mapping
    acknowledge(
      mapping,
      'Serverless-LambdaEventSourceMappingDestination',
      'An SQS event source takes no on-failure destination (Lambda supports one for streams and Kafka only): a ' +
        `message that fails ${INGEST_MAX_RECEIVE_COUNT} times goes to the ingest queue's dead-letter queue, which is alarmed.`,
    )
    acknowledge(
      this.function.fn,
      'Serverless-LambdaDLQ',
      'The ingest function is only ever invoked synchronously, by its SQS event source mapping; Lambda uses a ' +
        "function's DeadLetterConfig for asynchronous invocations only. Failed messages go to the ingest queue's " +
        'dead-letter queue (maxReceiveCount 3), which is alarmed.',
    )

    storage.notifyOnCreated(LANDING_PREFIX, this.queue)
    monitoring.watchFunction(this.function)
    monitoring.watchQuarantine(this.function, FEED_NAMES)
  }
}
