/**
 * What tells a person that something went wrong (DESIGN 9, issue 5): one SNS topic, encrypted, TLS only, with
 * the alert address subscribed; an alarm on every dead-letter queue (any message at all), on every function's
 * errors (one is enough) and on the account's SES reputation (bounce rate >= 2.5%, complaint rate >= 0.05%, below
 * the levels at which SES reviews and then pauses an account: 5% and 0.1%), on the share of each feed's rows
 * quarantined, from the ingest function's metrics. The SES configuration set the reports are sent through
 * (Reporting's) publishes every bounce and complaint to the same topic.
 */
import { ArnFormat, Aws, type CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as kms from 'aws-cdk-lib/aws-kms'
import * as ses from 'aws-cdk-lib/aws-ses'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import type { HotspotFunction } from './lambda.ts'
import { acknowledge } from './nag.ts'

/** SES reputation thresholds (fractions, as SES publishes them). */
export const SES_BOUNCE_RATE_ALARM = 0.025
export const SES_COMPLAINT_RATE_ALARM = 0.0005

/**
 * The share of a feed's rows quarantined in an hour that raises an alarm. A clean feed quarantines a few rows
 * in a thousand (mistyped dates, cells outside the force); one in twenty is a feed that changed.
 */
export const QUARANTINED_SHARE_ALARM = 0.05
const QUARANTINE_PERIOD = Duration.hours(1)

/** How long a dead letter is kept: SQS's maximum, so a long weekend does not lose one. */
export const DEAD_LETTER_RETENTION = Duration.days(14)

/**
 * Who sends to a dead-letter queue. cdk-nag (AwsSolutions-SQS3) recognises a queue as a DLQ only when a queue's
 * redrive policy or a function's DeadLetterConfig names it; the others need saying.
 */
export type DeadLetterSource = 'sqs-redrive' | 'lambda-async' | 'scheduler' | 'sns-subscription'

export interface MonitoringProps {
  readonly alertEmail: string
}

/** What the other constructs ask of monitoring: dead-letter queues, and alarms on what they run. */
export interface IMonitoring {
  deadLetterQueue(id: string, holds: string, source: DeadLetterSource): sqs.Queue
  watchFunction(fn: HotspotFunction): cloudwatch.Alarm
  watchQuarantine(fn: HotspotFunction, feeds: readonly string[]): cloudwatch.Alarm[]
  alertOnEmailEvents(configurationSet: ses.ConfigurationSet): void
}

export class Monitoring extends Construct implements IMonitoring {
  readonly topic: sns.Topic
  readonly topicKey: kms.Key
  /** The CloudWatch namespace of the functions' own metrics (Powertools EMF): `hotspot/<stack name>`. */
  readonly metricsNamespace: string
  readonly alarms: cloudwatch.Alarm[] = []
  readonly deadLetterQueues: sqs.Queue[] = []
  private readonly action: actions.SnsAction

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id)
    const stack = Stack.of(this)
    this.metricsNamespace = `hotspot/${stack.stackName}`

    // A key of its own: CloudWatch and SES may use it (to publish encrypted alarms and events), and nothing else.
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: `${stack.stackName}: the alerts topic (SNS SSE)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    })
    this.topic = new sns.Topic(this, 'Alerts', {
      displayName: `${stack.stackName} alerts`,
      masterKey: this.topicKey,
      enforceSSL: true,
    })
    this.action = new actions.SnsAction(this.topic)
    this.allowServiceToPublish(
      'cloudwatch.amazonaws.com',
      stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: '*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    )

    const alertsDeadLetters = this.deadLetterQueue(
      'AlertEmailDeadLetters',
      'alert emails SNS could not deliver to the alert address',
      'sns-subscription',
    )
    this.topic.addSubscription(
      new subscriptions.EmailSubscription(props.alertEmail, { deadLetterQueue: alertsDeadLetters }),
    )

    this.alarm(
      'SesBounceRate',
      new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName: 'Reputation.BounceRate',
        statistic: 'Maximum',
        period: Duration.hours(1),
      }),
      SES_BOUNCE_RATE_ALARM,
      `The account's SES bounce rate reached ${SES_BOUNCE_RATE_ALARM * 100}% (SES reviews an account at 5%, pauses ` +
        'it at 10%). Check the recipients file for stale commander or funder addresses.',
    )
    this.alarm(
      'SesComplaintRate',
      new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName: 'Reputation.ComplaintRate',
        statistic: 'Maximum',
        period: Duration.hours(1),
      }),
      SES_COMPLAINT_RATE_ALARM,
      `The account's SES complaint rate reached ${SES_COMPLAINT_RATE_ALARM * 100}% (SES reviews an account at ` +
        '0.1%). A recipient marked a report as spam.',
    )
  }

  /**
   * A dead-letter queue: SQS-managed encryption, TLS only, messages kept 14 days, and an alarm on its first
   * message. It is the end of the line, so it has no redrive policy of its own.
   */
  deadLetterQueue(id: string, holds: string, source: DeadLetterSource): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    })
    acknowledge(
      queue,
      'Serverless-SQSRedrivePolicy',
      `This is a dead-letter queue (${holds}): the end of the line, watched by an alarm on its first message; ` +
        'a redrive policy of its own would move dead letters out of sight.',
    )
    if (source === 'scheduler' || source === 'sns-subscription') {
      acknowledge(
        queue,
        'AwsSolutions-SQS3',
        `This queue is a dead-letter queue, of ${source === 'scheduler' ? 'an EventBridge Scheduler target' : 'an SNS subscription'} ` +
          '(a redrive cdk-nag does not recognise, unlike an SQS redrive policy or a Lambda DeadLetterConfig).',
      )
    }
    this.deadLetterQueues.push(queue)
    this.alarm(
      `${id}NotEmpty`,
      queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
      1,
      `A message reached the dead-letter queue of ${holds}. Read it, fix the cause, then redrive or delete it.`,
    )
    return queue
  }

  /**
   * An alarm on the function's errors (one failed invocation is one too many for a nightly pipeline), and the
   * namespace its own metrics go to (POWERTOOLS_METRICS_NAMESPACE), where the alarms on them look.
   */
  watchFunction(fn: HotspotFunction): cloudwatch.Alarm {
    fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', this.metricsNamespace)
    return this.alarm(
      `${fn.node.scope?.node.id ?? fn.node.id}FunctionErrors`,
      fn.fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
      1,
      `The ${fn.serviceName} function failed (an invocation ended in an error). See its log group for the reason.`,
    )
  }

  /**
   * Each feed's share of rows quarantined (RowsQuarantined over all rows of its drops, from the ingest function's
   * metrics), alarmed at QUARANTINED_SHARE_ALARM: rows quarantined are missing from every mart, so a drop that
   * loses that many has a changed format or a broken source system behind it, which a person must look at
   * before the morning's reports go out. An hour without drops has no share (no data: not breaching).
   */
  watchQuarantine(fn: HotspotFunction, feeds: readonly string[]): cloudwatch.Alarm[] {
    return feeds.map((feed) => {
      const rows = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: this.metricsNamespace,
          metricName,
          dimensionsMap: { service: fn.serviceName, feed },
          statistic: 'Sum',
          period: QUARANTINE_PERIOD,
        })
      const share = new cloudwatch.MathExpression({
        expression: 'quarantined / (accepted + quarantined + duplicate)',
        usingMetrics: {
          accepted: rows('RowsAccepted'),
          quarantined: rows('RowsQuarantined'),
          duplicate: rows('RowsDuplicate'),
        },
        label: `Share of ${feed} rows quarantined`,
        period: QUARANTINE_PERIOD,
      })
      return this.alarm(
        `QuarantinedShare-${feed}`,
        share,
        QUARANTINED_SHARE_ALARM,
        `More than ${QUARANTINED_SHARE_ALARM * 100}% of the ${feed} rows ingested in an hour were quarantined: ` +
          `they are in no mart. Read the drop's quarantine file (quarantine/${feed}/) for the reasons.`,
      )
    })
  }

  /**
   * Lets SES publish the configuration set's bounces and complaints to the alerts topic, so the operator hears
   * of a commander whose scorecard bounced on the morning it bounced.
   */
  alertOnEmailEvents(configurationSet: ses.ConfigurationSet): void {
    const stack = Stack.of(this)
    this.allowServiceToPublish(
      'ses.amazonaws.com',
      stack.formatArn({
        service: 'ses',
        resource: 'configuration-set',
        resourceName: configurationSet.configurationSetName,
      }),
    )
    // the event destination also grants SES sns:Publish on the topic, for this configuration set and account
    const destination = configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: ses.EventDestination.snsTopic(this.topic),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
    })
    // its logical id from before the configuration set moved to Reporting
    ;(destination.node.defaultChild as CfnResource).overrideLogicalId(
      'MonitoringConfigurationSetBouncesAndComplaints750396D2',
    )
  }

  private alarm(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    description: string,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    })
    alarm.addAlarmAction(this.action)
    alarm.addOkAction(this.action)
    this.alarms.push(alarm)
    return alarm
  }

  /** Lets a service encrypt messages for the topic, on behalf of this account's resources only. */
  private allowServiceToPublish(service: string, sourceArn: string): void {
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': sourceArn },
        },
      }),
    )
  }
}
