/**
 * The hotspot pipeline in one stack (DESIGN 2 and 9):
 *
 *   storage     data bucket (the lake; Object Lock on archive/ and manifests/), Athena results bucket,
 *               access-log bucket, KMS key
 *   catalog     Glue database and tables (partition projection), Athena workgroups pipeline and auditors
 *   ingest      landing/ -> SQS (+ DLQ) -> ingest Lambda
 *   analytics   nightly schedule -> analytics Lambda -> Athena -> results/ + run manifest
 *   reporting   weekly and monthly schedules -> reports Lambda -> SES (configuration set)
 *   monitoring  SNS alerts topic, alarms on every DLQ, every function's errors, SES reputation and the share of
 *               each feed's rows quarantined
 *   auditors    an IAM role that reads and queries, and writes nothing but its query results
 */
import { CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import { Analytics } from './analytics.ts'
import { Auditors } from './auditors.ts'
import { Catalog } from './catalog.ts'
import type { HotspotConfig } from './config.ts'
import { Ingest } from './ingest.ts'
import type { FunctionSettings } from './lambda.ts'
import { Monitoring } from './monitoring.ts'
import { Reporting } from './reporting.ts'
import { Storage } from './storage.ts'

export interface HotspotStackProps extends StackProps {
  readonly config: HotspotConfig
}

export class HotspotStack extends Stack {
  readonly config: HotspotConfig
  readonly storage: Storage
  readonly catalog: Catalog
  readonly monitoring: Monitoring
  readonly ingest: Ingest
  readonly analytics: Analytics
  readonly reporting: Reporting
  readonly auditors: Auditors

  constructor(scope: Construct, id: string, props: HotspotStackProps) {
    super(scope, id, props)
    const { config } = props
    this.config = config
    const functions: FunctionSettings = {
      logLevel: config.logLevel,
      logRetentionDays: config.logRetentionDays,
    }
    // for cost allocation and for finding everything the pipeline owns
    Tags.of(this).add('application', 'hotspot')

    this.storage = new Storage(this, 'Storage', {
      namePrefix: this.stackName.toLowerCase(),
      recordsLock: config.recordsLock,
    })
    this.catalog = new Catalog(this, 'Catalog', {
      dataBucket: this.storage.data,
      resultsBucket: this.storage.results,
      key: this.storage.key,
      partitionStart: config.firstDropDate,
    })
    this.monitoring = new Monitoring(this, 'Monitoring', { alertEmail: config.alertEmail })
    this.ingest = new Ingest(this, 'Ingest', {
      storage: this.storage,
      monitoring: this.monitoring,
      firstDropDate: config.firstDropDate,
      pseudonymKeyParameter: config.pseudonymKeyParameter,
      pingAccuracyLimitM: config.pingAccuracyLimitM,
      ...functions,
    })
    this.analytics = new Analytics(this, 'Analytics', {
      storage: this.storage,
      catalog: this.catalog,
      monitoring: this.monitoring,
      ...functions,
    })
    this.reporting = new Reporting(this, 'Reporting', {
      storage: this.storage,
      monitoring: this.monitoring,
      sender: config.sender,
      forceArea: config.forceArea,
      ...functions,
    })
    this.auditors = new Auditors(this, 'Auditors', {
      catalog: this.catalog,
      data: this.storage.data,
      principalArn: config.auditorPrincipalArn,
    })

    new CfnOutput(this, 'DataBucketName', {
      value: this.storage.data.bucketName,
      description: 'The lake: drops go to s3://<this>/landing/<feed>/<YYYY-MM-DD>/<file>',
    })
    new CfnOutput(this, 'AthenaDatabase', { value: this.catalog.databaseName })
    new CfnOutput(this, 'AuditorsWorkgroup', { value: this.catalog.auditorsWorkgroupName })
    new CfnOutput(this, 'AlertsTopicArn', { value: this.monitoring.topic.topicArn })
    new CfnOutput(this, 'SesConfigurationSet', {
      value: this.reporting.configurationSet.configurationSetName,
    })
  }
}
