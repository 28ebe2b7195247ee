/**
 * The auditors' role (DESIGN 1 and 9): a funder's auditor, or the force's own, assumes it to read the stored
 * inputs and results and to query them with SQL through the `auditors` Athena workgroup, whose saved queries
 * are the pipeline's own SQL. It can reproduce any past report from the data as it was known on that day.
 *
 * It reads curated/ (validated rows), results/ (every run's marts), manifests/ (ingest and run manifests: what
 * each run read and produced), archive/ (every email as sent), and also reference/ (register, cells, harm
 * weights, recipients: the marts join them, and reproducing a report needs the versions it used) and quarantine/
 * (rejected rows with their reasons, personal data removed at ingest: "nothing is lost" is checked there). It
 * does not read landing/ (raw drops, which may carry personal data) or ledger/ (send state).
 *
 * It writes nothing but its own query results (athena/auditors/ in the results bucket, through the workgroup).
 * An explicit deny on every write to the data bucket keeps it so, whatever else is attached to the role later.
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import { Construct } from 'constructs'
import type { ICatalog } from './catalog.ts'
import { acknowledgeWildcardResource } from './nag.ts'

export const AUDITOR_READ_PREFIXES = [
  'curated/',
  'results/',
  'manifests/',
  'archive/',
  'reference/',
  'quarantine/',
] as const

/** What the Athena console asks to show catalogs, databases and tables (all reads). */
export const AUDITOR_CATALOG_BROWSE_ACTIONS = [
  'athena:GetDataCatalog',
  'athena:ListDatabases',
  'athena:GetDatabase',
  'athena:ListTableMetadata',
  'athena:GetTableMetadata',
] as const

/** Every way to change, delete or re-permission an object or the data bucket, denied outright. */
export const DATA_BUCKET_WRITE_ACTIONS = [
  's3:PutObject',
  's3:PutObjectAcl',
  's3:PutObjectTagging',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:DeleteObjectTagging',
  's3:RestoreObject',
  's3:ReplicateObject',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutLifecycleConfiguration',
  's3:PutBucketVersioning',
  's3:PutBucketObjectLockConfiguration',
  's3:BypassGovernanceRetention',
] as const

export interface AuditorsProps {
  readonly catalog: ICatalog
  readonly data: s3.IBucket
  /**
   * Who may assume the role.
   * @default the account (its administrators then grant sts:AssumeRole to people)
   */
  readonly principalArn?: string
}

export class Auditors extends Construct {
  readonly role: iam.Role

  constructor(scope: Construct, id: string, props: AuditorsProps) {
    super(scope, id)
    const stack = Stack.of(this)
    const { catalog, data } = props

    this.role = new iam.Role(this, 'Role', {
      roleName: `${stack.stackName}-auditors`,
      description:
        'Hotspot auditors: read curated/, results/, manifests/, archive/, reference/ and quarantine/; query ' +
        'through the auditors Athena workgroup; write only its own query results.',
      assumedBy: props.principalArn
        ? new iam.ArnPrincipal(props.principalArn)
        : new iam.AccountRootPrincipal(),
      maxSessionDuration: Duration.hours(4),
    })

    catalog.grantQuery(this.role, 'auditors')
    catalog.acknowledgeResultsWildcard(this.role.node.findChild('DefaultPolicy'), 'auditors')
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'BrowseTheCatalogInTheAthenaConsole',
        actions: [...AUDITOR_CATALOG_BROWSE_ACTIONS],
        resources: [
          stack.formatArn({ service: 'athena', resource: 'datacatalog', resourceName: 'AwsDataCatalog' }),
        ],
      }),
    )
    // the lake reads in a policy of their own (the catalog grant is large: one ARN per Glue table)
    const lakeRead = new iam.ManagedPolicy(this, 'LakeRead', {
      description: 'Hotspot auditors: read the lake (never write it)',
      roles: [this.role],
    })
    lakeRead.addStatements(
      new iam.PolicyStatement({
        sid: 'ReadTheLake',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: AUDITOR_READ_PREFIXES.map((prefix) => data.arnForObjects(`${prefix}*`)),
      }),
    )
    lakeRead.addStatements(
      new iam.PolicyStatement({
        sid: 'ListTheLake',
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: [data.bucketArn],
        conditions: { StringLike: { 's3:prefix': AUDITOR_READ_PREFIXES.flatMap((p) => [p, `${p}*`]) } },
      }),
    )
    lakeRead.addStatements(
      new iam.PolicyStatement({
        sid: 'LocateTheLake',
        actions: ['s3:GetBucketLocation'],
        resources: [data.bucketArn],
      }),
    )
    if (data.encryptionKey) {
      lakeRead.addStatements(
        new iam.PolicyStatement({
          sid: 'DecryptTheLake',
          actions: ['kms:Decrypt'],
          resources: [data.encryptionKey.keyArn],
        }),
      )
    }
    lakeRead.addStatements(
      new iam.PolicyStatement({
        sid: 'NeverWriteTheLake',
        effect: iam.Effect.DENY,
        actions: [...DATA_BUCKET_WRITE_ACTIONS],
        resources: [data.bucketArn, data.arnForObjects('*')],
      }),
    )

    for (const prefix of AUDITOR_READ_PREFIXES) {
      acknowledgeWildcardResource(
        lakeRead,
        data.arnForObjects(`${prefix}*`),
        `Read-only object-key prefix: auditors read every object under ${prefix} (one per drop, run, version or ` +
          'email), which is the point of an audit; writes are denied on the whole bucket.',
      )
    }
    new CfnOutput(stack, 'AuditorsRoleArn', {
      value: this.role.roleArn,
      description: 'Auditors assume this role (read the lake, query through the auditors workgroup)',
    })
  }
}
