/**
 * The buckets and the key (DESIGN sections 5 and 9).
 *
 * - `data`: the lake, every prefix of DESIGN 5 in one bucket, as on disk. SSE-KMS with the customer managed key,
 *   versioned, public access blocked, TLS 1.2+ only, access-logged. Object Lock is enabled on the bucket with no
 *   default retention; a bucket policy refuses any write under `archive/` and `manifests/` that does not carry
 *   an Object Lock retention of the configured mode and length (see LOCKED_PREFIXES). Those objects are
 *   therefore immutable from the moment they exist, and the rest of the lake (landing/ holding raw drops with
 *   personal data, ledger/ whose entries move from pending to sent) stays deletable as the law requires.
 *   landing/ moves to Glacier Instant Retrieval after 90 days (a re-ingest still reads it at once); noncurrent
 *   versions expire after 90 days (locked versions only once their hold ends).
 * - `results`: Athena's query results (`athena/pipeline/`, `athena/auditors/`), SSE-KMS, expiring after 30 days:
 *   the pipeline keeps its results as Parquet in the lake, auditors download what they keep.
 * - `accessLogs`: S3 server access logs of the other two (SSE-S3: access-log delivery cannot use SSE-KMS),
 *   kept two years.
 * - `key`: one customer managed KMS key, rotated yearly, for the data and results buckets (and Athena's results).
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as kms from 'aws-cdk-lib/aws-kms'
import * as s3 from 'aws-cdk-lib/aws-s3'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'

/** Prefixes whose objects are written with an Object Lock retention (DESIGN 9): what was sent, and every manifest. */
export const LOCKED_PREFIXES = ['archive/', 'manifests/'] as const

/** What every bucket of the stack has: no public access, no ACLs, TLS 1.2+ only, versioned, kept with the data. */
const EVERY_BUCKET = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  versioned: true,
  removalPolicy: RemovalPolicy.RETAIN,
} satisfies s3.BucketProps

export interface RecordsLock {
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE'
  readonly days: number
}

export interface StorageProps {
  /** Lower-case prefix of the data bucket's name: `<prefix>-data-<account>-<region>`. */
  readonly namePrefix: string
  readonly recordsLock: RecordsLock
}

/** What the functions' constructs use of the storage: the lake, its records lock, and its events of new objects. */
export interface IStorage {
  readonly data: s3.IBucket
  readonly recordsLock: RecordsLock
  notifyOnCreated(prefix: string, queue: sqs.IQueue): void
}

export class Storage extends Construct implements IStorage {
  readonly key: kms.Key
  readonly data: s3.Bucket
  /**
   * The data bucket's name, built from the stack's account and region only (no reference to the bucket
   * resource): the ingest queue's policy names the bucket by it before the bucket exists, which the bucket's
   * own notification configuration needs (S3 checks the queue policy when the bucket is created).
   */
  readonly dataBucketName: string
  readonly dataBucketArn: string
  readonly results: s3.Bucket
  readonly accessLogs: s3.Bucket
  readonly recordsLock: RecordsLock

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id)
    const stack = Stack.of(this)
    this.recordsLock = props.recordsLock

    this.key = new kms.Key(this, 'Key', {
      description: `${stack.stackName}: the lake and Athena query results (S3 SSE-KMS)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    })

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...EVERY_BUCKET,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(731),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    })
    const encryptedWithTheKey = {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
    } satisfies s3.BucketProps
    this.dataBucketName = `${props.namePrefix}-data-${Aws.ACCOUNT_ID}-${Aws.REGION}`
    this.dataBucketArn = `arn:${Aws.PARTITION}:s3:::${this.dataBucketName}`
    this.data = new s3.Bucket(this, 'Data', {
      ...EVERY_BUCKET,
      ...encryptedWithTheKey,
      bucketName: this.dataBucketName,
      objectLockEnabled: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'data/',
      lifecycleRules: [
        {
          id: 'landing-to-glacier-ir',
          prefix: 'landing/',
          transitions: [
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
          ],
        },
        {
          id: 'noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(90),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    })
    this.lockRecords(props.recordsLock)

    this.results = new s3.Bucket(this, 'Results', {
      ...EVERY_BUCKET,
      ...encryptedWithTheKey,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'results/',
      lifecycleRules: [
        {
          id: 'expire-query-results',
          expiration: Duration.days(30),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    })
  }

  /**
   * S3 -> SQS for every object created under `prefix` of the data bucket, with the queue policy the bucket's
   * creation checks. The notification is the bucket's own (AWS::S3::Bucket NotificationConfiguration), not CDK's
   * custom resource: the queue policy names the bucket by its constructed ARN, so the bucket can depend on the
   * policy without a cycle, and the stack has no helper Lambda with broad S3 rights to keep.
   */
  notifyOnCreated(prefix: string, queue: sqs.IQueue): void {
    if ((this.data.node.defaultChild as s3.CfnBucket).notificationConfiguration) {
      throw new Error(`${this.node.path}: the data bucket already notifies; one queue takes its events`)
    }
    const result = queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'LakeBucketSendsLandingEvents',
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': this.dataBucketArn },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    )
    if (!result.statementAdded || !result.policyDependable) {
      throw new Error(`${this.node.path}: the policy of ${queue.node.path} was not added`)
    }
    const bucket = this.data.node.defaultChild as s3.CfnBucket
    bucket.notificationConfiguration = {
      queueConfigurations: [
        {
          event: 's3:ObjectCreated:*',
          queue: queue.queueArn,
          filter: { s3Key: { rules: [{ name: 'prefix', value: prefix }] } },
        },
      ],
    }
    this.data.node.addDependency(result.policyDependable)
  }

  /**
   * The data bucket refuses a PutObject under a locked prefix unless it carries an Object Lock of the configured
   * mode for at least `days - 1` days (one day of slack for the writer's clock and S3's rounding): every
   * object there is locked when it is created, or it is not created. Writers send `x-amz-object-lock-mode` and
   * `x-amz-object-lock-retain-until-date` (= now + days), which also needs s3:PutObjectRetention.
   */
  private lockRecords(lock: RecordsLock): void {
    const resources = LOCKED_PREFIXES.map((prefix) => this.data.arnForObjects(`${prefix}*`))
    const deny = (sid: string, conditions: Record<string, unknown>) =>
      this.data.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObject'],
          resources,
          conditions,
        }),
      )
    deny('DenyRecordWritesWithoutObjectLock', { Null: { 's3:object-lock-mode': 'true' } })
    deny('DenyRecordWritesWithoutRetention', { Null: { 's3:object-lock-remaining-retention-days': 'true' } })
    deny('DenyRecordWritesInAnotherLockMode', { StringNotEquals: { 's3:object-lock-mode': lock.mode } })
    deny('DenyRecordWritesWithAShorterHold', {
      NumericLessThan: { 's3:object-lock-remaining-retention-days': String(Math.max(lock.days - 1, 1)) },
    })
  }
}
