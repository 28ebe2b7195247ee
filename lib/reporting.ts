/**
 * The reports (DESIGN 8 and 9): the weekly commander scorecards on Monday at 07:00 and the monthly funder report on
 * the 1st at 07:00, Europe/London, by EventBridge Scheduler; one reports Lambda for both, which reads the latest
 * completed run's results/, the recipients and the register, records each send in ledger/ and archives the .eml
 * under archive/ (Object Lock), and sends through SES with the stack's configuration set.
 *
 * SES may send only from the configured sender (`ses:FromAddress`), through that configuration set; the sender's
 * address or domain must already be a verified SES identity in the account (README, "Deploy to AWS").
 */
import { type CfnResource, Duration, Stack } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as scheduler from 'aws-cdk-lib/aws-scheduler'
import * as ses from 'aws-cdk-lib/aws-ses'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { type FunctionSettings, HotspotFunction } from './lambda.ts'
import type { IMonitoring } from './monitoring.ts'
import { MONTHLY_REPORT, scheduledInvoke, WEEKLY_SCORECARD } from './schedule.ts'
import type { IStorage } from './storage.ts'

export const REPORTS_HANDLER = 'functions/reports/handler.ts'
/** Actions that send an email with SESv2 SendEmail (simple or raw content). */
export const SES_SEND_ACTIONS = ['ses:SendEmail', 'ses:SendRawEmail'] as const

export interface ReportingProps extends FunctionSettings {
  readonly storage: IStorage
  readonly monitoring: IMonitoring
  /** The From address (a verified SES identity, or an address of a verified domain). */
  readonly sender: string
  /** The force's name, in subjects and headings. */
  readonly forceArea: string
}

export class Reporting extends Construct {
  readonly function: HotspotFunction
  /** What every report is sent through: TLS required, bounces and complaints suppressed and alerted. */
  readonly configurationSet: ses.ConfigurationSet
  readonly deadLetterQueue: sqs.Queue
  readonly weekly: scheduler.Schedule
  readonly monthly: scheduler.Schedule
  readonly weeklyDeadLetterQueue: sqs.Queue
  readonly monthlyDeadLetterQueue: sqs.Queue

  constructor(scope: Construct, id: string, props: ReportingProps) {
    super(scope, id)
    const { storage, monitoring } = props
    const stack = Stack.of(this)

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      // scorecards carry police data: never hand them to a mail server that will not take them over TLS
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    })
    // its logical id from before it moved here from Monitoring: a new one would replace the configuration set,
    // under a new name, with its reputation metrics started afresh
    ;(this.configurationSet.node.defaultChild as CfnResource).overrideLogicalId(
      'MonitoringConfigurationSetE781C029',
    )
    monitoring.alertOnEmailEvents(this.configurationSet)

    this.deadLetterQueue = monitoring.deadLetterQueue(
      'ReportsDeadLetters',
      'report runs that did not deliver to every recipient after Lambda retried them twice',
      'lambda-async',
    )
    this.function = new HotspotFunction(this, 'Function', {
      entry: REPORTS_HANDLER,
      description: 'Sends the weekly commander scorecards and the monthly funder report (DESIGN 8)',
      serviceName: 'hotspot-reports',
      // charts are rendered in the function (Vega, then PNG)
      memorySize: 2048,
      timeout: Duration.minutes(10),
      logLevel: props.logLevel,
      logRetentionDays: props.logRetentionDays,
      deadLetterQueue: this.deadLetterQueue,
      // charts/text.ts reads its fonts beside the module (`./fonts/`), i.e. beside the bundle; resvg's WebAssembly
      // build draws the charts here (its native addon has no arm64 build to ship, and is left out)
      assets: [
        { from: 'functions/core/reports/charts/fonts', to: 'fonts' },
        { from: 'node_modules/@resvg/resvg-wasm/index_bg.wasm', to: 'resvg.wasm', env: 'RESVG_WASM' },
      ],
      externalModules: ['@resvg/resvg-js'],
    })
    this.function.bindBucket(
      'LAKE_BUCKET',
      storage.data,
      {
        read: [
          'results/*',
          'manifests/runs/*',
          'manifests/reference/recipients/*',
          'manifests/reference/register/*',
          // where `hotspot load recipients` puts each version (core/lake.ts referenceKey)
          'reference/recipients/*',
          'reference/register/*',
          'ledger/*',
          'archive/*',
        ],
        write: ['ledger/*', 'archive/*'],
        // it asks whether a ledger entry exists (HEAD): a 404, not a 403, needs s3:ListBucket unconditioned
        list: 'bucket',
        why: 'the latest run, the recipients and the register in; the send ledger and the archived .eml out',
      },
      storage.recordsLock,
    )
    this.function.addEnvironment('SES_CONFIGURATION_SET', this.configurationSet.configurationSetName)
    this.function.addEnvironment('FORCE_NAME', props.forceArea)

    const domain = props.sender.slice(props.sender.lastIndexOf('@') + 1)
    const identity = (name: string) =>
      stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name })
    this.function.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...SES_SEND_ACTIONS],
        resources: [
          identity(props.sender),
          identity(domain),
          stack.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: this.configurationSet.configurationSetName,
          }),
        ],
        conditions: { StringEquals: { 'ses:FromAddress': props.sender } },
      }),
    )
    monitoring.watchFunction(this.function)

    this.weeklyDeadLetterQueue = monitoring.deadLetterQueue(
      'WeeklyScheduleDeadLetters',
      'weekly scorecard events EventBridge Scheduler could not deliver to the reports function',
      'scheduler',
    )
    this.weekly = scheduledInvoke(this, 'Weekly', {
      function: this.function,
      expression: WEEKLY_SCORECARD,
      description: 'Weekly commander scorecards, Monday 07:00 Europe/London: the week that ended on Sunday',
      input: { report: 'weekly' },
      deadLetterQueue: this.weeklyDeadLetterQueue,
    })
    this.monthlyDeadLetterQueue = monitoring.deadLetterQueue(
      'MonthlyScheduleDeadLetters',
      'monthly report events EventBridge Scheduler could not deliver to the reports function',
      'scheduler',
    )
    this.monthly = scheduledInvoke(this, 'Monthly', {
      function: this.function,
      expression: MONTHLY_REPORT,
      description: 'Monthly funder report, the 1st at 07:00 Europe/London: the month before',
      input: { report: 'monthly' },
      deadLetterQueue: this.monthlyDeadLetterQueue,
    })
  }
}
