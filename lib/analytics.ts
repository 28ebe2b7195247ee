/**
 * The nightly marts (DESIGN 6 and 9): at 03:30 Europe/London the analytics Lambda runs every mart on Athena
 * (pipeline workgroup) as of the last complete London day, writes `results/<mart>/as_of=<date>/<run_id>.parquet`
 * and then the run's manifest `manifests/runs/<run_id>.json` (Object Lock).
 *
 * The SQL files travel with the bundle: queries/ is copied beside it and QUERIES_DIR names that copy.
 */
import { Duration } from 'aws-cdk-lib'
import type * as scheduler from 'aws-cdk-lib/aws-scheduler'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import type { ICatalog } from './catalog.ts'
import { PIPELINE_TABLES } from './glue-schema.ts'
import { type FunctionSettings, HotspotFunction, PARQUET_WASM_ASSET, TASK_ROOT } from './lambda.ts'
import type { IMonitoring } from './monitoring.ts'
import { NIGHTLY_MARTS, scheduledInvoke } from './schedule.ts'
import type { IStorage } from './storage.ts'

/** Where queries/ is in the Lambda (the bundle is unpacked at /var/task). */
export const LAMBDA_QUERIES_DIR = `${TASK_ROOT}/queries/`

export interface AnalyticsProps extends FunctionSettings {
  readonly storage: IStorage
  readonly catalog: ICatalog
  readonly monitoring: IMonitoring
}

export class Analytics extends Construct {
  readonly function: HotspotFunction
  readonly deadLetterQueue: sqs.Queue
  readonly scheduleDeadLetterQueue: sqs.Queue
  readonly schedule: scheduler.Schedule

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id)
    const { storage, catalog, monitoring } = props

    this.deadLetterQueue = monitoring.deadLetterQueue(
      'AnalyticsDeadLetters',
      'nightly runs of the marts that failed after Lambda retried them twice',
      'lambda-async',
    )
    this.function = new HotspotFunction(this, 'Function', {
      entry: 'functions/analytics/handler.ts',
      description: 'Runs the marts on Athena as of the last complete London day (DESIGN 6)',
      serviceName: 'hotspot-analytics',
      memorySize: 1024,
      // Lambda's maximum: the marts run one after another, each waiting for its Athena query, never past the
      // remaining time less a minute (handler.ts FINISH_MARGIN_MS): a query still running then is stopped and the
      // run throws. The retry gets the marts already done back by their ClientRequestToken without paying again,
      // and starts the stopped one afresh under a new token.
      timeout: Duration.minutes(15),
      logLevel: props.logLevel,
      logRetentionDays: props.logRetentionDays,
      deadLetterQueue: this.deadLetterQueue,
      // the marts' results are written as Parquet
      assets: [{ from: 'queries', to: 'queries' }, PARQUET_WASM_ASSET],
    })
    this.function.addEnvironment('QUERIES_DIR', LAMBDA_QUERIES_DIR)
    this.function.bindBucket(
      'LAKE_BUCKET',
      storage.data,
      {
        // the latest loaded register and harm weights (their reference manifests)
        read: ['manifests/reference/register/*', 'manifests/reference/harm_weights/*'],
        write: ['results/*', 'manifests/runs/*'],
        list: ['curated/', 'manifests/reference/register/', 'manifests/reference/harm_weights/'],
        why: 'the loaded reference versions in, the marts and the run manifest out',
      },
      storage.recordsLock,
    )
    this.function.bindWorkgroup(catalog, 'pipeline', PIPELINE_TABLES, storage.data)
    monitoring.watchFunction(this.function)

    this.scheduleDeadLetterQueue = monitoring.deadLetterQueue(
      'NightlyScheduleDeadLetters',
      'nightly schedule events EventBridge Scheduler could not deliver to the analytics function',
      'scheduler',
    )
    this.schedule = scheduledInvoke(this, 'Nightly', {
      function: this.function,
      expression: NIGHTLY_MARTS,
      description: 'Nightly marts, 03:30 Europe/London: as of the last complete London day',
      input: {},
      deadLetterQueue: this.scheduleDeadLetterQueue,
    })
  }
}
